package management

import "github.com/prometheus/client_golang/prometheus"

// ExposeInFlightLimits adds the bounds of restproxy_in_flight_records and
// restproxy_in_flight_bytes (http.maxInFlightTotal and
// http.maxInFlightBytesTotal) as gauges, so an alert can tell how close a
// pod is to holding back its clients without knowing its config (the
// chart's RestProxyInFlightSaturation, docs/runbooks.md). Called once.
func (m *Metrics) ExposeInFlightLimits(records, bytes int64) {
	limit := func(name, help string, v int64) prometheus.Collector {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(float64(v))
		return g
	}
	m.registry.MustRegister(
		limit("restproxy_in_flight_records_limit",
			"The bound of restproxy_in_flight_records (http.maxInFlightTotal): reading stops while it is reached.", records),
		limit("restproxy_in_flight_bytes_limit",
			"The bound of restproxy_in_flight_bytes (http.maxInFlightBytesTotal): reading stops while it is reached.", bytes),
	)
}
