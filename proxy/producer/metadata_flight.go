package producer

import (
	"context"
	"fmt"
	"sync"
)

// flightGroup runs at most one call per key at a time: a caller asking while
// a call is under way shares its answer instead of starting its own. Every
// keep-alive client of a busy proxy finds a topic's cached count expired at
// the same moment; without sharing, each would make its own round trip to
// the cluster (and, its connections being busy, dial a new one), and under
// load some would outlast the metadata wait and refuse a request 503 while
// Kafka is healthy.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flight
}

// flight is one call under way; its answer is readable once done is closed.
type flight struct {
	done chan struct{}
	n    int
	err  error
}

// start returns the call under way for key, or starts fn for it. fn runs in
// a goroutine of its own, not bound to any one caller's context: a caller
// that gives up must not fail the others sharing the call.
func (g *flightGroup) start(key string, fn func() (int, error)) *flight {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.calls[key]; ok {
		return f
	}
	if g.calls == nil {
		g.calls = map[string]*flight{}
	}
	f := &flight{done: make(chan struct{})}
	g.calls[key] = f
	go func() {
		f.n, f.err = fn()
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(f.done)
	}()
	return f
}

// wait returns the call's answer, or ErrUnavailable once ctx ends first.
func (f *flight) wait(ctx context.Context) (int, error) {
	select {
	case <-f.done:
		return f.n, f.err
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx))
	}
}
