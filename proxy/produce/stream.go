// Package produce serves one produce request as a stream: an intake loop
// reads the body, cuts and checks each record and submits it to Kafka; a
// report loop writes each record's report to the client in input order. The
// two meet only in the ordered queue (queue.go). The wire contract is
// docs/produce-api.md.
//
//	socket → body → intake: decode, check, submit → producer → Kafka
//	                  ↓ one slot per record                ↓ result
//	                ordered queue ← ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ─ ┘
//	                  ↓ in order
//	socket ← reports: encode, flush
package produce

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema"
)

// Settings are the limits and time-outs every stream of a server shares.
type Settings struct {
	Idle   time.Duration // http.idleTimeoutMs
	Grace  time.Duration // http.streamGracePeriodMs
	Drain  time.Duration // http.shutdownDrainMs
	MaxAge time.Duration // http.streamMaxAgeMs
	// MaxRecordBytes is the per-record limit, from RecordLimit.
	MaxRecordBytes int
	// MaxRequestBytes is http.maxRequestBytes: checked here on the
	// decompressed bytes of a compressed request with a Content-Length
	// and of a batch; 0 is no limit.
	MaxRequestBytes int64
	// MaxBatchEntries is http.maxBatchEntries.
	MaxBatchEntries int
	// DeliveryTimeout is producer.deliveryTimeoutMs: a batch answers at
	// the latest a little after it.
	DeliveryTimeout time.Duration
	// CompressResponses is http.compressResponses.
	CompressResponses bool
	// AccessLog is logging.access.
	AccessLog AccessLog
}

// Pipeline is what every stream of a server shares: the producer and its
// flow bounds, metrics, the log and the report buffers.
type Pipeline struct {
	settings Settings
	producer *producer.Producer
	metrics  *management.Metrics
	log      *slog.Logger
	access   AccessLog
	// buffers recycles the report buffers: a one-record request should
	// not allocate a fresh 32 KiB.
	buffers sync.Pool
	// schemas is the schema stage's registry; nil when none is configured.
	schemas *schema.Registry
}

// NewPipeline returns the pipeline of one server.
func NewPipeline(s Settings, p *producer.Producer, m *management.Metrics, log *slog.Logger) *Pipeline {
	pl := &Pipeline{settings: s, producer: p, metrics: m, log: log, access: s.AccessLog}
	pl.buffers.New = func() any {
		b := make([]byte, 0, writeBufferSize+4096)
		return &b
	}
	return pl
}

// Gate is a per-record admission check that the intake applies after
// parsing: the rate limits. Allow reports whether a record of size bytes,
// read in the second now (Unix time), may be produced.
type Gate interface {
	Allow(now int64, size int) bool
}

// Target is where a stream's records go, as checked before it started.
type Target struct {
	ClusterID  string
	Topic      string
	Partitions int32
	Gate       Gate        // nil: every record is admitted
	Client     Credentials // nil: nothing to re-check
	// Principal names the client in the access log, the request's span
	// and the per-principal counters; "" for an anonymous one.
	Principal string
	// Origin is the request's trace context for its records; nil when
	// tracing is off.
	Origin *producer.Origin
	// Schemas encodes the keys and values that name a schema; nil when
	// no Schema Registry is configured.
	Schemas record.SchemaEncoder
}

// Credentials are the client's, as admitted; Valid reports whether they
// still are. The intake asks at most once a second and ends the stream
// with a 40101 report when they are not.
type Credentials interface {
	Valid() bool
}

// Stream is one produce request after its checks passed.
// Its parts are values, not pointers, so that a one-record request
// allocates one Stream rather than a dozen small objects.
type Stream struct {
	pl     *Pipeline
	target Target
	req    *http.Request
	out    response
	src    source
	queue  queue
	flow   producer.StreamFlow
	halt   halt
	start  time.Time
	result result // what the loops found, for the log line
	in     intake
}

// source is the request body as the intake reads it.
type source struct {
	body  body
	input *bufio.Reader // the body, through latin1 transcoding when asked
	// latin1 is set when the content type said ISO-8859-1.
	latin1 bool
	// inflate decompresses a compressed body; nil for none.
	inflate *inflater
	// skipped counts the whitespace AwaitData read before the first record.
	skipped int64
}

// result is what the two loops report about a stream once they are done.
type result struct {
	records, bytes int64  // read, written by the intake
	end            string // why the intake stopped, written by the intake
	counts         [apierror.NumKinds]int64
	writeErr       error // why reports could no longer be written
	unreported     int
}

// Reasons a stream ended, for its log line.
const (
	endInput    = "end of input"
	endFatal    = "fatal input error"
	endIdle     = "idle timeout"
	endMaxAge   = "maximum age"
	endShutdown = "shutdown"
	endClient   = "client went away"
	endRevoked  = "credentials revoked"
	// The client stopped reading its reports: the write deadline cut it.
	endNotReading = "reports not read within the idle timeout"
)

// NewStream prepares the stream of req, whose body is in format. Nothing
// is written or read yet.
func (pl *Pipeline) NewStream(w http.ResponseWriter, req *http.Request, format BodyFormat) *Stream {
	rc := http.NewResponseController(w)
	st := &Stream{pl: pl, req: req, start: time.Now()}
	st.out = response{w: w, rc: rc, req: req, idle: pl.settings.Idle}
	st.src.body = body{r: req.Body, rc: rc, idle: pl.settings.Idle}
	st.src.latin1 = format.Latin1
	st.queue.init()
	pl.producer.Flow().Join(&st.flow)
	st.halt.init()
	// http.maxRequestBytes applies to requests with a Content-Length: to
	// the header, and here to what their compressed body expands to.
	var limit int64
	if req.ContentLength > 0 {
		limit = pl.settings.MaxRequestBytes
	}
	var r io.Reader
	r, st.src.inflate = pl.openBody(&st.src.body, format, limit)
	// Small on purpose: it only holds the first read, for AwaitData; the
	// decoder's larger reads bypass it.
	st.src.input = bufio.NewReaderSize(r, 512)
	return st
}

// bodyInMemory reports whether the rest of the body is in the input's
// buffer already, so that reading it cannot wait for the client.
func (st *Stream) bodyInMemory() bool {
	return !st.src.latin1 && st.src.inflate == nil && st.req.ContentLength > 0 &&
		int64(st.src.input.Buffered()) == st.req.ContentLength-st.src.skipped
}

// AwaitData reads up to the first byte of the first record, so that an
// empty or whitespace-only body is refused before the 200 of a stream. A
// compressed single request (with a Content-Length) is also decompressed
// up to singleWindow ahead: one that expands to no more is checked whole
// before the 200. After an error, the stream is not served.
func (st *Stream) AwaitData() *apierror.Error {
	err := st.awaitData()
	if err != nil && st.src.inflate != nil {
		st.src.inflate.close()
	}
	return err
}

func (st *Stream) awaitData() *apierror.Error {
	st.src.body.progress() // the first record's data has one idle timeout to come
	for {
		b, err := st.src.input.ReadByte()
		switch {
		case err == nil && isSpace(b):
			st.src.skipped++
			continue
		case err == nil:
			_ = st.src.input.UnreadByte()
			if f := st.src.inflate; f != nil && st.req.ContentLength > 0 {
				if err := f.prefetch(singleWindow); err != nil {
					return st.refusal(err)
				}
			}
			return nil
		default:
			return st.refusal(err)
		}
	}
}

// BodyRead reports whether the request body was read to its end.
func (st *Stream) BodyRead() bool { return st.src.body.isEOF() }

// Stop makes the stream stop reading new records; the reports of records
// already read are still written, within the shutdown drain.
func (st *Stream) Stop() {
	if st.halt.stop() {
		st.src.body.stop()
	}
}

// Serve answers 200 and streams to target until the input ends and every
// report is written, or the client goes away.
func (st *Stream) Serve(target Target) {
	st.target = target
	st.out.start(st.pl.log)
	in := &st.in
	in.init(st)
	var intakeDone chan struct{}
	if !st.bodyInMemory() || !in.runInline() {
		intakeDone = make(chan struct{})
		go func() {
			defer close(intakeDone)
			in.run()
		}()
	}
	rep := reporter{st: st, principal: st.pl.metrics.Principal(target.Principal), exemplar: exemplarOf(st.req.Context())}
	complete := rep.run()
	if intakeDone != nil {
		if !complete {
			// Nothing more will be reported: release an intake still
			// waiting for room or the socket.
			st.abortIntake()
		}
		<-intakeDone // complete: the intake closed its input and is returning
	}
	if errors.Is(st.result.writeErr, os.ErrDeadlineExceeded) {
		st.result.end = endNotReading
	}
	if st.src.inflate != nil {
		st.src.inflate.close() // the intake has returned: nothing reads it any more
	}
	st.result.unreported = st.queue.pending()
	st.queue.orphan(st.flow.Release)
	st.finished()
	if complete {
		st.out.end(&st.src.body, st.result.end == endInput || st.result.end == endClient)
	}
}

func (st *Stream) abortIntake() {
	if st.halt.abort() {
		st.src.body.stop()
	}
}

// halt is how a stream is told to stop: stopping (shutdown: stop reading,
// drain the reports) and aborted (reports can no longer be written: the
// intake stops at once, whatever it waits for).
type halt struct {
	stopping, aborted   chan struct{}
	stopOnce, abortOnce sync.Once
	// pastMaxAge is set by the intake when a record arrived after the
	// stream's maximum age: the report loop then ends the stream when the
	// grace period has passed, or earlier once the input ended and every
	// record is reported.
	pastMaxAge atomic.Bool
}

func (h *halt) init() {
	h.stopping, h.aborted = make(chan struct{}), make(chan struct{})
}

func (h *halt) stop() (first bool) {
	h.stopOnce.Do(func() { close(h.stopping); first = true })
	return first
}

func (h *halt) abort() (first bool) {
	h.abortOnce.Do(func() { close(h.aborted); first = true })
	return first
}

func (h *halt) isStopping() bool {
	select {
	case <-h.stopping:
		return true
	default:
		return false
	}
}

// finished writes the stream's access-log line and completes its span.
func (st *Stream) finished() {
	r := &st.result
	st.pl.finished(st.req, &outcome{
		msg:     "stream finished",
		target:  &st.target,
		records: r.records,
		bytes:   r.bytes,
		counts:  &r.counts,
		start:   st.start,
		end:     r.end,
		extra:   []any{"write_error", r.writeErr != nil, "unreported", r.unreported},
	})
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
