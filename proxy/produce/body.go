package produce

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// errStopped is what a body read returns once the stream was told to stop
// reading (shutdown, or the client stopped taking its reports).
var errStopped = errors.New("stream stopped reading")

// body reads the request body under a read-idle deadline that moves
// forward when the stream makes progress, and can be stopped from another
// goroutine: stop
// sets the connection's read deadline to now, which wakes a blocked Read.
// The lock makes "check stopped, then move the deadline" atomic against
// stop, so progress can never push the deadline past a stop.
//
// Once the body has returned io.EOF the deadline is left alone: net/http
// then runs its own background read on the connection, and a deadline that
// fires under it cancels the connection's context, so every later request
// on that keep-alive connection would start with a dead context.
type body struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration

	mu       sync.Mutex
	stopped  bool
	eof      bool
	deadline time.Time // of the reads, set by progress
}

// Read reads under the deadline progress set. The deadline is on the
// connection only while a read runs: HTTP/2 enforces a read deadline with
// a timer that closes the body when it fires, reading or not, so a stream
// waiting for flow room must not have one.
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
	_ = b.rc.SetReadDeadline(b.deadline)
	b.mu.Unlock()
	n, err := b.r.Read(p)
	b.mu.Lock()
	if err == io.EOF {
		b.eof = true
	} else if !b.stopped {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	stopped := b.stopped
	b.mu.Unlock()
	if err != nil && stopped {
		err = errStopped
	}
	return n, err
}

// progress moves the read deadline to one idle timeout from now. The
// stream calls it when records were read since the last call, or after it
// waited for flow room, before it reads more: idle means no record in that
// time, not no byte, so a client trickling bytes that make no record
// cannot hold a stream for ever.
func (b *body) progress() {
	b.mu.Lock()
	b.deadline = time.Now().Add(b.idle)
	b.mu.Unlock()
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

func (b *body) isEOF() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof
}

// BodyFormat is how a request body is written, as its headers say.
type BodyFormat struct {
	// Latin1 is set when the content type said ISO-8859-1.
	Latin1 bool
	// Encoding is its Content-Encoding.
	Encoding Encoding
}

// openBody returns the reader of a request body in format: decompressed,
// then transcoded from Latin-1, as asked. limit bounds the decompressed
// bytes (0: none). inflate is the decompressor, nil when there is none.
func (pl *Pipeline) openBody(b io.Reader, format BodyFormat, limit int64) (r io.Reader, inflate *inflater) {
	r = b
	if format.Encoding != Identity {
		inflate = newInflater(format.Encoding, r, limit, pl.metrics)
		r = inflate
	}
	if format.Latin1 {
		r = newLatin1Reader(r)
	}
	return r, inflate
}

// refusal is the refusal of a request whose body failed with err before
// anything was answered.
func (st *Stream) refusal(err error) *apierror.Error {
	var fatal *apierror.Error
	switch {
	case errors.As(err, &fatal): // from the decompressor
		return refusalOf(fatal)
	case errors.Is(err, errStopped):
		return apierror.New(apierror.ShuttingDown)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return apierror.New(apierror.IdleBeforeData)
	case errors.Is(err, io.EOF):
		return apierror.New(apierror.EmptyBody)
	default: // broken chunk framing, or a body cut short
		return apierror.New(apierror.MalformedBody, err.Error())
	}
}
