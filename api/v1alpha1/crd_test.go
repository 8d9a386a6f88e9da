package v1alpha1_test

import (
	"context"
	"slices"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestScaleSubresource scales a RestProxy the way kubectl scale and an HPA
// do, through /scale: that must set spec.replicas, and /scale must report the
// status's replicas and selector, which is how an HPA finds the pods.
func TestScaleSubresource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rp := minimal(newNamespace(t))
	if err := k8s.Create(ctx, rp); err != nil {
		t.Fatalf("create: %v", err)
	}
	// What the controller writes once the Deployment exists.
	selector := "app.kubernetes.io/instance=" + rp.Name + ",app.kubernetes.io/name=restproxy"
	rp.Status = v1alpha1.RestProxyStatus{Replicas: 1, Selector: selector}
	if err := k8s.Status().Update(ctx, rp); err != nil {
		t.Fatalf("update status: %v", err)
	}

	scale := &autoscalingv1.Scale{}
	if err := k8s.SubResource("scale").Get(ctx, rp, scale); err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Replicas != 1 || scale.Status.Selector != selector {
		t.Fatalf("scale = spec.replicas %d, status.replicas %d, status.selector %q; want 1, 1, %q",
			scale.Spec.Replicas, scale.Status.Replicas, scale.Status.Selector, selector)
	}

	scale.Spec.Replicas = 5
	if err := k8s.SubResource("scale").Update(ctx, rp, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("update scale: %v", err)
	}
	got := &v1alpha1.RestProxy{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(rp), got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if got.Spec.Replicas == nil || *got.Spec.Replicas != 5 {
		t.Fatalf("spec.replicas after scaling to 5 = %v", ptr.Deref(got.Spec.Replicas, -1))
	}
}

// TestInstalledCRD reads the CRD back from the API server: the names, the
// subresources and the printer columns kubectl get shows are as designed.
func TestInstalledCRD(t *testing.T) {
	t.Parallel()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: "restproxies.kafka.restproxy.dev"}, crd); err != nil {
		t.Fatalf("get CRD: %v", err)
	}

	names := crd.Status.AcceptedNames
	if names.Kind != "RestProxy" || names.Plural != "restproxies" ||
		!slices.Equal(names.ShortNames, []string{"rp"}) || !slices.Equal(names.Categories, []string{"kafka"}) {
		t.Errorf("accepted names = %+v; want kind RestProxy, plural restproxies, short name rp, category kafka", names)
	}
	if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("scope = %s; want Namespaced", crd.Spec.Scope)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("versions = %d; want only v1alpha1", len(crd.Spec.Versions))
	}
	version := crd.Spec.Versions[0]
	if version.Name != "v1alpha1" || !version.Served || !version.Storage {
		t.Errorf("version %s served %t storage %t; want v1alpha1 served and stored", version.Name, version.Served, version.Storage)
	}

	sub := version.Subresources
	if sub == nil || sub.Status == nil || sub.Scale == nil {
		t.Fatalf("subresources = %+v; want status and scale", sub)
	}
	if sub.Scale.SpecReplicasPath != ".spec.replicas" || sub.Scale.StatusReplicasPath != ".status.replicas" ||
		ptr.Deref(sub.Scale.LabelSelectorPath, "") != ".status.selector" {
		t.Errorf("scale subresource = %+v; want .spec.replicas, .status.replicas, .status.selector", sub.Scale)
	}

	want := []apiextensionsv1.CustomResourceColumnDefinition{
		{Name: "Ready", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].status`},
		// Wanted next to ready, as kubectl get deployment shows READY 1/3:
		// spec.replicas shows a kubectl scale or an autoscaler's decision at
		// once, where status.replicas counts old and new pods mid-rollout.
		{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
		{Name: "Ready Replicas", Type: "integer", JSONPath: ".status.readyReplicas"},
		// Which proxy each tenant runs, mid-upgrade of the operator.
		{Name: "Version", Type: "string", JSONPath: ".status.proxyVersion"},
		{Name: "URL", Type: "string", JSONPath: ".status.url", Priority: 1},
		{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
	}
	got := version.AdditionalPrinterColumns
	if len(got) != len(want) {
		t.Fatalf("printer columns = %+v; want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		g.Description = ""
		if g != want[i] {
			t.Errorf("printer column %d = %+v; want %+v", i, got[i], want[i])
		}
	}
}
