package produce

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

// body reads the request body with a read-idle deadline that moves
// forward on every read, and can be stopped from another goroutine: stop
// sets the connection's read deadline to now, which wakes a blocked Read.
// The lock makes "check stopped, then move the deadline" atomic against
// stop, so a Read can never push the deadline past a stop.
//
// Once the body has returned io.EOF the deadline is left alone: net/http
// then runs its own background read on the connection, and a deadline that
// fires under it cancels the connection's context, so every later request
// on that keep-alive connection would start with a dead context.
type body struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration

	mu      sync.Mutex
	stopped bool
	eof     bool
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	switch {
	case b.stopped:
		b.mu.Unlock()
		return 0, errStopped
	case b.eof:
		b.mu.Unlock()
		return 0, io.EOF
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	b.mu.Unlock()
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		b.eof = true
		b.mu.Unlock()
	}
	if err != nil && b.isStopped() {
		err = errStopped
	}
	return n, err
}

func (b *body) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		b.stopped = true
		if !b.eof { // after EOF there is no read to wake
			_ = b.rc.SetReadDeadline(time.Now())
		}
	}
}

func (b *body) isStopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}
