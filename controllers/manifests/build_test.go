package manifests

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func kindsOf(objs []client.Object) []string {
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
	}
	return kinds
}

func TestBuildChildren(t *testing.T) {
	noSM := input(full())
	noSM.ServiceMonitorCRD, noSM.PodMonitorCRD, noSM.HTTPRouteCRD, noSM.CertificateCRD = false, false, false, false
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{"minimal", input(minimal()), []string{"ServiceAccount", "ConfigMap", "Service", "Deployment"}},
		{"full", input(full()), []string{"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Ingress", "ServiceMonitor", "HTTPRoute", "Certificate"}},
		{"PodMonitor", podMonitorInput(), []string{"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodMonitor"}},
		{"full, the optional kinds' CRDs not served", noSM, []string{"ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Ingress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Build(tt.in)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if got := kindsOf(objs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kinds = %v; want %v", got, tt.want)
			}
			managed := map[string]bool{}
			for _, gvk := range ManagedKinds() {
				managed[gvk.String()] = true
			}
			rp := tt.in.RestProxy
			for _, o := range objs {
				gvk := o.GetObjectKind().GroupVersionKind()
				if !managed[gvk.String()] {
					t.Errorf("%s is not in ManagedKinds, so it would never be pruned", gvk)
				}
				if o.GetNamespace() != rp.Namespace {
					t.Errorf("%s namespace = %q", gvk.Kind, o.GetNamespace())
				}
				if len(o.GetOwnerReferences()) != 0 {
					t.Errorf("%s has owner references; the reconciler sets them", gvk.Kind)
				}
				for k, v := range Labels(rp) {
					if o.GetLabels()[k] != v {
						t.Errorf("%s label %s = %q; want %q", gvk.Kind, k, o.GetLabels()[k], v)
					}
				}
			}
		})
	}
}

func TestManagedKindsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, gvk := range ManagedKinds() {
		if seen[gvk.String()] {
			t.Errorf("%s listed twice", gvk)
		}
		seen[gvk.String()] = true
	}
	if len(seen) != 12 {
		t.Errorf("ManagedKinds has %d kinds; want 12", len(seen))
	}
}

// TestBuildLeavesInputAlone: the RestProxy may be the informer cache's object.
func TestBuildLeavesInputAlone(t *testing.T) {
	rp := full()
	before := rp.DeepCopy()
	if _, err := Build(input(rp)); err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !reflect.DeepEqual(rp, before) {
		t.Errorf("Build changed the RestProxy")
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build(Input{}); err == nil {
		t.Errorf("Build without a RestProxy: no error")
	}
	tests := []struct {
		name   string
		mutate func(*Input)
		want   string // in the error
	}{
		{"config the proxy would refuse", func(in *Input) {
			in.RestProxy.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: "basic"} // the CRD requires secretRef
		}, "authentication.credentialsFile"},
		{"name too long for a Service", func(in *Input) {
			in.RestProxy.Name = strings.Repeat("a", 64)
		}, "metadata.name"},
		{"name starting with a digit", func(in *Input) { in.RestProxy.Name = "1orders" }, "metadata.name"},
		{"no image anywhere", func(in *Input) { in.DefaultImage = "" }, "spec.image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(minimal())
			tt.mutate(&in)
			_, err := Build(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "tenant-a/") {
				t.Errorf("Build error = %v; want one naming %s and the RestProxy", err, tt.want)
			}
		})
	}
	in := input(minimal())
	in.DefaultImage = ""
	in.RestProxy.Spec.Image = "explicit:1"
	if _, err := Build(in); err != nil {
		t.Errorf("Build with spec.image and no default: %v", err)
	}
}
