package management

import "github.com/prometheus/client_golang/prometheus"

// ExposeSchemaRegistry adds restproxy_schema_registry_requests_total, the
// HTTP requests the proxy made to its Schema Registry, read from
// requests: the schema stage asks only on cache misses, so its rate stays
// near zero while clients produce with schemas already seen (README
// "Schemas"). Records it could not serve are counted by
// restproxy_record_errors_total's reasons. Called once, when a registry
// is configured.
func (m *Metrics) ExposeSchemaRegistry(requests func() int64) {
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "restproxy_schema_registry_requests_total",
		Help: "HTTP requests made to the Schema Registry: cache misses, registrations and their retries across URLs.",
	}, func() float64 { return float64(requests()) }))
}
