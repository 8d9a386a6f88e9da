package proxy

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// stream is one produce request after it passed the checks of spec 4.1. Two
// goroutines serve it: the reader (decode, validate, hand to Kafka) and the
// writer (the handler's own goroutine: ordered reports to the socket). They
// meet only in the reportQueue.
type stream struct {
	srv        *Server
	clusterID  string
	topic      string
	partitions int32
	window     *window // this cluster's rate-limit window; nil when limits are off

	w    http.ResponseWriter
	req  *http.Request
	rc   *http.ResponseController
	body *bodyReader
	q    *reportQueue

	start    time.Time
	maxAgeAt time.Time

	// stopping is closed by the server's shutdown: stop reading, drain.
	stopping chan struct{}
	stopOnce sync.Once
	// abort is closed when reports can no longer be written: the reader
	// stops at once, whatever it was waiting for.
	abort     chan struct{}
	abortOnce sync.Once
	maxAgeHit atomic.Bool

	// pending are the records the reader checked and has not handed to
	// Kafka yet; see handOff.
	pending []producer.Pending

	// Written by the reader; read after it exits.
	records, bytes int64
	endReason      string
	// Written by the writer.
	counts      [len(reportCodes) + 1]int64
	writeFailed bool  // reports could not be written
	writeErr    error // why, for the log line
	unreported  int
}

// Reasons a stream ended, for its log line.
const (
	endInput    = "end of input"
	endFatal    = "fatal input error"
	endIdle     = "idle timeout"
	endMaxAge   = "maximum age"
	endShutdown = "shutdown"
	endClient   = "client went away"
	// The client stopped reading its reports: the write deadline cut it.
	endNotReading = "reports not read within the idle timeout"
)

// recordCeiling bounds one record's JSON text when http.maxRecordBytes is 0
// (no configured limit). A record is held whole before it is parsed, so
// without a ceiling one endless string would grow the heap until the process
// dies, whatever the in-flight bounds say. 64 MiB is far above any record a
// broker accepts (1 MiB by default), even after base64 and JSON escaping.
const recordCeiling = 64 << 20

// recordLimit is the per-record size limit the decoder enforces: the
// configured one, else the ceiling.
func recordLimit(configured int) int {
	if configured <= 0 || configured > recordCeiling {
		return recordCeiling
	}
	return configured
}

// writeBufferSize is how many report bytes are collected before they are
// written even though more reports are ready; they are flushed to the
// socket when no further report is ready.
const writeBufferSize = 32 << 10

// stop makes the stream stop reading new records; reports for records
// already read are still written (bounded by the shutdown drain).
func (st *stream) stop() {
	st.stopOnce.Do(func() {
		close(st.stopping)
		st.body.stop()
	})
}

func (st *stream) abortReading() {
	st.abortOnce.Do(func() {
		close(st.abort)
		st.body.stop()
	})
}

func (st *stream) isStopping() bool {
	select {
	case <-st.stopping:
		return true
	default:
		return false
	}
}

// serve answers 200 and streams until the input ends and every report is
// written, or the client goes away.
func (st *stream) serve(input io.Reader) {
	if err := st.rc.EnableFullDuplex(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		st.srv.log.Warn("enable full duplex", "error", err)
	}
	st.w.Header().Set("Content-Type", "application/json")
	if st.req.ProtoMajor == 1 && st.req.ProtoMinor >= 1 {
		// The reports are a chunked body (spec 3) even when they all fit
		// the response's buffer at the end, where net/http would otherwise
		// send a Content-Length instead.
		st.w.Header().Set("Transfer-Encoding", "chunked")
	}
	st.w.WriteHeader(http.StatusOK)

	st.body.beforeRead = st.handOff
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		st.read(record.NewStreamDecoderSize(input, recordLimit(st.srv.cfg.HTTP.MaxRecordBytes), st.req.ContentLength))
	}()
	if !st.writeReports() {
		st.writeFailed = true
	}
	select {
	case <-readerDone:
	default:
		// Nothing more will be reported: release a reader still waiting
		// for a slot, a token or the socket.
		st.abortReading()
		<-readerDone
	}
	if errors.Is(st.writeErr, os.ErrDeadlineExceeded) {
		st.endReason = endNotReading
	}
	st.unreported = st.q.pending()
	st.logEnd()
	st.endResponse()
}

// endResponse prepares the connection for net/http to end the response.
// When the stream stopped before its input did (fatal error, maximum age,
// shutdown, idle), the client may still be sending: the rest of the body is
// drained if it ends promptly, so the connection can be reused; otherwise
// the connection is closed with lingerClose.
func (st *stream) endResponse() {
	// The last flush's write deadline must not cut the final chunk short.
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.srv.idle))
	if st.writeFailed || st.endReason == endInput || st.endReason == endClient {
		return
	}
	// writeReports left the last reports in the response's buffer. The
	// client may wait for them before it ends its input, and Hijack would
	// drop them: send them first.
	if st.rc.Flush() != nil {
		return
	}
	if !st.body.isStopped() && st.drainBody() {
		return
	}
	st.lingerClose()
}

// maxDrainBytes bounds what is read and discarded to reuse a connection.
const maxDrainBytes = 256 << 10

// drainBody reads the rest of the request body, if it ends within
// lingerTimeout and maxDrainBytes, and reports whether it did.
func (st *stream) drainBody() bool {
	_ = st.rc.SetReadDeadline(time.Now().Add(lingerTimeout))
	n, err := io.CopyN(io.Discard, st.req.Body, maxDrainBytes)
	return n < maxDrainBytes && errors.Is(err, io.EOF)
}

// lingerTimeout bounds how long a connection is kept open, discarding
// input, after the response to a stream that ended before its input did.
const lingerTimeout = 500 * time.Millisecond

// lingerClose ends the response of a stream that stopped reading while the
// client may still be sending (fatal error, maximum age, shutdown, idle).
// Closing a socket with unread input makes the kernel send a reset, which
// can destroy reports the client has not read yet. So the connection is
// taken over: the final chunk is written, the sending side is shut, and
// input is discarded until the client closes or lingerTimeout passes.
func (st *stream) lingerClose() {
	if st.req.ProtoMajor != 1 || st.req.ProtoMinor < 1 {
		return // HTTP/2 streams end without a connection reset; HTTP/1.0 is not chunked
	}
	conn, rw, err := st.rc.Hijack()
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

// read is the reader goroutine: one record at a time from the body to Kafka
// or straight to an error report.
func (st *stream) read(dec *record.StreamDecoder) {
	defer st.q.closeInput()
	defer st.handOff()
	for !st.isStopping() {
		raw, err := dec.Next()
		if err != nil {
			st.handOff() // before endOfInput may wait for a slot
			st.endOfInput(err)
			return
		}
		now := time.Now()
		s, wait := st.q.tryReserve()
		if wait {
			// The ring frees as records are reported, which needs the
			// ones still pending to reach Kafka.
			st.handOff()
			s = st.q.reserve(st.abort)
		}
		if s == nil {
			st.endReason = endClient
			return
		}
		st.records++
		st.bytes += int64(len(raw))
		st.srv.metrics.receivedBytes.Add(float64(len(raw)))
		s.readAt, s.size = now, len(raw)
		if now.After(st.maxAgeAt) {
			st.q.fail(s, reportMaxAge())
			st.maxAgeHit.Store(true)
			st.endReason = endMaxAge
			return
		}
		st.produce(s, raw, now)
	}
	st.endReason = endShutdown
}

// produce runs the per-record checks in the order of spec 4.2 (parse, rate
// limits, partition, encoding) and hands the record to Kafka. A panic while
// checking one record (a bug) is that record's 500 report, and the stream
// goes on: this goroutine is not the handler's, so net/http would not
// recover it and the whole process would die.
func (st *stream) produce(s *slot, raw []byte, now time.Time) {
	defer func() {
		if r := recover(); r != nil {
			st.srv.log.Error("panic while checking a record", "panic", r, "stack", string(debug.Stack()))
			st.q.fail(s, record.NewError(500, "Internal Server Error"))
		}
	}()
	// Parse copies what the record keeps, so raw, which the decoder
	// reuses, need not outlive this call.
	var perr *record.Error
	if s.rec, perr = record.Parse(raw); perr != nil {
		st.q.fail(s, perr)
		return
	}
	rec := &s.rec
	if st.window != nil && !st.srv.limiter.allow(st.window, now.Unix(), len(raw)) {
		st.srv.metrics.rateLimited.Inc()
		st.q.fail(s, reportRateLimited())
		return
	}
	if rec.Partition != record.AnyPartition && (rec.Partition < 0 || rec.Partition >= st.partitions) {
		st.q.fail(s, reportPartitionNotFound())
		return
	}
	if e := rec.Encode(); e != nil {
		st.q.fail(s, e)
		return
	}
	if rec.Timestamp.IsZero() {
		rec.Timestamp = now.UTC().Truncate(time.Millisecond)
	}
	if !st.srv.inFlight.tryAcquire() {
		st.handOff() // the pending records may hold the tokens
		if !st.srv.inFlight.acquire(st.abort) {
			st.q.fail(s, reportUnconfirmed())
			return
		}
	}
	st.pending = append(st.pending, producer.Pending{Rec: rec, Done: s.onProduced})
	if len(st.pending) >= maxPending {
		st.handOff()
	}
}

// maxPending bounds the records handed to Kafka together.
const maxPending = 256

// handOff gives the pending records to Kafka in one call. The reader calls
// it before anything that may wait (a read of the body, a full ring, the
// in-flight bound) and when it ends, so checked records are never held
// back waiting for the client: they go in groups of what one read of the
// socket brought, which takes kafka-go's Writer lock and the delivery
// timeouts' lock once per group instead of once per record.
func (st *stream) handOff() {
	if len(st.pending) == 0 {
		return
	}
	st.srv.producer.ProduceAll(st.topic, st.pending)
	clear(st.pending)
	st.pending = st.pending[:0]
}

// endOfInput classifies why the decoder stopped. A fatal decoding error is
// the stream's last report; read errors end the stream with what it has.
func (st *stream) endOfInput(err error) {
	var fatal *record.Error
	switch {
	case errors.Is(err, io.EOF):
		st.endReason = endInput
	case errors.As(err, &fatal):
		st.endReason = endFatal
		st.srv.metrics.countFatal(fatal)
		if s := st.q.reserve(st.abort); s != nil {
			s.readAt = time.Now()
			st.q.fail(s, fatal)
		}
	case errors.Is(err, errStopped) && st.isStopping():
		st.endReason = endShutdown
	case errors.Is(err, os.ErrDeadlineExceeded):
		st.endReason = endIdle
	default:
		st.endReason = endClient
	}
}

// writeReports is the writer: it writes every ready report in order into one
// buffer and flushes when no further report is ready. It returns false if
// the client cannot be written to any more.
//
// The buffer comes from the server's pool only while there are reports to
// write and goes back before the writer waits: a stream waiting for Kafka
// or for its client, which is most of a trickling stream's life, holds
// none, so a thousand open streams do not pin 36 MiB of buffers.
func (st *stream) writeReports() bool {
	batch := make([]*slot, 0, 64)
	var bufp *[]byte
	putBuffer := func() {
		if bufp != nil {
			*bufp = (*bufp)[:0]
			st.srv.writeBuffers.Put(bufp)
			bufp = nil
		}
	}
	defer putBuffer()
	var deadline <-chan time.Time
	stopping := st.stopping
	for {
		var complete bool
		batch, complete = st.q.ready(batch[:0])
		if len(batch) > 0 {
			if bufp == nil {
				bufp = st.srv.writeBuffers.Get().(*[]byte)
			}
			now := time.Now()
			for _, s := range batch {
				*bufp = st.appendReport(*bufp, s, now)
			}
			st.q.release(len(batch))
			if len(*bufp) >= writeBufferSize {
				if !st.write(*bufp, false) {
					return false
				}
				*bufp = (*bufp)[:0]
			}
			continue
		}
		if bufp != nil && len(*bufp) > 0 {
			// The last reports are not flushed: net/http sends them with
			// the response's final chunk in one write when the handler
			// returns, which halves the syscalls of a one-record request.
			// endResponse flushes them itself when the stream ends early.
			if !st.write(*bufp, !complete) {
				return false
			}
		}
		putBuffer()
		if complete {
			return true
		}
		if deadline == nil && st.maxAgeHit.Load() {
			deadline = time.After(st.srv.grace)
		}
		select {
		case <-st.q.wakeWriter:
		case <-stopping:
			stopping = nil
			deadline = time.After(st.srv.drain)
		case <-deadline:
			st.q.abandon(reportUnconfirmed())
		}
	}
}

// appendReport appends one record's report and counts it.
func (st *stream) appendReport(buf []byte, s *slot, now time.Time) []byte {
	code := 200
	if e := s.result.Err; e != nil {
		code = e.Code
		buf = record.AppendError(buf, e)
	} else {
		buf = record.AppendSuccess(buf, &record.Success{
			ClusterID: st.clusterID,
			Topic:     st.topic,
			Partition: s.result.Partition,
			Offset:    s.result.Offset,
			Timestamp: s.result.Timestamp,
			Key:       s.rec.Key,
			Value:     s.rec.Value,
		})
	}
	if !s.abandoned { // an abandoned slot may still be filled by the reader
		st.srv.metrics.reportLatency.Observe(now.Sub(s.readAt).Seconds())
	}
	st.srv.metrics.countReport(code)
	st.counts[codeIndex(code)]++
	return buf
}

// write sends buf, and flushes it to the socket when flush is set, under a
// write deadline: a client that stops reading its reports is dropped after
// the idle timeout instead of pinning the stream's memory.
func (st *stream) write(buf []byte, flush bool) bool {
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.srv.idle))
	if _, err := st.w.Write(buf); err != nil {
		st.writeErr = err
		return false
	}
	if flush {
		if err := st.rc.Flush(); err != nil {
			st.writeErr = err
			return false
		}
	}
	return true
}

// logEnd writes the stream's one log line.
func (st *stream) logEnd() {
	// The line's attributes cost a few allocations per request even when
	// slog drops the line, as it does at level warn.
	if !st.srv.log.Enabled(st.req.Context(), slog.LevelInfo) {
		return
	}
	codes := make([]any, 0, len(st.counts))
	for i, n := range st.counts {
		if n == 0 {
			continue
		}
		name := "other"
		if i < len(reportCodes) {
			name = strconv.Itoa(reportCodes[i])
		}
		codes = append(codes, slog.Int64(name, n))
	}
	st.srv.log.Info("stream finished",
		"cluster_id", st.clusterID,
		"topic", st.topic,
		"duration_ms", time.Since(st.start).Milliseconds(),
		"records", st.records,
		"bytes", st.bytes,
		"end", st.endReason,
		"write_error", st.writeFailed,
		"unreported", st.unreported,
		slog.Group("error_codes", codes...))
}
