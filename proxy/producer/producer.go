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
	"net"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
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
	writers     writers
	partitions  *partitionCache // the Writer's per-message metadata lookups
	meta        *metadata
	deadlines   *deadlines
	credentials *credentials
	log         *slog.Logger

	shape     messageShape
	noOffsets bool         // acks=none: the broker answers nothing
	tracer    trace.Tracer // nil: tracing is off
	// flow bounds what streams hold; records kafka-go still holds after
	// their delivery timeout reported them keep their room in it, since
	// kafka-go's queue has no bound of its own.
	flow *Flow

	closing closing
	sweeper sweeper
}

// sweeper controls the delivery-timeout sweep: closing stop stops it, and
// done is closed when it has.
type sweeper struct{ stop, done chan struct{} }

// newCredentials is the check of the proxy's own Kafka credentials; it
// dials only when SASL is on.
func newCredentials(k config.Kafka, sec security, log *slog.Logger) *credentials {
	c := &credentials{addrs: k.BootstrapServers, mechanism: k.SASL.Mechanism, username: k.SASL.Username, log: log}
	if sec.sasl != nil {
		c.dialer = &kafka.Dialer{ClientID: k.ClientID, Timeout: dialTimeout, TLS: sec.tls, SASLMechanism: sec.sasl}
	}
	return c
}

// messageShape is how a record becomes a Kafka message: the size it may
// have, and the id header it may get.
type messageShape struct {
	maxRecordBytes int
	ids            *recordIDs // nil: producer.recordIdHeader is off
}

func newMessageShape(pc config.Producer) (messageShape, error) {
	s := messageShape{maxRecordBytes: min(pc.MaxMessageBytes, pc.BatchMaxBytes)}
	if pc.RecordIDHeader {
		ids, err := newRecordIDs()
		if err != nil {
			return messageShape{}, err
		}
		s.ids = ids
	}
	return s, nil
}

// closing orders Produce against Close: Produce holds mu shared from the
// closed check until the Writer has the record, so Close never closes the
// Writer under a Produce call; inFlight counts the records whose done has
// not run yet, for Close to wait for.
type closing struct {
	mu       sync.RWMutex
	closed   bool
	inFlight sync.WaitGroup
}

// Option adjusts what New builds.
type Option func(*options)

type options struct {
	reloadMetrics reload.Metrics
	tracer        trace.Tracer
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
	shape, err := newMessageShape(pc)
	if err != nil {
		return nil, err
	}
	deliveryTimeout := time.Duration(pc.DeliveryTimeoutMs) * time.Millisecond
	addr := kafka.TCP(cfg.Kafka.BootstrapServers...)
	transport := newTransport(cfg.Kafka, sec)

	p := &Producer{
		meta:        newMetadata(&kafka.Client{Addr: addr, Transport: transport}, time.Duration(pc.MetadataWaitMs)*time.Millisecond),
		deadlines:   newDeadlines(deliveryTimeout),
		credentials: newCredentials(cfg.Kafka, sec, log),
		log:         log,
		tracer:      o.tracer,
		shape:       shape,
		noOffsets:   acks == kafka.RequireNone,
		flow: NewFlow(int64(cfg.HTTP.MaxInFlightPerStream), cfg.HTTP.MaxInFlightBytesPerStream,
			int64(cfg.HTTP.MaxInFlightTotal), cfg.HTTP.MaxInFlightBytesTotal),
		sweeper: sweeper{stop: make(chan struct{}), done: make(chan struct{})},
	}
	p.partitions = newPartitionCache(transport)
	p.writers.proxy = newWriter(pc, addr, p.partitions, acks, codec, deliveryTimeout)
	p.writers.proxy.Completion = p.complete
	if cfg.Kafka.Identity == config.IdentityPrincipal {
		p.writers.principals = newPrincipalWriters(cfg.Kafka, sec, func(rt kafka.RoundTripper) *kafka.Writer {
			w := newWriter(pc, addr, newPartitionCache(rt), acks, codec, deliveryTimeout)
			w.Completion = p.complete
			return w
		}, log)
	}
	go p.sweep(sweepInterval(deliveryTimeout))
	return p, nil
}

// newWriter is the one asynchronous kafka-go Writer of the process, its
// retries fitted to the delivery timeout.
func newWriter(pc config.Producer, addr net.Addr, transport kafka.RoundTripper, acks kafka.RequiredAcks,
	codec kafka.Compression, deliveryTimeout time.Duration) *kafka.Writer {
	w := &kafka.Writer{
		Addr:         addr,
		Transport:    transport,
		Balancer:     newPartitionBalancer(pc.BatchMaxRecords, time.Duration(pc.LingerMs)*time.Millisecond),
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
	}
	if pc.LingerMs == 0 {
		// kafka-go reads zero as its one-second default.
		w.BatchTimeout = time.Microsecond
	}
	return w
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
func (p *Producer) Stats() kafka.WriterStats { return p.writers.proxy.Stats() }

// Close stops accepting records, waits until every queued record has been
// reported (by the delivery timeout at the latest), then closes the Writer.
// A Writer still retrying for an unresponsive broker is given one more
// delivery timeout to stop.
func (p *Producer) Close() error {
	p.closing.mu.Lock()
	if p.closing.closed {
		p.closing.mu.Unlock()
		return nil
	}
	p.closing.closed = true
	p.closing.mu.Unlock()

	writerClosed := make(chan error, 1)
	go func() { writerClosed <- p.writers.close() }() // flushes partial batches
	p.closing.inFlight.Wait()
	close(p.sweeper.stop)
	<-p.sweeper.done

	select {
	case err := <-writerClosed:
		return err
	case <-time.After(p.deadlines.timeout):
		return fmt.Errorf("close kafka writer: still retrying for an unresponsive broker after %s", p.deadlines.timeout)
	}
}
