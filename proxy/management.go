package proxy

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// managementRoutes serves the operational endpoints. They carry no
// authentication and belong on a port that only the cluster reaches.
func (s *Server) managementRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ready.check(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

// readinessTTL is how long a Kafka check result is reused: probes from
// several kubelets and load balancers must not each reach the broker.
const readinessTTL = time.Second

var errDraining = errors.New("shutting down")

// readiness caches the producer's health check for readinessTTL; draining
// is checked on every call, so readiness fails at once on shutdown.
type readiness struct {
	kafka    func(context.Context) error
	draining func() bool

	mu        sync.Mutex
	checkedAt time.Time
	err       error
}

func newReadiness(kafka func(context.Context) error, draining func() bool) *readiness {
	return &readiness{kafka: kafka, draining: draining}
}

func (r *readiness) check(ctx context.Context) error {
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
