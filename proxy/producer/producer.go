// Package producer is the Kafka side of the produce proxy: one shared,
// asynchronous kafka-go Writer per process, the topic metadata the server
// checks requests against, and the mapping of Kafka failures to the API's
// error codes.
//
// Every record handed to Produce gets exactly one Result, by the producer's
// delivery timeout at the latest, whatever the broker does.
package producer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// Result is the outcome of one record.
type Result struct {
	Partition int32
	Offset    int64 // -1 with acks=none: the broker does not say
	// Timestamp is the record's timestamp as sent. kafka-go reports a
	// broker's log-append time only for records sent without one, and the
	// server always stamps records, so topics with
	// message.timestamp.type=LogAppendTime store a time that differs.
	Timestamp time.Time
	// Err is nil on success, else one of the Kafka failures of package
	// apierror (docs/produce-api.md): 413, 40101, 40301, 40403,
	// 40002, 50003, 50002 or 500.
	Err *apierror.Error
}

// Producer is the one shared kafka-go Writer of a proxy process plus the
// topic metadata cache. It is safe for concurrent use.
type Producer struct {
	writer      *kafka.Writer
	partitions  *partitionCache // the Writer's per-message metadata lookups
	meta        *metadata
	deadlines   *deadlines
	credentials *credentials
	log         *slog.Logger

	maxRecordBytes int
	noOffsets      bool // acks=none: the broker answers nothing
	// flow bounds what streams hold; records kafka-go still holds after
	// their delivery timeout reported them keep their room in it, since
	// kafka-go's queue has no bound of its own.
	flow *Flow

	// closeMu orders Produce against Close: Produce holds it shared from the
	// closed check until the Writer has the record, so Close never closes
	// the Writer under a Produce call.
	closeMu  sync.RWMutex
	closed   bool
	inFlight sync.WaitGroup // records whose done has not run yet

	stopSweep chan struct{}
	swept     chan struct{}
}

// Option adjusts what New builds.
type Option func(*options)

type options struct {
	reloadMetrics reload.Metrics
}

// WithReloadMetrics counts the re-reads of kafka.sasl.passwordFile in m
// (package reload); without it they are only logged.
func WithReloadMetrics(m reload.Metrics) Option {
	return func(o *options) { o.reloadMetrics = m }
}

// New builds the Writer from cfg and starts the delivery-timeout sweep. It
// reads the TLS and SASL files but does not connect: Partitions and Ready do.
// A nil log discards.
func New(cfg config.Config, log *slog.Logger, opts ...Option) (*Producer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	pc := cfg.Producer
	acks, err := requiredAcks(pc.Acks)
	if err != nil {
		return nil, err
	}
	codec, err := compression(pc.Compression)
	if err != nil {
		return nil, err
	}
	sec, err := newSecurity(cfg.Kafka, log, o.reloadMetrics)
	if err != nil {
		return nil, err
	}
	deliveryTimeout := time.Duration(pc.DeliveryTimeoutMs) * time.Millisecond
	addr := kafka.TCP(cfg.Kafka.BootstrapServers...)
	transport := newTransport(cfg.Kafka, sec)

	p := &Producer{
		meta:      newMetadata(&kafka.Client{Addr: addr, Transport: transport}, time.Duration(pc.MetadataWaitMs)*time.Millisecond),
		deadlines: newDeadlines(deliveryTimeout),
		credentials: &credentials{
			addrs:     cfg.Kafka.BootstrapServers,
			mechanism: cfg.Kafka.SASL.Mechanism,
			username:  cfg.Kafka.SASL.Username,
			log:       log,
		},
		log:            log,
		maxRecordBytes: min(pc.MaxMessageBytes, pc.BatchMaxBytes),
		noOffsets:      acks == kafka.RequireNone,
		flow: NewFlow(int64(cfg.HTTP.MaxInFlightPerStream), cfg.HTTP.MaxInFlightBytesPerStream,
			int64(cfg.HTTP.MaxInFlightTotal), cfg.HTTP.MaxInFlightBytesTotal),
		stopSweep: make(chan struct{}),
		swept:     make(chan struct{}),
	}
	if sec.sasl != nil {
		p.credentials.dialer = &kafka.Dialer{
			ClientID:      cfg.Kafka.ClientID,
			Timeout:       dialTimeout,
			TLS:           sec.tls,
			SASLMechanism: sec.sasl,
		}
	}
	p.partitions = newPartitionCache(transport)
	p.writer = &kafka.Writer{
		Addr:         addr,
		Transport:    p.partitions,
		Balancer:     newPartitionBalancer(pc.BatchMaxRecords),
		RequiredAcks: acks,
		Compression:  codec,
		BatchTimeout: time.Duration(pc.LingerMs) * time.Millisecond,
		BatchSize:    pc.BatchMaxRecords,
		BatchBytes:   int64(pc.BatchMaxBytes),
		MaxAttempts:  pc.MaxAttempts,
		// Attempts and their backoff fit the delivery timeout, so kafka-go
		// itself gives up on a batch around the time its records were
		// reported; the deadlines sweep covers the time batches wait in line.
		WriteTimeout:    max(deliveryTimeout/time.Duration(pc.MaxAttempts), 10*time.Millisecond),
		WriteBackoffMin: min(100*time.Millisecond, deliveryTimeout/20),
		WriteBackoffMax: min(time.Second, deliveryTimeout/10),
		Async:           true,
		Completion:      p.complete,
	}
	if pc.LingerMs == 0 {
		// kafka-go reads zero as its one-second default.
		p.writer.BatchTimeout = time.Microsecond
	}
	go p.sweep(sweepInterval(deliveryTimeout))
	return p, nil
}

// Partitions returns the topic's partition count from cached metadata. A
// count that is only stale is returned at once while one background fetch
// renews it; a missing one (never fetched, or forgotten after a failed
// fetch) is fetched, waiting at most producer.metadataWaitMs, and callers
// that miss together share that fetch. Errors wrap ErrUnknownTopic,
// ErrTopicAuthorization or ErrUnavailable.
func (p *Producer) Partitions(ctx context.Context, topic string) (int, error) {
	n, err := p.meta.partitions(ctx, topic)
	if errors.Is(err, ErrUnavailable) {
		if errors.Is(p.credentials.classify(err, true), errCredentialsRefused) {
			return 0, fmt.Errorf("%w: %w", ErrUnavailable, errCredentialsRefused)
		}
	}
	return n, err
}

// Flow is the bound on what streams hold, shared with the producer.
func (p *Producer) Flow() *Flow { return p.flow }

// Ready reports whether a broker answers now, for /readyz.
func (p *Producer) Ready(ctx context.Context) error { return p.meta.ready(ctx) }

// Stats returns kafka-go's Writer counters since the previous call, for /metrics.
func (p *Producer) Stats() kafka.WriterStats { return p.writer.Stats() }

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
	p.ProduceAll(topic, []Pending{{Rec: rec, Done: done}})
}

// Pending is a record for ProduceAll and its done callback.
type Pending struct {
	Rec  *record.Record
	Done func(Result)
}

// ProduceAll is Produce for several records of one topic, in order. They
// reach kafka-go in one call: its Writer takes a lock and builds a map per
// call, and the delivery timeouts take theirs, so a stream that hands over
// what one read of its socket brought pays those once, not per record.
// ProduceAll does not keep pending.
func (p *Producer) ProduceAll(topic string, pending []Pending) {
	// kafka-go copies each message into its batches, so the slice is
	// reused from call to call.
	buf := messageBuffers.Get().(*[]kafka.Message)
	defer func() {
		clear(*buf)
		*buf = (*buf)[:0]
		messageBuffers.Put(buf)
	}()
	msgs := (*buf)[:0]
	for _, pr := range pending {
		rec := pr.Rec
		size := recordBytes(rec)
		if size > p.maxRecordBytes {
			pr.Done(Result{Partition: rec.Partition, Offset: -1, Timestamp: rec.Timestamp,
				Err: mapError(fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, size, p.maxRecordBytes))})
			continue
		}
		d := &delivery{want: rec.Partition, partition: rec.Partition, size: int64(size), done: pr.Done}
		p.deadlines.stamp(d)
		msgs = append(msgs, kafka.Message{
			Topic:      topic,
			Key:        rec.Key.Bytes,
			Value:      rec.Value.Bytes,
			Headers:    kafkaHeaders(rec.Headers),
			Time:       rec.Timestamp,
			WriterData: d,
		})
	}
	*buf = msgs
	if len(msgs) == 0 {
		return
	}

	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		for i := range msgs {
			d := msgs[i].WriterData.(*delivery)
			d.done(Result{Partition: d.partition, Offset: -1, Timestamp: msgs[i].Time, Err: mapError(errClosed)})
		}
		return
	}
	p.inFlight.Add(len(msgs))
	switch err := p.enqueue(topic, msgs); {
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
			p.closeMu.RLock()
			p.enqueueOne(topic, msgs[i])
		}
	}
}

// messageBuffers recycles ProduceAll's message slices.
var messageBuffers = sync.Pool{New: func() any { return new([]kafka.Message) }}

// enqueueOne hands one message to the Writer and watches its deadline, or
// reports its failure. The caller holds the close lock shared; enqueue
// releases it.
func (p *Producer) enqueueOne(topic string, msg kafka.Message) {
	d := msg.WriterData.(*delivery)
	if err := p.enqueue(topic, []kafka.Message{msg}); err != nil {
		p.finish(d, p.failure(topic, d.partition, msg.Time, err))
		return
	}
	p.deadlines.addAll(topic, []kafka.Message{msg})
}

// enqueue hands msgs to the Writer and releases the close lock that its
// caller took. A panic on the way (the balancer finding no partitions, or a
// bug) becomes the records' error: the lock and the records' accounting
// must not leak with it, or Close would wait for ever.
func (p *Producer) enqueue(topic string, msgs []kafka.Message) (err error) {
	defer p.closeMu.RUnlock()
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
	return p.writer.WriteMessages(context.Background(), msgs...)
}

// complete is the Writer's Completion: one call per batch of one partition.
func (p *Producer) complete(msgs []kafka.Message, err error) {
	if len(msgs) == 0 {
		return
	}
	// kafka-go sets Message.Partition only on success; the balancer noted it.
	topic, partition := msgs[0].Topic, msgs[0].WriterData.(*delivery).partition
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
	d.done(res)
	p.inFlight.Done()
	return true
}

// sweep reports 50003 for records past their delivery timeout, until Close.
func (p *Producer) sweep(every time.Duration) {
	defer close(p.swept)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-p.stopSweep:
			return
		case <-tick.C:
		}
		for _, d := range p.deadlines.expired() {
			if !d.state.CompareAndSwap(statePending, stateExpired) {
				continue
			}
			p.flow.hold(d.size)
			d.done(Result{Partition: d.partition, Offset: -1, Err: mapError(errDeliveryTimeout)})
			p.inFlight.Done()
		}
	}
}

// Close stops accepting records, waits until every queued record has been
// reported (by the delivery timeout at the latest), then closes the Writer.
// A Writer still retrying for an unresponsive broker is given one more
// delivery timeout to stop.
func (p *Producer) Close() error {
	p.closeMu.Lock()
	if p.closed {
		p.closeMu.Unlock()
		return nil
	}
	p.closed = true
	p.closeMu.Unlock()

	writerClosed := make(chan error, 1)
	go func() { writerClosed <- p.writer.Close() }() // flushes partial batches
	p.inFlight.Wait()
	close(p.stopSweep)
	<-p.swept

	select {
	case err := <-writerClosed:
		return err
	case <-time.After(p.deadlines.timeout):
		return fmt.Errorf("close kafka writer: still retrying for an unresponsive broker after %s", p.deadlines.timeout)
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

func kafkaHeaders(hs []record.Header) []kafka.Header {
	if len(hs) == 0 {
		return nil
	}
	out := make([]kafka.Header, len(hs))
	for i, h := range hs {
		out[i] = kafka.Header{Key: h.Name, Value: h.Value}
	}
	return out
}
