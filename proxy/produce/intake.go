package produce

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// intake is the stream's reading loop: read, decode, check, submit. It runs
// on its own goroutine and owns every slot from push until it submits the
// record to Kafka or fails it.
type intake struct {
	st       *Stream
	dec      *record.StreamDecoder
	maxAgeAt time.Time
	// batch holds the checked records not yet submitted: they go to
	// Kafka together before the intake reads the socket or waits. parsed
	// holds the records themselves until then.
	batch  []producer.Pending
	parsed []record.Record

	// progressAt is the records read when the idle deadline last moved.
	progressAt int64
	// checkedAt is the second the client's credentials were last checked.
	checkedAt int64

	// inline is set while the intake runs on the handler's goroutine, before
	// the report loop: it must never wait, so it pauses instead, keeping
	// the record it could not admit in held.
	inline bool
	held   []byte
	// arena holds the records' decoded bytes, many records to a chunk.
	arena record.Arena
}

// maxBatch bounds the records submitted to Kafka together.
const maxBatch = 256

func (in *intake) init(st *Stream) {
	limit := st.pl.settings.MaxRecordBytes
	in.st = st
	length := st.req.ContentLength
	if st.src.inflate != nil {
		length = -1 // what it expands to is unknown
	}
	in.dec = record.NewStreamDecoderSize(st.src.input, limit, length)
	in.maxAgeAt = st.start.Add(st.pl.settings.MaxAge)
	in.checkedAt = st.start.Unix() // admission checked the credentials this second
}

// run reads records until the input ends, the stream is stopped, or a
// record cannot be reported any more.
func (in *intake) run() { in.loop() }

// runInline runs the intake on the caller's goroutine for as long as it
// needs no wait, and reports whether it finished. The caller has the whole
// body in memory already, so reads do not wait either; a one-record request
// is then served on one goroutine. Run resumes a paused intake.
func (in *intake) runInline() bool {
	in.inline = true
	paused := in.loop()
	in.inline = false
	return !paused
}

func (in *intake) loop() (paused bool) {
	st := in.st
	for in.held != nil || !st.halt.isStopping() { // a held record was read: it gets its report
		raw, err := in.next()
		if err != nil {
			in.submit()
			if paused := in.endOfInput(err); paused {
				return true
			}
			in.finish()
			return false
		}
		s, paused := in.admit(len(raw))
		switch {
		case paused:
			in.held = raw
			return true
		case s == nil:
			st.result.end = endClient
			in.finish()
			return false
		case s.readAt.After(in.maxAgeAt):
			in.pastMaxAge(s)
			continue
		case in.revoked(s.readAt.Unix()):
			st.queue.fail(s, apierror.New(apierror.CredentialsRevoked))
			st.result.end = endRevoked
			in.finish()
			return false
		}
		in.check(s, raw)
		if len(in.batch) >= maxBatch {
			in.submit() // outside check's recovery: a batched slot is never failed
		}
	}
	st.result.end = endShutdown
	in.finish()
	return false
}

// pastMaxAge answers a record read after the stream's maximum age with 408,
// unproduced. The first such record starts the grace period: the records
// before it go to Kafka now, and the report loop is woken to time the
// period, at whose end it stops the reading. Until then every record read
// gets its own 408 (docs/produce-api.md, "Errors that end the stream").
func (in *intake) pastMaxAge(s *slot) {
	st := in.st
	st.queue.fail(s, apierror.New(apierror.StreamMaxAge))
	if !st.halt.pastMaxAge.Swap(true) {
		in.submit()
		st.queue.wake()
	}
}

// revoked reports, at most once a second of the clock, whether the
// client's credentials were revoked since the stream was admitted.
func (in *intake) revoked(second int64) bool {
	client := in.st.target.Client
	if client == nil || second == in.checkedAt {
		return false
	}
	in.checkedAt = second
	return !client.Valid()
}

// next returns the next record's JSON text. Before the body is read, the
// records checked so far go to Kafka: nothing checked waits for the client.
func (in *intake) next() ([]byte, error) {
	if raw := in.held; raw != nil {
		in.held = nil
		return raw, nil
	}
	raw, err := in.dec.NextBuffered()
	if errors.Is(err, record.ErrNeedInput) {
		in.submit()
		in.arena.Release() // a stream waiting for its client holds no chunk
		if in.st.result.records > in.progressAt {
			in.st.src.body.progress()
			in.progressAt = in.st.result.records
		}
		raw, err = in.dec.Next()
	}
	return raw, err
}

// finish submits what is batched and tells the report loop that no record
// follows. Once past the maximum age, that is why the stream ended, however
// the reading stopped.
func (in *intake) finish() {
	in.submit()
	if in.st.halt.pastMaxAge.Load() {
		in.st.result.end = endMaxAge
	}
	in.st.queue.closeInput()
}

// admit takes room in the flow bounds for a record of size bytes and a slot
// for its report. It returns nil when no report can be written any more,
// or, running inline, paused when it would have to wait for room.
func (in *intake) admit(size int) (s *slot, paused bool) {
	st := in.st
	if !st.flow.TryAcquire(size) {
		in.submit() // the room may be held by the records not yet submitted
		if in.inline {
			return nil, true
		}
		if !st.flow.Acquire(size, st.halt.aborted) {
			return nil, false
		}
		st.src.body.progress() // waiting for room is no idling of the client's
	}
	if s = st.queue.push(size, time.Now()); s == nil {
		st.flow.Release(1, size)
		return nil, false
	}
	in.st.result.records++
	in.st.result.bytes += int64(size)
	st.pl.metrics.ReceivedBytes(size)
	return s, false
}

// check runs the per-record checks in the order of docs/produce-api.md
// (parse, rate limits, partition, encoding) and batches the record for
// Kafka, or fails its slot. A panic while checking one record (a bug) is
// that record's 500 report and the stream goes on: this goroutine is not
// the handler's, so net/http would not recover it and the whole process
// would die.
func (in *intake) check(s *slot, raw []byte) {
	st := in.st
	defer func() {
		if r := recover(); r != nil {
			st.pl.log.Error("panic while checking a record", "panic", r, "stack", string(debug.Stack()))
			st.queue.fail(s, apierror.New(apierror.RecordInternal))
		}
	}()
	// Parse copies what the record keeps, so raw, which the decoder
	// reuses, need not outlive this call.
	rec := in.nextRecord()
	var err *apierror.Error
	if *rec, err = record.ParseStreamedIn(raw, &in.arena, in.dec); err != nil {
		st.queue.fail(s, err)
		return
	}
	if err := st.target.check(rec, s.readAt, len(raw), &in.arena); err != nil {
		st.queue.fail(s, err)
		return
	}
	s.key, s.value = rec.Key.Summary(), rec.Value.Summary()
	in.parsed = in.parsed[:len(in.parsed)+1] // rec is batched: keep it
	in.batch = append(in.batch, producer.Pending{Rec: rec, To: s, From: in.st.target.Origin})
}

// check runs the checks of a parsed record that come after parsing, in
// the order of docs/produce-api.md: rate limits, partition, key and value
// encoding; and stamps a record without a timestamp with readAt, when it
// was read. size is the record's JSON size, the rate limits' cost; a
// keeps the schema stage's encodings.
func (t *Target) check(rec *record.Record, readAt time.Time, size int, a *record.Arena) *apierror.Error {
	if t.Gate != nil && !t.Gate.Allow(readAt.Unix(), size) {
		return apierror.New(apierror.RateLimited)
	}
	if rec.Partition != record.AnyPartition && (rec.Partition < 0 || rec.Partition >= t.Partitions) {
		return apierror.New(apierror.PartitionNotFound)
	}
	if err := rec.EncodeIn(t.Schemas, a); err != nil {
		return err
	}
	if rec.Timestamp.IsZero() {
		rec.Timestamp = readAt.UTC().Truncate(time.Millisecond)
	}
	return nil
}

// submit gives the batched records to Kafka in one call: they go in groups
// of what one read of the socket brought, which takes kafka-go's Writer
// lock and the delivery timeouts' lock once per group instead of once per
// record.
func (in *intake) submit() {
	if len(in.batch) == 0 {
		return
	}
	defer func() { // never submitted twice, whatever happens
		clear(in.batch)
		in.batch = in.batch[:0]
		clear(in.parsed)
		in.parsed = in.parsed[:0]
	}()
	in.st.pl.producer.ProduceAllAs(in.st.target.Principal, in.st.target.Topic, in.batch)
}

// nextRecord returns where the next record is parsed: after the batched
// ones, which ProduceAll reads and does not keep, so a stream holds records
// only until they are submitted, not until they are reported.
func (in *intake) nextRecord() *record.Record {
	if len(in.parsed) == cap(in.parsed) {
		// Records already batched keep their place in the old array.
		in.parsed = make([]record.Record, 0, min(max(2*cap(in.parsed), 1), maxBatch))
	}
	return &in.parsed[:len(in.parsed)+1][len(in.parsed)]
}

// endOfInput classifies why the decoder stopped. A fatal decoding error is
// the stream's last report (the decoder returns it again if the intake
// pauses for room first); read errors end the stream with what it has.
func (in *intake) endOfInput(err error) (paused bool) {
	st := in.st
	fatal, isFatal := err.(*apierror.Error) // the decoder returns its errors as they are
	switch {
	case errors.Is(err, io.EOF):
		in.st.result.end = endInput
	case isFatal:
		in.st.result.end = endFatal
		s, paused := in.admit(0)
		if paused {
			return true
		}
		if s != nil {
			st.queue.fail(s, fatal)
		}
	case errors.Is(err, errStopped) && st.halt.isStopping():
		in.st.result.end = endShutdown
	case errors.Is(err, os.ErrDeadlineExceeded):
		in.st.result.end = endIdle
	default:
		in.st.result.end = endClient
	}
	return false
}

// recordCeiling bounds one record's JSON text whatever is configured. A
// record is held whole before it is parsed, so without a ceiling one
// endless string would grow the heap until the process dies.
const recordCeiling = 64 << 20

// RecordLimit is the per-record size limit the decoder enforces: the
// configured http.maxRecordBytes, or when that is 0 the largest JSON text a
// record Kafka accepts can take (producer.maxMessageBytes of STRING data
// that is all six-byte \u escapes, plus room for the rest of the record),
// and never above the ceiling.
func RecordLimit(configured, maxMessageBytes int) int {
	if configured <= 0 {
		configured = 6*maxMessageBytes + 64<<10
	}
	return min(configured, recordCeiling)
}
