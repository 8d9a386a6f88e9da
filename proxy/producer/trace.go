package producer

import (
	"context"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// TraceparentHeader is the record header that carries a record's trace
// context to consumers (README "Observability").
const TraceparentHeader = "traceparent"

// Origin is the request a record came from, as tracing sees it: one per
// request, shared by all its records.
type Origin struct {
	// Span is the request's server span: a batch span links to it.
	Span trace.SpanContext
	// headers is the traceparent header given to the request's records
	// that carry none, nil for none; one slice that records without
	// headers of their own share, so injecting costs them no allocation.
	headers []kafka.Header
}

// NewOrigin is the origin of a request whose server span is span; with
// traceparent set, its records get that traceparent header value.
func NewOrigin(span trace.SpanContext, traceparent []byte) *Origin {
	o := &Origin{Span: span}
	if traceparent != nil {
		o.headers = []kafka.Header{{Key: TraceparentHeader, Value: traceparent}}
	}
	return o
}

// WithTracer makes the producer start a span for each batch kafka-go sent
// that carries a record of a sampled request.
func WithTracer(t trace.Tracer) Option {
	return func(o *options) { o.tracer = t }
}

// traceparentOf is the traceparent header to add to rec, nil for none: the
// origin asks for none, or the client sent its own, which is kept.
func traceparentOf(o *Origin, rec *record.Record) []byte {
	if o == nil || o.headers == nil {
		return nil
	}
	for _, h := range rec.Headers {
		if h.Name == TraceparentHeader {
			return nil
		}
	}
	return o.headers[0].Value
}

// traceparentSize is what the header adds to a record for the
// maxMessageBytes check.
func traceparentSize(v []byte) int {
	if v == nil {
		return 0
	}
	return len(TraceparentHeader) + len(v)
}

// traceBatch records the span of one batch kafka-go sent to a partition
// (its Completion), when a record of it came from a sampled request. The
// span runs from the moment the batch's first record was handed to
// kafka-go to the broker's answer; it is a child of the first sampled
// request's span and links to every sampled request whose records it
// carries (README "Observability").
func (p *Producer) traceBatch(msgs []kafka.Message, partition int32, err error) {
	var links []trace.Link
	var last *Origin
	for i := range msgs {
		o := msgs[i].WriterData.(*delivery).origin
		if o == nil || o == last || !o.Span.IsSampled() {
			continue
		}
		last = o
		if !linked(links, o.Span) {
			links = append(links, trace.Link{SpanContext: o.Span})
		}
	}
	if len(links) == 0 {
		return
	}
	first := msgs[0].WriterData.(*delivery)
	queued := p.deadlines.start.Add(first.deadline - p.deadlines.timeout)
	ctx := trace.ContextWithSpanContext(context.Background(), links[0].SpanContext)
	topic := msgs[0].Topic
	_, span := p.tracer.Start(ctx, "send "+topic,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithTimestamp(queued),
		trace.WithLinks(links...),
		trace.WithAttributes(
			semconv.MessagingSystemKafka,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName("send"),
			semconv.MessagingDestinationName(topic),
			semconv.MessagingDestinationPartitionID(strconv.Itoa(int(partition))),
			semconv.MessagingBatchMessageCount(len(msgs)),
		))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	} else if !p.noOffsets {
		span.SetAttributes(semconv.MessagingKafkaOffset(int(msgs[0].Offset)))
	}
	span.End(trace.WithTimestamp(time.Now()))
}

func linked(links []trace.Link, sc trace.SpanContext) bool {
	for _, l := range links {
		if l.SpanContext.SpanID() == sc.SpanID() && l.SpanContext.TraceID() == sc.TraceID() {
			return true
		}
	}
	return false
}
