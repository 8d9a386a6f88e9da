package management

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /livez, /readyz and /metrics on the management listener.
func Handler(m *Metrics, ready *Readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.Check(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{
		// OpenMetrics, when a scraper asks for it, carries the latency
		// histogram's trace exemplars.
		EnableOpenMetrics: true,
	}))
	return mux
}

// readinessTTL is how long a Kafka check result is reused: probes from
// several kubelets and load balancers must not each reach the broker.
const readinessTTL = time.Second

var errDraining = errors.New("shutting down")

// Readiness caches the producer's health check for readinessTTL; draining
// is checked on every call, so readiness fails at once on shutdown.
type Readiness struct {
	kafka    func(context.Context) error
	draining func() bool

	mu        sync.Mutex
	checkedAt time.Time
	err       error
}

// NewReadiness checks Kafka with kafka and reports not ready while draining.
func NewReadiness(kafka func(context.Context) error, draining func() bool) *Readiness {
	return &Readiness{kafka: kafka, draining: draining}
}

// Check returns why the proxy is not ready, or nil.
func (r *Readiness) Check(ctx context.Context) error {
	if r.draining() {
		return errDraining
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checkedAt) < readinessTTL {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r.err = r.kafka(ctx)
	r.checkedAt = time.Now()
	return r.err
}
