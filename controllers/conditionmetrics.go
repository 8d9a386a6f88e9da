package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// ConditionMetricName is the operator's series of RestProxy conditions,
// which the chart's alerts (tenant not Ready, rollout stuck) and the
// dashboard's rollout panel read; see docs/runbooks.md.
const ConditionMetricName = "restproxy_operator_restproxy_condition"

// conditionMetrics exposes the conditions of the status each RestProxy was
// last reconciled to: one series per condition, value 1, labelled with its
// status and reason, as kube-state-metrics exposes a Pod's conditions. It
// is a collector over a map rather than a GaugeVec so a RestProxy's
// conditions change at once: a scrape never sees an old reason dropped and
// the new one not yet set.
type conditionMetrics struct {
	desc *prometheus.Desc

	mu         sync.Mutex
	conditions map[types.NamespacedName][]metav1.Condition // guarded by mu
}

// restProxyConditions is registered with controller-runtime's registry,
// which the manager's /metrics serves, like controller-runtime's own
// series: one per process, shared by the managers tests run side by side.
var restProxyConditions = newConditionMetrics()

func init() {
	metrics.Registry.MustRegister(restProxyConditions)
}

func newConditionMetrics() *conditionMetrics {
	return &conditionMetrics{
		desc: prometheus.NewDesc(ConditionMetricName,
			"Conditions of each RestProxy's status as last written by this operator (1 per condition), by type, status and reason.",
			[]string{"namespace", "name", "type", "status", "reason"}, nil),
		conditions: map[types.NamespacedName][]metav1.Condition{},
	}
}

// set replaces the conditions of the RestProxy key.
func (m *conditionMetrics) set(key types.NamespacedName, conditions []metav1.Condition) {
	kept := make([]metav1.Condition, len(conditions))
	copy(kept, conditions)
	m.mu.Lock()
	m.conditions[key] = kept
	m.mu.Unlock()
}

// forget drops the series of a RestProxy that is gone.
func (m *conditionMetrics) forget(key types.NamespacedName) {
	m.mu.Lock()
	delete(m.conditions, key)
	m.mu.Unlock()
}

func (m *conditionMetrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

func (m *conditionMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, conditions := range m.conditions {
		for _, c := range conditions {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, 1,
				key.Namespace, key.Name, c.Type, string(c.Status), c.Reason)
		}
	}
}
