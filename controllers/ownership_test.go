package controllers

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestObjectOfAnotherOwnerIsNotAdopted: a Service someone made by hand with
// the RestProxy's name is neither taken over nor changed; status names it,
// nothing of the RestProxy is applied, and once it is gone the RestProxy
// gets its children.
func TestObjectOfAnotherOwnerIsNotAdopted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	theirs := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p", Labels: map[string]string{"team": "payments"}},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 80}}},
	}
	create(t, theirs)

	rp := newRestProxy(ns, "p")
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	got := waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonNameConflict)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `Service "p"`)
	waitCondition(t, key, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonNameConflict)

	svc := &corev1.Service{}
	get(t, key, svc)
	if owner := metav1.GetControllerOf(svc); owner != nil || svc.ResourceVersion != theirs.ResourceVersion {
		t.Errorf("the hand-made Service was changed (owner %+v, resourceVersion %s, was %s)", owner, svc.ResourceVersion, theirs.ResourceVersion)
	}
	if err := k8s.Get(ctx, key, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment: %v; want none while a child's name is taken", err)
	}

	if err := k8s.Delete(ctx, theirs); err != nil {
		t.Fatalf("delete Service: %v", err)
	}
	// No watch sees the unlabelled Service go; a change of the RestProxy
	// (or the periodic retry) brings the reconcile.
	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		rp.Annotations = map[string]string{"test.restproxy.dev/poke": "after-delete"}
	})
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	waitDeployment(t, rp, nil)
}
