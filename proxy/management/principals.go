package management

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Principal labels of the per-principal counters that name no client.
const (
	// PrincipalOther counts the principals past metrics.principalLimit.
	PrincipalOther = "other"
	// PrincipalAnonymous counts the requests of no principal
	// (authentication.type none).
	PrincipalAnonymous = "anonymous"
)

// principals bounds the per-principal counters: the first limit
// principals seen keep a series of their own for the life of the process,
// every later one is counted under PrincipalOther. A counter never moves
// between labels, so rates stay right; the bound keeps a proxy that serves
// thousands of clients to 2*(limit+2) series.
type principals struct {
	records *prometheus.CounterVec
	limit   int

	mu     sync.Mutex
	series map[string]*PrincipalSeries
}

// PrincipalSeries are one principal's counters, resolved once per request.
type PrincipalSeries struct {
	ok, failed prometheus.Counter
}

func newPrincipals(limit int) *principals {
	p := &principals{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "restproxy_principal_records_total",
			Help: "Records answered, by principal (the first metrics.principalLimit principals seen, then \"other\") and result (ok: 200, failed: any error_code).",
		}, []string{"principal", "result"}),
		limit:  limit,
		series: map[string]*PrincipalSeries{},
	}
	p.get(PrincipalAnonymous)
	p.get(PrincipalOther)
	return p
}

// get returns the series of principal name, creating them when the bound
// allows.
func (p *principals) get(name string) *PrincipalSeries {
	if name == "" {
		name = PrincipalAnonymous
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.series[name]; ok {
		return s
	}
	if len(p.series) >= p.limit+2 { // anonymous and other do not count
		return p.series[PrincipalOther]
	}
	s := &PrincipalSeries{
		ok:     p.records.WithLabelValues(name, "ok"),
		failed: p.records.WithLabelValues(name, "failed"),
	}
	p.series[name] = s
	return s
}

// Count counts one record's report of kind k; a nil s counts nothing.
func (s *PrincipalSeries) Count(k apierror.Kind) {
	switch {
	case s == nil:
	case k == apierror.Success:
		s.ok.Inc()
	default:
		s.failed.Inc()
	}
}
