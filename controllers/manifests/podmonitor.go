package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PodMonitorGVK is the Prometheus operator's PodMonitor, built as
// unstructured like the ServiceMonitor.
var PodMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}

// PodMonitor asks the Prometheus operator to scrape the proxy pods'
// management port directly, or is nil unless enabled and the cluster
// serves the CRD. Its series get the label service=<RestProxy name>, which
// a ServiceMonitor's get from the Service, so the chart's dashboard and
// alerts find a tenant either way.
func PodMonitor(in Input) *unstructured.Unstructured {
	m := in.RestProxy.Spec.Metrics
	if !in.PodMonitorCRD || m == nil || m.PodMonitor == nil || !m.PodMonitor.Enabled {
		return nil
	}
	u := monitor(in.RestProxy, PodMonitorGVK, "podMetricsEndpoints", m.PodMonitor)
	endpoint := u.Object["spec"].(map[string]any)["podMetricsEndpoints"].([]any)[0].(map[string]any)
	endpoint["relabelings"] = []any{map[string]any{
		"action":       "replace",
		"sourceLabels": []any{"__meta_kubernetes_pod_label_app_kubernetes_io_instance"},
		"targetLabel":  "service",
	}}
	return u
}
