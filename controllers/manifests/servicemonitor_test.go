package manifests

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestServiceMonitor(t *testing.T) {
	enabled := &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true, Interval: "30s", Labels: map[string]string{"release": "prom", "app.kubernetes.io/name": "hijack"}}}
	tests := []struct {
		name    string
		metrics *v1alpha1.MetricsSpec
		crd     bool
		want    bool
	}{
		{"absent", nil, true, false},
		{"disabled", &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: false}}, true, false},
		{"enabled but CRD not served", enabled, false, false},
		{"enabled and served", enabled, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Metrics = tt.metrics
			in := input(rp)
			in.ServiceMonitorCRD = tt.crd
			sm := ServiceMonitor(in)
			if !tt.want {
				if sm != nil {
					t.Fatalf("got a ServiceMonitor; want none")
				}
				return
			}
			if sm == nil {
				t.Fatalf("no ServiceMonitor")
			}
			if sm.GetAPIVersion() != "monitoring.coreos.com/v1" || sm.GetKind() != "ServiceMonitor" || sm.GetName() != "orders" || sm.GetNamespace() != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", sm.GetAPIVersion(), sm.GetKind(), sm.GetNamespace(), sm.GetName())
			}
			labels := sm.GetLabels()
			if labels["release"] != "prom" || labels["app.kubernetes.io/name"] != "restproxy" {
				t.Errorf("labels = %v; want the extra label and ours unchanged", labels)
			}
			sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
			if !reflect.DeepEqual(sel, SelectorLabels(rp)) {
				t.Errorf("selector = %v; want %v", sel, SelectorLabels(rp))
			}
			eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			want := []any{map[string]any{"port": "management", "path": "/metrics", "scheme": "http", "interval": "30s"}}
			if !reflect.DeepEqual(eps, want) {
				t.Errorf("endpoints = %v; want %v", eps, want)
			}
			// Unstructured content must be JSON-shaped, or DeepCopy panics
			// inside the client.
			_ = sm.DeepCopy()
		})
	}
}

func TestServiceMonitorWithoutInterval(t *testing.T) {
	rp := minimal()
	rp.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
	sm := ServiceMonitor(input(rp))
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if _, set := eps[0].(map[string]any)["interval"]; set {
		t.Errorf("interval set without spec.interval; Prometheus's global interval should apply")
	}
}
