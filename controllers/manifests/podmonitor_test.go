package manifests

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// podMonitorInput is the minimal RestProxy with a PodMonitor enabled, in a
// cluster that serves the kind (the CRD refuses it beside a ServiceMonitor,
// so full() has none).
func podMonitorInput() Input {
	rp := minimal()
	rp.Spec.Metrics = &v1alpha1.MetricsSpec{PodMonitor: &v1alpha1.MonitorSpec{
		Enabled: true, Interval: "15s", Labels: map[string]string{"release": "prom"},
	}}
	in := input(rp)
	in.PodMonitorCRD = true
	return in
}

func TestPodMonitor(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Input)
		want   bool
	}{
		{"enabled and served", func(*Input) {}, true},
		{"no metrics", func(in *Input) { in.RestProxy.Spec.Metrics = nil }, false},
		{"disabled", func(in *Input) { in.RestProxy.Spec.Metrics.PodMonitor.Enabled = false }, false},
		{"only the ServiceMonitor asked for", func(in *Input) {
			in.RestProxy.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
		}, false},
		{"enabled but CRD not served", func(in *Input) { in.PodMonitorCRD = false }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := podMonitorInput()
			tt.mutate(&in)
			pm := PodMonitor(in)
			if !tt.want {
				if pm != nil {
					t.Fatalf("got a PodMonitor; want none")
				}
				return
			}
			if pm == nil {
				t.Fatalf("no PodMonitor")
			}
			rp := in.RestProxy
			if pm.GetAPIVersion() != "monitoring.coreos.com/v1" || pm.GetKind() != "PodMonitor" || pm.GetName() != "orders" || pm.GetNamespace() != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", pm.GetAPIVersion(), pm.GetKind(), pm.GetNamespace(), pm.GetName())
			}
			if labels := pm.GetLabels(); labels["release"] != "prom" || labels["app.kubernetes.io/name"] != "restproxy" {
				t.Errorf("labels = %v; want the extra label and ours", labels)
			}
			// The pods carry the selector labels (the Deployment's template).
			sel, _, _ := unstructured.NestedStringMap(pm.Object, "spec", "selector", "matchLabels")
			if !reflect.DeepEqual(sel, SelectorLabels(rp)) {
				t.Errorf("selector = %v; want the pods' %v", sel, SelectorLabels(rp))
			}
			eps, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
			// The service label the dashboard and alerts group tenants by,
			// which a ServiceMonitor's series get from the Service.
			serviceLabel := []any{map[string]any{"action": "replace",
				"sourceLabels": []any{"__meta_kubernetes_pod_label_app_kubernetes_io_instance"}, "targetLabel": "service"}}
			want := []any{map[string]any{"port": "management", "path": "/metrics", "scheme": "http", "interval": "15s",
				"relabelings": serviceLabel}}
			if !reflect.DeepEqual(eps, want) {
				t.Errorf("podMetricsEndpoints = %v; want %v", eps, want)
			}
			if _, set, _ := unstructured.NestedFieldNoCopy(pm.Object, "spec", "endpoints"); set {
				t.Errorf("spec.endpoints set: that is the ServiceMonitor's field")
			}
			_ = pm.DeepCopy() // panics unless the content is JSON-shaped
		})
	}
}
