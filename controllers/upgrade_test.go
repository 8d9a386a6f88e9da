package controllers

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	poke(t, rp, "after-change")
	get(t, client.ObjectKeyFromObject(oldCM), &corev1.ConfigMap{})

	// The Deployment controller drops the old revision: the old file goes.
	if err := k8s.Delete(context.Background(), oldRS); err != nil {
		t.Fatalf("delete ReplicaSet: %v", err)
	}
	waitGone(t, oldCM)
	get(t, client.ObjectKeyFromObject(newCM), &corev1.ConfigMap{})
}

// TestOperatorUpgradeRollsAtBoundedPace: after the operator's proxy image
// changes, RestProxies that name no image roll to it one at a time
// (--max-concurrent-rollouts=1), the next when the previous rollout is
// complete; an upgradePolicy Manual one keeps its image until its spec
// changes; status.proxyVersion follows completed rollouts.
func TestOperatorUpgradeRollsAtBoundedPace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	const v1, v2 = "registry.example/restproxy:v1", "registry.example/restproxy:v2"
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	mine := func(rp *v1alpha1.RestProxy) { rp.Labels = map[string]string{operatorLabel: ns} }
	manual := newRestProxy(ns, "m", mine, func(rp *v1alpha1.RestProxy) { rp.Spec.UpgradePolicy = v1alpha1.UpgradePolicyManual })
	all := []*v1alpha1.RestProxy{newRestProxy(ns, "a", mine), newRestProxy(ns, "b", mine), newRestProxy(ns, "c", mine), manual}
	start := func(image string) (*runningOperator, context.CancelFunc) {
		t.Helper()
		opCtx, stop := context.WithCancel(ctx)
		op, err := startOperator(opCtx, operatorREST, scheme, operatorOptions{
			namespaces: []string{ns}, concurrency: 2, second: true, image: image, only: ns, maxRollouts: intstr.FromInt(1),
		})
		if err != nil {
			stop()
			t.Fatalf("start operator with %s: %v", image, err)
		}
		return op, func() {
			stop()
			if err := <-op.done; err != nil {
				t.Errorf("operator with %s: %v", image, err)
			}
		}
	}
	imageOf := func(rp *v1alpha1.RestProxy) string {
		dep := &appsv1.Deployment{}
		get(t, client.ObjectKeyFromObject(rp), dep)
		return manifests.RunningImage(dep)
	}
	onV2 := func() []*v1alpha1.RestProxy {
		var names []*v1alpha1.RestProxy
		for _, rp := range all {
			if imageOf(rp) == v2 {
				names = append(names, rp)
			}
		}
		return names
	}
	waitVersion := func(rp *v1alpha1.RestProxy, want string) {
		t.Helper()
		eventually(t, func() error {
			get(t, client.ObjectKeyFromObject(rp), rp)
			if rp.Status.ProxyVersion != want {
				return fmt.Errorf("RestProxy %s proxyVersion %q, want %q", rp.Name, rp.Status.ProxyVersion, want)
			}
			return nil
		})
	}

	_, stopV1 := start(v1)
	for _, rp := range all {
		create(t, rp)
	}
	for _, rp := range all {
		waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
			if got := manifests.RunningImage(dep); got != v1 {
				return fmt.Errorf("image %q, want %s", got, v1)
			}
			return nil
		})
		markRolledOut(t, rp)
		waitVersion(rp, "v1")
	}
	stopV1()
	// As an operator before the template hash would have left them: no
	// hash annotations, and a secrets hash over other Secrets.
	for _, rp := range all {
		dep := waitDeployment(t, rp, nil)
		legacy := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+manifests.TemplateHashAnnotation+`":null,"`+
			manifests.SpecHashAnnotation+`":null}},"spec":{"template":{"metadata":{"annotations":{"`+manifests.SecretsHashAnnotation+`":"older-operator"}}}}}`))
		if err := k8s.Patch(ctx, dep, legacy); err != nil {
			t.Fatalf("make Deployment %s look older: %v", dep.Name, err)
		}
		markRolledOut(t, rp)
	}

	// The upgrade: every RestProxy reconciled by the new operator, one of
	// the three Automatic ones admitted to roll.
	opV2, stopV2 := start(v2)
	defer stopV2()
	eventually(t, func() error {
		opV2.seen.mu.Lock()
		defer opV2.seen.mu.Unlock()
		if len(opV2.seen.versions) < len(all) {
			return fmt.Errorf("the new operator reconciled %d of %d RestProxies", len(opV2.seen.versions), len(all))
		}
		return nil
	})
	for done := 1; done <= 3; done++ {
		var rolling []*v1alpha1.RestProxy
		eventually(t, func() error {
			rolling = onV2()
			switch {
			case len(rolling) > done:
				return hopeless(fmt.Errorf("%d RestProxies on %s after %d rollouts completed, want at most %d", len(rolling), v2, done-1, done))
			case len(rolling) < done:
				return fmt.Errorf("%d RestProxies on %s after %d rollouts completed, want %d", len(rolling), v2, done-1, done)
			}
			return nil
		})
		for _, rp := range rolling {
			if rp == manual {
				t.Fatalf("the Manual RestProxy was rolled to %s by the upgrade", v2)
			}
		}
		// The rollout of the newest completes; the next may start.
		newest := rolling[len(rolling)-1]
		for _, rp := range rolling {
			if rp.Status.ProxyVersion != "v2" {
				newest = rp
			}
		}
		markRolledOut(t, newest)
		waitVersion(newest, "v2")
	}

	// Manual keeps v1 through a reconcile of the new operator...
	key := client.ObjectKeyFromObject(manual)
	patch(t, manual, func(rp *v1alpha1.RestProxy) { rp.Annotations = map[string]string{"test.restproxy.dev/poke": "1"} })
	opV2.seen.waitReconciled(t, key, manual.ResourceVersion)
	if got := imageOf(manual); got != v1 {
		t.Errorf("Manual RestProxy runs %q after the upgrade, want %s kept", got, v1)
	}
	// ...and takes v2 with a change of its spec.
	patch(t, manual, func(rp *v1alpha1.RestProxy) { rp.Spec.Logging = &v1alpha1.LoggingSpec{Level: "debug", Format: "json"} })
	waitDeployment(t, manual, func(dep *appsv1.Deployment) error {
		if got := manifests.RunningImage(dep); got != v2 {
			return fmt.Errorf("Manual RestProxy runs %q after a spec change, want %s", got, v2)
		}
		return nil
	})
}
