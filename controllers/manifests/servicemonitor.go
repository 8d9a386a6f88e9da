package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ServiceMonitor asks the Prometheus operator to scrape the proxy's
// management port, or is nil unless enabled and the cluster serves the CRD.
// It is unstructured so the operator does not depend on the Prometheus
// operator's Go module.
func ServiceMonitor(in Input) *unstructured.Unstructured {
	rp := in.RestProxy
	if !in.ServiceMonitorCRD || rp.Spec.Metrics == nil || rp.Spec.Metrics.ServiceMonitor == nil || !rp.Spec.Metrics.ServiceMonitor.Enabled {
		return nil
	}
	spec := rp.Spec.Metrics.ServiceMonitor
	endpoint := map[string]any{
		"port":   PortNameManagement,
		"path":   "/metrics",
		"scheme": "http",
	}
	if spec.Interval != "" {
		endpoint["interval"] = spec.Interval
	}
	sm := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"selector":  map[string]any{"matchLabels": stringMap(SelectorLabels(rp))},
			"endpoints": []any{endpoint},
		},
	}}
	sm.SetGroupVersionKind(ServiceMonitorGVK)
	sm.SetName(rp.Name)
	sm.SetNamespace(rp.Namespace)
	sm.SetLabels(withUserMetadata(Labels(rp), spec.Labels))
	return sm
}

// stringMap converts to the map type unstructured content must use.
func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
