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
// serves the CRD.
func PodMonitor(in Input) *unstructured.Unstructured {
	m := in.RestProxy.Spec.Metrics
	if !in.PodMonitorCRD || m == nil || m.PodMonitor == nil || !m.PodMonitor.Enabled {
		return nil
	}
	return monitor(in.RestProxy, PodMonitorGVK, "podMetricsEndpoints", m.PodMonitor)
}
