// Package devregistry runs an in-process Schema Registry (franz-go's
// srfake) that speaks the registry's REST API over HTTP. `restproxy dev`
// serves it next to its broker so that AVRO, JSONSCHEMA and PROTOBUF
// records work out of the box (README "Schemas"), and the benchmark
// serves one to count what the proxy asks of it.
package devregistry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Registry is one running in-memory Schema Registry. Its schemas are lost
// when it stops.
type Registry struct {
	fake   *srfake.Registry
	server *http.Server
	url    string
	served chan error
}

// shutdownLimit bounds how long Close waits for requests in progress.
const shutdownLimit = 5 * time.Second

// Start listens on listen ("127.0.0.1:8085", or port 0 for any free port)
// and serves an empty registry there until Close.
func Start(listen string) (*Registry, error) {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("start dev schema registry on %s: %w", listen, err)
	}
	fake := srfake.NewRegistry()
	r := &Registry{
		fake:   fake,
		server: &http.Server{Handler: fake.Handler(), ReadHeaderTimeout: 10 * time.Second},
		url:    "http://" + l.Addr().String(),
		served: make(chan error, 1),
	}
	go func() { r.served <- r.server.Serve(l) }()
	return r, nil
}

// URL is the registry's base URL, with the real port when Start was given
// port 0.
func (r *Registry) URL() string { return r.url }

// Fake exposes srfake, for callers that seed schemas or intercept
// requests (Intercept) to count or fail them.
func (r *Registry) Fake() *srfake.Registry { return r.fake }

// Close stops serving, letting requests in progress finish for a few
// seconds.
func (r *Registry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownLimit)
	defer cancel()
	err := r.server.Shutdown(ctx)
	if served := <-r.served; !errors.Is(served, http.ErrServerClosed) && err == nil {
		err = served
	}
	if err != nil {
		return fmt.Errorf("stop dev schema registry at %s: %w", r.url, err)
	}
	return nil
}
