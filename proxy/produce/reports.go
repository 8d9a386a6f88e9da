package produce

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// writeBufferSize is how many report bytes are collected before they are
// written even though more reports are ready; they are flushed to the
// socket when no further report is ready.
const writeBufferSize = 32 << 10

// reporter is the stream's report loop, on the handler's goroutine: it
// awaits the reports in input order, encodes them and writes them.
type reporter struct {
	st       *Stream
	ready    []*slot
	readyBuf [64]*slot
	// buf holds the encoded reports not yet written. It comes from the
	// pipeline's pool only while there are reports to write and goes back
	// before the loop waits: a stream waiting for Kafka or its client, which
	// is most of a trickling stream's life, holds none, so a thousand open
	// streams do not pin 36 MiB of buffers.
	buf *[]byte
	// deadline fires when the grace period after the maximum age, or the
	// shutdown drain, runs out; the stream then ends.
	deadline <-chan time.Time
	// principal counts the reports by client; exemplar goes with their
	// latency, nil when the request is not sampled.
	principal *management.PrincipalSeries
	exemplar  prometheus.Labels
}

// run writes every report and returns true, or false as soon as the client
// cannot be written to any more.
func (r *reporter) run() bool {
	st := r.st
	r.ready = r.readyBuf[:0]
	defer r.putBuffer()
	stopping := st.halt.stopping
	for {
		var complete bool
		r.ready, complete = st.queue.takeReady(r.ready[:0])
		if len(r.ready) > 0 {
			if !r.encode() {
				return false
			}
			continue
		}
		if !r.flush(!complete) {
			return false
		}
		if complete {
			return true
		}
		if r.deadline == nil && st.halt.pastMaxAge.Load() {
			r.deadline = time.After(st.pl.settings.Grace)
		}
		select {
		case <-st.queue.ready:
		case <-stopping:
			stopping = nil
			r.deadline = time.After(st.pl.settings.Drain)
		case <-r.deadline:
			// The grace period or the drain is over: no more records
			// are read, and those Kafka has not answered are reported.
			st.src.body.stop()
			st.queue.abandon(apierror.New(apierror.Unconfirmed))
		}
	}
}

// encode appends the ready reports to the buffer, releases their slots and
// room, and writes the buffer once it is full.
func (r *reporter) encode() bool {
	st := r.st
	if r.buf == nil {
		r.buf = st.pl.buffers.Get().(*[]byte)
	}
	now := time.Now()
	bytes := 0
	for _, s := range r.ready {
		*r.buf = r.appendReport(*r.buf, s, now)
		bytes += s.size
	}
	// The slots first, then their room: room given back lets the intake
	// push, and the ring must have the slots free by then. The slots are
	// the intake's again once released, so their sizes were summed before.
	st.queue.release(len(r.ready))
	st.flow.Release(len(r.ready), bytes)
	if len(*r.buf) < writeBufferSize {
		return true
	}
	err := st.out.write(*r.buf, false)
	*r.buf = (*r.buf)[:0]
	return r.written(err)
}

// flush writes what the buffer holds, to the socket when more reports will
// follow. The last reports of a stream are not flushed: net/http sends them
// with the response's final chunk in one write when the handler returns,
// which halves the syscalls of a one-record request.
func (r *reporter) flush(more bool) bool {
	if r.buf != nil && len(*r.buf) > 0 && !r.written(r.st.out.write(*r.buf, more)) {
		return false
	}
	r.putBuffer()
	return true
}

// written notes why reports could not be written, and reports whether they
// were.
func (r *reporter) written(err error) bool {
	if err != nil {
		r.st.result.writeErr = err
	}
	return err == nil
}

func (r *reporter) putBuffer() {
	if r.buf != nil {
		*r.buf = (*r.buf)[:0]
		r.st.pl.buffers.Put(r.buf)
		r.buf = nil
	}
}

// appendReport appends one record's report and counts it.
func (r *reporter) appendReport(buf []byte, s *slot, now time.Time) []byte {
	st := r.st
	kind := apierror.Success
	if e := s.result.Err; e != nil {
		kind = e.Kind
		buf = record.AppendError(buf, e)
	} else {
		buf = record.AppendSuccess(buf, &record.Success{
			ClusterID: st.target.ClusterID,
			Topic:     st.target.Topic,
			Partition: s.result.Partition,
			Offset:    s.result.Offset,
			Timestamp: s.result.Timestamp,
			Key:       s.key,
			Value:     s.value,
		})
	}
	latency := time.Duration(-1) // an abandoned slot may still be filled by the intake
	if !s.abandoned {
		latency = now.Sub(s.readAt)
	}
	st.pl.metrics.Report(kind, latency, r.exemplar)
	r.principal.Count(kind)
	st.result.counts[kind]++
	return buf
}
