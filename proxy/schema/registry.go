// Package schema is the produce pipeline's schema stage: it encodes the
// keys and values that name a schema (AVRO, JSONSCHEMA, PROTOBUF) in the
// Confluent wire format, with schemas from a Schema Registry (README
// "Schemas").
//
// The registry is asked only on a cache miss: schemas by id, by subject and
// version, and a raw schema's registration never change and are kept for
// the process's life with their compiled codecs; a subject's latest version
// is kept for schemaRegistry.latestCacheMs, and past that for as long as
// the registry does not answer. A record whose schema is not
// cached waits for the registry at most schemaRegistry.timeoutMs, and one
// that the registry cannot serve gets 50003, so clients retry it.
package schema

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"golang.org/x/sync/singleflight"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// Registry is the cached view of one Schema Registry. It is safe for
// concurrent use by every stream of a server.
type Registry struct {
	client   *sr.Client
	settings settings
	log      *slog.Logger
	flight   singleflight.Group
	caches   caches
	memo     memo
	// downUntil is when the registry may be asked again after it did not
	// answer: until then a miss fails at once, so a stream of records
	// that all miss is not held for a timeout each.
	downUntil atomic.Int64 // Unix nanoseconds
	// requests counts the HTTP requests made to the registry.
	requests atomic.Int64
	now      func() time.Time
}

type settings struct {
	timeout   time.Duration // one lookup, retries across URLs included
	latestTTL time.Duration
	register  bool
}

// downFor is how long misses fail at once after the registry did not
// answer.
const downFor = time.Second

// New returns the registry of cfg, which must be Enabled. Nothing is
// asked of the registry yet: the proxy starts and serves other records
// while its registry is down.
// Its files are re-read while it runs; m counts their reloads.
func New(cfg config.SchemaRegistry, log *slog.Logger, m reload.Metrics) (*Registry, error) {
	r := &Registry{
		settings: settings{
			timeout:   time.Duration(cfg.TimeoutMs) * time.Millisecond,
			latestTTL: time.Duration(cfg.LatestCacheMs) * time.Millisecond,
			register:  cfg.RegisterSchemas,
		},
		log: log,
		now: time.Now,
	}
	r.caches.init()
	r.memo.m = map[memoKey]*registered{}
	transport, err := newTransport(cfg, log, m)
	if err != nil {
		return nil, err
	}
	counted := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r.requests.Add(1)
		return transport.RoundTrip(req)
	})
	auth, err := newAuth(cfg, log, m)
	if err != nil {
		return nil, err
	}
	r.client, err = sr.NewClient(
		sr.URLs(cfg.URLs...),
		sr.HTTPClient(&http.Client{Transport: counted}),
		sr.UserAgent("restproxy"),
		sr.PreReq(auth.apply),
	)
	if err != nil {
		return nil, fmt.Errorf("schemaRegistry: %w", err)
	}
	return r, nil
}

// Requests is the number of HTTP requests made to the registry so far.
func (r *Registry) Requests() int64 { return r.requests.Load() }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// ask runs one lookup against the registry within the timeout, failing at
// once while the registry is known to be down. An error is a
// *sr.ResponseError when the registry answered, else errUnavailable.
func (r *Registry) ask(fetch func(ctx context.Context) error) error {
	if r.now().UnixNano() < r.downUntil.Load() {
		return errRecentlyDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.settings.timeout)
	defer cancel()
	err := fetch(ctx)
	var answered *sr.ResponseError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &answered) && answered.StatusCode < 500 && answered.StatusCode != http.StatusTooManyRequests:
		return answered
	}
	r.downUntil.Store(r.now().Add(downFor).UnixNano())
	r.log.Warn("schema registry unavailable", "error", err)
	return &unavailableError{reason: unavailableReason(err, answered)}
}

// unavailableError is a registry that did not answer, or answered with a
// server error or "too many requests". Its reason is what clients are
// told: it names no URL, which the registry client's errors do.
type unavailableError struct{ reason string }

func (e *unavailableError) Error() string { return e.reason }

var errRecentlyDown = &unavailableError{reason: "it did not answer within the last second"}

func unavailableReason(err error, answered *sr.ResponseError) string {
	switch {
	case answered != nil:
		return fmt.Sprintf("it answered HTTP %d", answered.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within schemaRegistry.timeoutMs"
	}
	return "it cannot be reached"
}
