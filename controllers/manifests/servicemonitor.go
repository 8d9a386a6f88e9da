package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// ServiceMonitor asks the Prometheus operator to scrape the proxy's
// management port through its Service, or is nil unless enabled and the
// cluster serves the CRD. It is unstructured so the operator does not
// depend on the Prometheus operator's Go module.
func ServiceMonitor(in Input) *unstructured.Unstructured {
	m := in.RestProxy.Spec.Metrics
	if !in.ServiceMonitorCRD || m == nil || m.ServiceMonitor == nil || !m.ServiceMonitor.Enabled {
		return nil
	}
	return monitor(in.RestProxy, ServiceMonitorGVK, "endpoints", m.ServiceMonitor)
}

// monitor is a ServiceMonitor or PodMonitor (gvk) of rp's proxies: both
// select by the proxies' selector labels (the Service's, the pods') and
// scrape /metrics on the management port, listed under endpointsField.
func monitor(rp *v1alpha1.RestProxy, gvk schema.GroupVersionKind, endpointsField string, spec *v1alpha1.MonitorSpec) *unstructured.Unstructured {
	endpoint := map[string]any{
		"port":   PortNameManagement,
		"path":   "/metrics",
		"scheme": "http",
	}
	if spec.Interval != "" {
		endpoint["interval"] = spec.Interval
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"selector":     map[string]any{"matchLabels": stringMap(SelectorLabels(rp))},
			endpointsField: []any{endpoint},
		},
	}}
	u.SetGroupVersionKind(gvk)
	u.SetName(rp.Name)
	u.SetNamespace(rp.Namespace)
	u.SetLabels(withUserMetadata(Labels(rp), spec.Labels))
	return u
}

// stringMap converts to the map type unstructured content must use.
func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
