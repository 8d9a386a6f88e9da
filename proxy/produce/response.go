package produce

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// response is the stream's side of the HTTP exchange: the 200 and its
// chunked reports, and how the connection ends when the stream stops before
// its input does.
type response struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	req  *http.Request
	idle time.Duration
}

// start answers 200 with a chunked body of reports, in full duplex so that
// reports go out while the request body still comes in.
func (r *response) start(log *slog.Logger) {
	if err := r.rc.EnableFullDuplex(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		log.Warn("enable full duplex", "error", err)
	}
	h := r.w.Header()
	h.Set("Content-Type", "application/json")
	if r.req.ProtoMajor == 1 && r.req.ProtoMinor >= 1 {
		// The reports are a chunked body even when they all fit the
		// response's buffer at the end, where net/http would otherwise
		// send a Content-Length instead.
		h.Set("Transfer-Encoding", "chunked")
	}
	r.w.WriteHeader(http.StatusOK)
}

// write sends buf, and flushes it to the socket when flush is set, under a
// write deadline: a client that stops reading its reports is dropped after
// the idle timeout instead of pinning the stream's memory.
func (r *response) write(buf []byte, flush bool) error {
	_ = r.rc.SetWriteDeadline(time.Now().Add(r.idle))
	if _, err := r.w.Write(buf); err != nil {
		return err
	}
	if flush {
		return r.rc.Flush()
	}
	return nil
}

// end prepares the connection for net/http to end the response. When the
// stream stopped before its input did (fatal error, maximum age, shutdown,
// idle), the client may still be sending: the rest of the body is drained
// if it ends promptly, so the connection can be reused; otherwise the
// connection is closed with lingerClose.
func (r *response) end(b *body, inputDone bool) {
	// The last flush's write deadline must not cut the final chunk short.
	_ = r.rc.SetWriteDeadline(time.Now().Add(r.idle))
	if inputDone {
		return
	}
	// The report loop left the last reports in the response's buffer. The
	// client may wait for them before it ends its input, and Hijack would
	// drop them: send them first.
	if r.rc.Flush() != nil {
		return
	}
	if !b.isStopped() && r.drainBody() {
		return
	}
	r.lingerClose()
}

// maxDrainBytes bounds what is read and discarded to reuse a connection.
const maxDrainBytes = 256 << 10

// drainBody reads the rest of the request body, if it ends within
// lingerTimeout and maxDrainBytes, and reports whether it did.
func (r *response) drainBody() bool {
	_ = r.rc.SetReadDeadline(time.Now().Add(lingerTimeout))
	n, err := io.CopyN(io.Discard, r.req.Body, maxDrainBytes)
	return n < maxDrainBytes && errors.Is(err, io.EOF)
}

// lingerTimeout bounds how long a connection is kept open, discarding
// input, after the response to a stream that ended before its input did.
const lingerTimeout = 500 * time.Millisecond

// lingerClose ends the response of a stream that stopped reading while the
// client may still be sending. Closing a socket with unread input makes the
// kernel send a reset, which can destroy reports the client has not read
// yet. So the connection is taken over: the final chunk is written, the
// sending side is shut, and input is discarded until the client closes or
// lingerTimeout passes.
func (r *response) lingerClose() {
	if r.req.ProtoMajor != 1 || r.req.ProtoMinor < 1 {
		return // HTTP/2 streams end without a connection reset; HTTP/1.0 is not chunked
	}
	conn, rw, err := r.rc.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(lingerTimeout))
	if _, err := rw.WriteString("0\r\n\r\n"); err != nil || rw.Flush() != nil {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, rw.Reader)
}
