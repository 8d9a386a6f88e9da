package produce

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// Batch is one records:batch request after its checks passed
// (docs/produce-api.md, "Batch produce"): its body is read whole, one
// entry at a time, and checked; if the batch as a whole is refused, nothing
// is produced; otherwise every entry that passes its own checks goes to
// Kafka in one call, and the answer, 207 with the successes and failures
// in request order, is written once each entry is settled.
type Batch struct {
	pl      *Pipeline
	req     *http.Request
	w       http.ResponseWriter
	rc      *http.ResponseController
	body    body
	input   io.Reader
	inflate *inflater
	latin1  bool
	start   time.Time

	stopping chan struct{} // closed by Stop: the server shuts down
	stopOnce sync.Once
}

// NewBatch prepares the batch request req, whose body is in format.
// Nothing is read yet.
func (pl *Pipeline) NewBatch(w http.ResponseWriter, req *http.Request, format BodyFormat) *Batch {
	rc := http.NewResponseController(w)
	b := &Batch{pl: pl, req: req, w: w, rc: rc, latin1: format.Latin1, start: time.Now(), stopping: make(chan struct{})}
	b.body = body{r: req.Body, rc: rc, idle: pl.settings.Idle}
	// http.maxRequestBytes bounds what a batch holds, however it is
	// sent: its Content-Length was checked, and here what it reads,
	// decompressed.
	limit := pl.settings.MaxRequestBytes
	var r io.Reader = &b.body
	if format.Encoding == Identity && limit > 0 && req.ContentLength < 0 {
		r = &limitReader{r: r, left: limit}
	}
	b.input, b.inflate = pl.openBody(r, format, limit)
	return b
}

// BodyRead reports whether the request body was read to its end.
func (b *Batch) BodyRead() bool { return b.body.isEOF() }

// Stop makes a batch that is still reading its body refuse it (503), and
// one that waits for Kafka answer within the shutdown drain.
func (b *Batch) Stop() {
	b.stopOnce.Do(func() {
		close(b.stopping)
		b.body.stop()
	})
}

// batchEntry is one entry of a batch from its reading to its answer.
type batchEntry struct {
	id         string
	size       int
	readAt     time.Time
	key, value record.Summary
	// err is the entry's failure before Kafka; result Kafka's answer.
	err     *apierror.Error
	result  producer.Result
	settled bool
	waiter  *batchWaiter
}

// batchWaiter collects the results of a batch's submitted entries.
type batchWaiter struct {
	mu     sync.Mutex
	left   int
	closed bool // the answer is being written: later results are dropped
	done   chan struct{}
	// release gives the batch's flow room back once every result is in,
	// which may be after the answer (a result the delivery timeout
	// overtook).
	release func()
}

// Produced is the producer's answer for the entry's record.
func (e *batchEntry) Produced(r producer.Result) {
	w := e.waiter
	w.mu.Lock()
	if !w.closed && !e.settled {
		e.result, e.settled = r, true
	}
	w.left--
	last := w.left == 0
	w.mu.Unlock()
	if last {
		w.release()
		close(w.done)
	}
}

// Serve reads, checks and produces the batch, and writes its 207. It
// returns the refusal of a batch refused as a whole, having written
// nothing, or nil.
func (b *Batch) Serve(t Target) *apierror.Error {
	defer func() {
		if b.inflate != nil {
			b.inflate.close()
		}
	}()
	entries, parsed, refusal := b.read()
	if refusal != nil {
		return refusal
	}
	pl := b.pl
	var pending []producer.Pending
	var bytes int64
	for i := range entries {
		e := &entries[i]
		pl.metrics.ReceivedBytes(e.size)
		if e.err != nil {
			continue
		}
		rec := parsed[i]
		if e.err = t.check(rec, e.readAt, e.size, nil); e.err != nil {
			continue
		}
		e.key, e.value = rec.Key.Summary(), rec.Value.Summary()
		pending = append(pending, producer.Pending{Rec: rec, To: e, From: t.Origin})
		bytes += int64(e.size)
	}
	w := &batchWaiter{left: len(pending), done: make(chan struct{})}
	if len(pending) == 0 {
		close(w.done)
	} else {
		flow := pl.producer.Flow()
		if !flow.TryTakeBatch(int64(len(pending)), bytes) && !flow.TakeBatch(int64(len(pending)), bytes, b.abort()) {
			if b.isStopping() {
				return apierror.New(apierror.ShuttingDown)
			}
			return nil // the client went away: nothing was produced
		}
		n := int64(len(pending))
		w.release = func() { flow.GiveBatch(n, bytes) }
		for i := range entries {
			entries[i].waiter = w
		}
		// The records go to Kafka together, in one call.
		pl.producer.ProduceAllAs(t.Principal, t.Topic, pending)
	}
	clear(parsed)
	b.await(w)
	b.answer(&t, entries)
	return nil
}

// abort is closed when waiting for flow room should end: the client went
// away or the server shuts down.
func (b *Batch) abort() <-chan struct{} {
	ctx := b.req.Context()
	abort := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-b.stopping:
		}
		close(abort)
	}()
	return abort
}

func (b *Batch) isStopping() bool {
	select {
	case <-b.stopping:
		return true
	default:
		return false
	}
}

// read reads the whole body and returns its entries, with the parsed
// record of each entry that parsed (nil for the others), or the refusal of
// the batch.
func (b *Batch) read() ([]batchEntry, []*record.Record, *apierror.Error) {
	pl := b.pl
	maxEntries := pl.settings.MaxBatchEntries
	length := b.req.ContentLength
	if b.inflate != nil || b.latin1 {
		length = -1 // what it reads is not what was sent
	}
	dec := record.NewBatchDecoderSize(b.input, pl.settings.MaxRecordBytes, length)
	var arena record.Arena
	entries := make([]batchEntry, 0, min(maxEntries, 16))
	records := make([]record.Record, 0, min(maxEntries, 16))
	ids := make(map[string]struct{}, min(maxEntries, 16))
	b.body.progress()
	for {
		e, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, b.readRefusal(err)
		}
		b.body.progress() // idle is no entry for the idle timeout
		if len(entries) == maxEntries {
			n, err := dec.Count()
			if err != nil {
				return nil, nil, b.readRefusal(err)
			}
			return nil, nil, batchRefusal("the batch has %d entries; at most %d are accepted", n, maxEntries)
		}
		if _, dup := ids[e.ID]; dup {
			return nil, nil, batchRefusal("entry ids must be distinct; %s appears twice", record.AppendJSONString(nil, e.ID))
		}
		ids[e.ID] = struct{}{}
		be := batchEntry{id: e.ID, size: e.Size, readAt: time.Now()}
		var rec record.Record
		if e.TooLarge {
			be.err = apierror.New(apierror.RecordTooLarge)
		} else {
			rec, be.err = record.ParseEntryIn(e.Raw, &arena)
		}
		entries = append(entries, be)
		records = append(records, rec)
	}
	if len(entries) == 0 {
		return nil, nil, batchRefusal("the batch has no entries")
	}
	// The records are in place now: point at them.
	parsed := make([]*record.Record, len(records))
	for i := range records {
		if entries[i].err == nil {
			parsed[i] = &records[i]
		}
	}
	return entries, parsed, nil
}

// readRefusal is the refusal of a batch whose body failed with err.
func (b *Batch) readRefusal(err error) *apierror.Error {
	var ae *apierror.Error
	switch {
	case errors.As(err, &ae) && ae.Kind == apierror.InvalidBatch:
		return ae
	case errors.As(err, &ae): // from the decompressor or the size limit
		return refusalOf(ae)
	case errors.Is(err, errStopped):
		return apierror.New(apierror.ShuttingDown)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return apierror.New(apierror.IdleBeforeData)
	default: // broken chunk framing, or a body cut short
		return apierror.New(apierror.MalformedBody, err.Error())
	}
}

func batchRefusal(format string, args ...any) *apierror.Error {
	return apierror.Detailf(apierror.InvalidBatch, "Bad Request: "+format+".", args...)
}
