package controllers

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestExposure: an Ingress for the host, owned and pruned like any child,
// the LoadBalancer Service's knobs, and status.url showing the external
// address.
func TestExposure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Expose = &v1alpha1.ExposeSpec{
			Ingress:                  &v1alpha1.IngressExposeSpec{Host: "p.kafka.example.com", TLSSecretName: "p-public"},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyLocal,
		}
		rp.Spec.Template = &v1alpha1.TemplateSpec{Service: &v1alpha1.ServiceTemplate{Type: corev1.ServiceTypeLoadBalancer}}
	})
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	ing := &networkingv1.Ingress{}
	eventually(t, func() error { return k8s.Get(ctx, key, ing) })
	if owner := metav1.GetControllerOf(ing); owner == nil || owner.Name != "p" {
		t.Errorf("Ingress controller %+v, want the RestProxy", owner)
	}
	eventually(t, func() error {
		got := &v1alpha1.RestProxy{}
		get(t, key, got)
		if got.Status.URL != "https://p.kafka.example.com" {
			return fmt.Errorf("status.url %q, want the Ingress host", got.Status.URL)
		}
		return nil
	})
	svc := &corev1.Service{}
	get(t, key, svc)
	if svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal || len(svc.Spec.LoadBalancerSourceRanges) != 1 {
		t.Errorf("Service spec %+v, want Local and the source range", svc.Spec)
	}

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Expose.Ingress = nil })
	waitGone(t, ing)
}
