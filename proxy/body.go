package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// errStopped is what a body read returns once the stream was told to stop
// reading (shutdown, or the client stopped taking its reports).
var errStopped = errors.New("stream stopped reading")

// bodyReader reads the request body with a read-idle deadline that moves
// forward on every read, and can be stopped from another goroutine: stop
// sets the connection's read deadline to now, which wakes a blocked Read.
// The lock makes "check stopped, then move the deadline" atomic against
// stop, so a Read can never push the deadline past a stop.
type bodyReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	// beforeRead, when set, runs before every read of the body, on the
	// reading goroutine: a read may wait for the client, so the stream
	// hands the records it has checked to Kafka first.
	beforeRead func()

	mu      sync.Mutex
	stopped bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.beforeRead != nil {
		b.beforeRead()
	}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return 0, errStopped
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	b.mu.Unlock()
	n, err := b.r.Read(p)
	if err != nil && b.isStopped() {
		err = errStopped
	}
	return n, err
}

func (b *bodyReader) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		b.stopped = true
		_ = b.rc.SetReadDeadline(time.Now())
	}
}

func (b *bodyReader) isStopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
