package controllers

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// newReplicaSet is the ReplicaSet the Deployment controller would make of
// dep's current template (envtest runs no Deployment controller).
func newReplicaSet(t *testing.T, dep *appsv1.Deployment, suffix string) *appsv1.ReplicaSet {
	t.Helper()
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: dep.Namespace, Name: dep.Name + "-" + suffix, Labels: dep.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true),
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: dep.Spec.Selector.DeepCopy(),
			Template: *dep.Spec.Template.DeepCopy(),
		},
	}
	create(t, rs)
	return rs
}

// TestOldConfigMapKeptWhileAReplicaSetMountsIt: a changed config is a new
// immutable ConfigMap; the old one stays while a ReplicaSet of the
// Deployment mounts it, so old pods keep their file, and goes with the
// last such ReplicaSet.
func TestOldConfigMapKeptWhileAReplicaSetMountsIt(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	oldCM := waitConfig(t, rp, nil)
	if oldCM.Immutable == nil || !*oldCM.Immutable {
		t.Errorf("ConfigMap %s immutable = %v, want true", oldCM.Name, oldCM.Immutable)
	}
	oldRS := newReplicaSet(t, waitDeployment(t, rp, nil), "old")

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.BootstrapServers = []string{"elsewhere:9092"} })
	newCM := waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if cm.Name == oldCM.Name {
			return fmt.Errorf("the Deployment still mounts %s", cm.Name)
		}
		return nil
	})
	if newCM.Data[manifests.ConfigFileKey] == oldCM.Data[manifests.ConfigFileKey] {
		t.Errorf("new ConfigMap %s has the old file", newCM.Name)
	}
	// Every event so far handled: the old ConfigMap survived a prune.
	poke(t, rp, "after-change")
	get(t, client.ObjectKeyFromObject(oldCM), &corev1.ConfigMap{})

	// The Deployment controller drops the old revision: the old file goes.
	if err := k8s.Delete(context.Background(), oldRS); err != nil {
		t.Fatalf("delete ReplicaSet: %v", err)
	}
	waitGone(t, oldCM)
	get(t, client.ObjectKeyFromObject(newCM), &corev1.ConfigMap{})
}
