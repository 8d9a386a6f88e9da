package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestDegradedNamesWhatTheClusterLacks(t *testing.T) {
	const class = `spec.expose.ingress.className names IngressClass "nginx", which does not exist`
	const kind = "spec.metrics.podMonitor.enabled is set, but the cluster does not serve PodMonitor"
	const issuer = "spec.authentication.jwt.issuerURL: https://idp.example/.well-known/openid-configuration cannot be fetched"
	const registry = "spec.schemaRegistry.urls: no Schema Registry answers the operator: http://sr:8081 (GET /subjects answered HTTP 503)"
	tests := []struct {
		name    string
		out     outcome
		obs     observation
		want    string   // status/reason
		mention []string // in the message
	}{
		{"nothing lacking", outcome{}, observation{}, "False/" + ReasonReconciled, nil},
		{"the class alone", outcome{}, observation{missingIngressClass: class}, "True/" + ReasonIngressClassNotFound, []string{class}},
		{"a kind and the class: both said, the kind's reason", outcome{notInstalled: []string{kind}}, observation{missingIngressClass: class},
			"True/" + ReasonKindNotInstalled, []string{kind, class}},
		{"the issuer alone", outcome{}, observation{unreachableIssuer: issuer}, "True/" + ReasonIssuerUnreachable, []string{issuer}},
		{"the class and the issuer: both said, the class's reason", outcome{}, observation{missingIngressClass: class, unreachableIssuer: issuer},
			"True/" + ReasonIngressClassNotFound, []string{class, issuer}},
		{"the registry alone", outcome{}, observation{unreachableRegistry: registry}, "True/" + ReasonSchemaRegistryUnreachable, []string{registry}},
		{"the issuer and the registry: both said, the issuer's reason", outcome{}, observation{unreachableIssuer: issuer, unreachableRegistry: registry},
			"True/" + ReasonIssuerUnreachable, []string{issuer, registry}},
		{"a failure wins", outcome{err: errors.New("etcd went away")}, observation{missingIngressClass: class}, "True/" + ReasonReconcileFailed, []string{"etcd went away"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := degradedCondition(tt.out, tt.obs)
			if got := string(c.Status) + "/" + c.Reason; got != tt.want {
				t.Errorf("Degraded = %s (%q), want %s", got, c.Message, tt.want)
			}
			for _, m := range tt.mention {
				if !strings.Contains(c.Message, m) {
					t.Errorf("Degraded message %q does not say %q", c.Message, m)
				}
			}
		})
	}
}

// TestMissingIngressClassIsReportedUntilCreated: an Ingress naming an
// IngressClass that does not exist is created all the same, and the
// RestProxies (in any namespace) naming the class say so until it is
// created, and again once it is deleted; the running operator notices both
// without a restart. Without className nothing is checked.
func TestMissingIngressClassIsReportedUntilCreated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns, other := newNamespace(t), newNamespace(t)
	className := "class-" + ns // IngressClasses are cluster-wide: one per test run
	withIngress := func(class string) func(*v1alpha1.RestProxy) {
		return func(rp *v1alpha1.RestProxy) {
			rp.Spec.Expose = &v1alpha1.ExposeSpec{Ingress: &v1alpha1.IngressExposeSpec{ClassName: class, Host: "p.example.com"}}
		}
	}
	named := []*v1alpha1.RestProxy{newRestProxy(ns, "p", withIngress(className)), newRestProxy(other, "p", withIngress(className))}
	defaulted := newRestProxy(ns, "q", withIngress(""))
	for _, rp := range append(named, defaulted) {
		create(t, rp)
	}
	for _, rp := range named {
		got := waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonIngressClassNotFound)
		assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `spec.expose.ingress.className names IngressClass "`+className+`", which does not exist`)
	}
	waitCondition(t, client.ObjectKeyFromObject(defaulted), v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	var ing networkingv1.Ingress
	get(t, client.ObjectKeyFromObject(named[0]), &ing)
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != className {
		t.Errorf("Ingress class %v, want %s: the Ingress is created all the same", ing.Spec.IngressClassName, className)
	}

	class := func() *networkingv1.IngressClass {
		return &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: className},
			Spec: networkingv1.IngressClassSpec{Controller: "example.com/ingress-controller"}}
	}
	create(t, class())
	t.Cleanup(func() { _ = k8s.Delete(ctx, class()) })
	waitDegraded := func(status metav1.ConditionStatus, reason string) {
		t.Helper()
		for _, rp := range named {
			waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, status, reason)
		}
	}
	waitDegraded(metav1.ConditionFalse, ReasonReconciled)

	// Each step starts with the operator idle (its status writes wake
	// nothing), so only the IngressClass's watch can bring the change.
	if err := k8s.Delete(ctx, class()); err != nil {
		t.Fatal(err)
	}
	waitDegraded(metav1.ConditionTrue, ReasonIngressClassNotFound)
	create(t, class())
	waitDegraded(metav1.ConditionFalse, ReasonReconciled)
}
