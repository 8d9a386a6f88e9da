package producer

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// One batch kafka-go sends carries the records of three requests: its
// span is a child of the first sampled request's span and links to both
// sampled ones, not to the unsampled one, with the messaging attributes of
// the batch (partition, first offset, message count). A batch of records
// of no sampled request gets no span.
func TestTraceBatch_OneSpanLinkedToTheSampledRequests(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"t": 1})
	rec := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	p, err := New(testConfig(b.Addr()), slog.New(slog.DiscardHandler), WithTracer(provider.Tracer("test")))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, bb, c := origin(1, true), origin(2, true), origin(3, false)

	res := produceFrom(t, p, a, a, bb, c)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 for the one batch", len(spans))
	}
	s := spans[0]
	if s.Parent().SpanID() != a.Span.SpanID() || s.SpanKind() != trace.SpanKindProducer || s.Name() != "send t" {
		t.Errorf("span %q kind %v parent %v, want send t, producer, child of %v", s.Name(), s.SpanKind(), s.Parent().SpanID(), a.Span.SpanID())
	}
	var linked []trace.SpanID
	for _, l := range s.Links() {
		linked = append(linked, l.SpanContext.SpanID())
	}
	if len(linked) != 2 || linked[0] != a.Span.SpanID() || linked[1] != bb.Span.SpanID() {
		t.Errorf("links %v, want %v and %v", linked, a.Span.SpanID(), bb.Span.SpanID())
	}
	want := map[string]any{
		"messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "t",
		"messaging.destination.partition.id": "0", "messaging.batch.message_count": int64(4), "messaging.kafka.offset": res[0].Offset,
	}
	got := map[string]any{}
	for _, kv := range s.Attributes() {
		got[string(kv.Key)] = kv.Value.AsInterface()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attribute %s = %v, want %v", k, got[k], v)
		}
	}

	produceFrom(t, p, c, nil)
	if n := len(rec.Ended()); n != 1 {
		t.Errorf("%d spans after a batch of no sampled request, want still 1", n)
	}
}

func origin(n byte, sampled bool) *Origin {
	var cfg trace.SpanContextConfig
	cfg.TraceID[0], cfg.SpanID[0] = n, n
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return NewOrigin(trace.NewSpanContext(cfg), nil)
}

// produceFrom produces one record per origin (nil: none) to partition 0 of
// topic t in one call, and returns their results once all are in.
func produceFrom(t *testing.T, p *Producer, origins ...*Origin) []Result {
	t.Helper()
	results := make([]Result, len(origins))
	var wg sync.WaitGroup
	wg.Add(len(origins))
	pending := make([]Pending, len(origins))
	for i, o := range origins {
		pending[i] = Pending{Rec: newRecord(0, "", "v", time.Now()), From: o, To: DoneFunc(func(r Result) {
			results[i] = r
			wg.Done()
		})}
	}
	p.ProduceAll("t", pending)
	waitGroup(t, &wg, "results")
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
	}
	return results
}
