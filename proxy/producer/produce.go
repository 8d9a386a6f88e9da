package producer

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Produce queues rec for topic and returns at once; done is called exactly
// once and must not block. It runs on a writer goroutine, or before Produce
// returns for a record refused up front (too large, producer closing, or
// Kafka not acknowledging earlier records). rec.Partition >= 0 is
// honoured (the caller checked it against Partitions); otherwise keyed
// records go where the Java client would put them (murmur2) and keyless ones
// fill one partition's batch at a time.
//
// Records larger than producer.maxMessageBytes fail with 413 without being
// queued: the size counted is key plus value plus header names and values, a
// few bytes under what Kafka counts, and kafka-go would fail a whole batch
// for one oversized record.
func (p *Producer) Produce(topic string, rec *record.Record, done func(Result)) {
	p.ProduceAll(topic, []Pending{{Rec: rec, To: DoneFunc(done)}})
}

// Pending is a record for ProduceAll and who receives its Result.
type Pending struct {
	Rec *record.Record
	To  Receiver
	// From is the request the record came from, for tracing; nil: not
	// traced.
	From *Origin
}

// Receiver receives a record's Result: exactly once, from the goroutine
// that has it, and must not block.
type Receiver interface {
	Produced(Result)
}

// DoneFunc is a function as a Receiver.
type DoneFunc func(Result)

// Produced calls f.
func (f DoneFunc) Produced(r Result) { f(r) }

// ProduceAll is Produce for several records of one topic, in order. They
// reach kafka-go in one call: its Writer takes a lock and builds a map per
// call, and the delivery timeouts take theirs, so a stream that hands over
// what one read of its socket brought pays those once, not per record.
// ProduceAll does not keep pending.
func (p *Producer) ProduceAll(topic string, pending []Pending) { p.ProduceAllAs("", topic, pending) }

// ProduceAllAs is ProduceAll for the client named principal: under
// kafka.identity principal, its records are written with its own Kafka
// user's Writer.
func (p *Producer) ProduceAllAs(principal, topic string, pending []Pending) {
	// kafka-go copies each message into its batches, so the slice is
	// reused from call to call.
	buf := messageBuffers.Get().(*[]kafka.Message)
	defer func() {
		clear(*buf)
		*buf = (*buf)[:0]
		messageBuffers.Put(buf)
	}()
	msgs := p.messages(topic, pending, (*buf)[:0])
	*buf = msgs
	if len(msgs) == 0 {
		return
	}

	p.closing.mu.RLock()
	if p.closing.closed {
		p.closing.mu.RUnlock()
		for i := range msgs {
			d := msgs[i].WriterData.(*delivery)
			d.to.Produced(Result{Partition: d.partition, Offset: -1, Timestamp: msgs[i].Time, Err: mapError(errClosed)})
		}
		return
	}
	p.closing.inFlight.Add(len(msgs))
	w, err := p.writers.of(principal)
	if err != nil {
		p.closing.mu.RUnlock()
		p.failAll(topic, msgs, err)
		return
	}
	switch err := p.enqueue(w, topic, msgs); {
	case err == nil:
		p.deadlines.addAll(topic, msgs)
	case len(msgs) == 1:
		d := msgs[0].WriterData.(*delivery)
		p.finish(d, p.failure(topic, d.partition, msgs[0].Time, err))
	default:
		// kafka-go checks every message before it queues any, so none
		// of these is queued. Hand them over one by one, so that a
		// record kafka-go refuses (too large once framed, say) fails
		// alone, as it would have in a call of its own.
		for i := range msgs {
			p.closing.mu.RLock()
			p.enqueueOne(w, topic, msgs[i])
		}
	}
}

// failAll reports err for each of msgs, counted in flight and not queued.
func (p *Producer) failAll(topic string, msgs []kafka.Message, err error) {
	for i := range msgs {
		d := msgs[i].WriterData.(*delivery)
		p.finish(d, p.failure(topic, d.partition, msgs[i].Time, err))
	}
}

// messages appends to msgs the Kafka message of each pending record, and
// fails at once the records above the message size limit.
func (p *Producer) messages(topic string, pending []Pending, msgs []kafka.Message) []kafka.Message {
	for _, pr := range pending {
		rec := pr.Rec
		traceparent := traceparentOf(pr.From, rec)
		size := recordBytes(rec) + p.shape.ids.size() + traceparentSize(traceparent)
		if size > p.shape.maxRecordBytes {
			pr.To.Produced(Result{Partition: rec.Partition, Offset: -1, Timestamp: rec.Timestamp,
				Err: mapError(fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, size, p.shape.maxRecordBytes))})
			continue
		}
		d := &delivery{want: rec.Partition, partition: rec.Partition, size: int64(size), to: pr.To, origin: pr.From}
		p.deadlines.stamp(d)
		msgs = append(msgs, kafka.Message{
			Topic:      topic,
			Key:        rec.Key.Bytes,
			Value:      rec.Value.Bytes,
			Headers:    p.headers(rec, pr.From, traceparent),
			Time:       rec.Timestamp,
			WriterData: d,
		})
	}
	return msgs
}

// messageBuffers recycles ProduceAll's message slices.
var messageBuffers = sync.Pool{New: func() any { return new([]kafka.Message) }}

// enqueueOne hands one message to the Writer and watches its deadline, or
// reports its failure. The caller holds the close lock shared; enqueue
// releases it.
func (p *Producer) enqueueOne(w *kafka.Writer, topic string, msg kafka.Message) {
	d := msg.WriterData.(*delivery)
	if err := p.enqueue(w, topic, []kafka.Message{msg}); err != nil {
		p.finish(d, p.failure(topic, d.partition, msg.Time, err))
		return
	}
	p.deadlines.addAll(topic, []kafka.Message{msg})
}

// enqueue hands msgs to the Writer and releases the close lock that its
// caller took. A panic on the way (the balancer finding no partitions, or a
// bug) becomes the records' error: the lock and the records' accounting
// must not leak with it, or Close would wait for ever.
func (p *Producer) enqueue(w *kafka.Writer, topic string, msgs []kafka.Message) (err error) {
	defer p.closing.mu.RUnlock()
	defer func() {
		switch r := recover(); {
		case r == nil:
		case r == errNoPartitions:
			err = fmt.Errorf("topic %q: %w", topic, protocol.ErrNoPartition)
		default:
			p.log.Error("panic while queueing a record", "topic", topic, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("queue record for topic %q: panic: %v", topic, r)
		}
	}()
	// Async: returns once queued. It reads the transport's cached metadata,
	// which waits only before the first metadata answer, and Partitions,
	// which the server calls first, already waited for that.
	return w.WriteMessages(context.Background(), msgs...)
}

// complete is the Writer's Completion: one call per batch of one partition.
func (p *Producer) complete(msgs []kafka.Message, err error) {
	if len(msgs) == 0 {
		return
	}
	// kafka-go sets Message.Partition only on success; the balancer noted it.
	topic, partition := msgs[0].Topic, msgs[0].WriterData.(*delivery).partition
	if p.tracer != nil {
		p.traceBatch(msgs, partition, err)
	}
	var failed Result
	if err != nil {
		failed = p.failure(topic, partition, time.Time{}, err)
	}
	for i := range msgs {
		m := &msgs[i]
		d := m.WriterData.(*delivery)
		res := failed
		res.Timestamp = m.Time
		if err == nil {
			res = Result{Partition: d.partition, Offset: m.Offset, Timestamp: m.Time}
			if p.noOffsets {
				res.Offset = -1
			}
		}
		if !p.finish(d, res) && d.state.Load() == stateExpired {
			p.flow.give(d.size) // kafka-go is done with a record reported earlier
		}
	}
	p.deadlines.trim(topicPartition{topic, partition})
}

// failure builds the Result of a failed record and acts on what the error
// says about the cluster: stale metadata, or refused credentials.
func (p *Producer) failure(topic string, partition int32, ts time.Time, err error) Result {
	if isMetadataStale(err) {
		p.meta.invalidate(topic)
		p.partitions.forget(topic)
	}
	err = p.credentials.classify(err, false)
	res := Result{Partition: partition, Offset: -1, Timestamp: ts, Err: mapError(err)}
	if res.Err.Kind == apierror.KafkaTopicForbidden {
		res.Err = apierror.Detailf(apierror.KafkaTopicForbidden, "%s (topic %s)", res.Err.Message, topic)
	}
	if k := res.Err.Kind; k == apierror.RecordInternal || k == apierror.KafkaError {
		p.log.Error("produce failed", "topic", topic, "partition", partition, "error", err)
	}
	return res
}

// finish reports res for d unless d was reported already.
func (p *Producer) finish(d *delivery, res Result) bool {
	if !d.state.CompareAndSwap(statePending, stateDone) {
		return false
	}
	d.to.Produced(res)
	p.closing.inFlight.Done()
	return true
}

// sweep reports 50003 for records past their delivery timeout, until Close.
func (p *Producer) sweep(every time.Duration) {
	defer close(p.sweeper.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-p.sweeper.stop:
			return
		case <-tick.C:
		}
		if p.writers.principals != nil {
			p.writers.principals.closeIdle(time.Now())
		}
		for _, d := range p.deadlines.expired() {
			if !d.state.CompareAndSwap(statePending, stateExpired) {
				continue
			}
			p.flow.hold(d.size)
			d.to.Produced(Result{Partition: d.partition, Offset: -1, Err: mapError(errDeliveryTimeout)})
			p.closing.inFlight.Done()
		}
	}
}

// recordBytes is the size the maxMessageBytes check compares: the bytes the
// client sent, without Kafka's per-record framing.
func recordBytes(rec *record.Record) int {
	n := len(rec.Key.Bytes) + len(rec.Value.Bytes)
	for _, h := range rec.Headers {
		n += len(h.Name) + len(h.Value)
	}
	return n
}

// headers are the Kafka headers of rec: a record with no headers of its
// own and no id header shares its origin's traceparent header.
func (p *Producer) headers(rec *record.Record, from *Origin, traceparent []byte) []kafka.Header {
	if traceparent != nil && len(rec.Headers) == 0 && p.shape.ids == nil {
		return from.headers
	}
	return kafkaHeaders(rec.Headers, p.shape.ids, traceparent)
}

// kafkaHeaders are the record's headers, in order, then its id header
// when ids is not nil, then a traceparent header when traceparent is not
// nil.
func kafkaHeaders(hs []record.Header, ids *recordIDs, traceparent []byte) []kafka.Header {
	n := len(hs)
	if ids != nil {
		n++
	}
	if traceparent != nil {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make([]kafka.Header, len(hs), n)
	for i, h := range hs {
		out[i] = kafka.Header{Key: h.Name, Value: h.Value}
	}
	if ids != nil {
		out = append(out, ids.header())
	}
	if traceparent != nil {
		out = append(out, kafka.Header{Key: TraceparentHeader, Value: traceparent})
	}
	return out
}
