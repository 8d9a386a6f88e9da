package proxy

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/jaegertest"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// A stream that carries a sampled traceparent, through a proxy that
// exports to a real Jaeger: Jaeger shows the proxy's server span as a
// child of the client's span, and the Kafka send spans, with partition and
// offset, in the same trace; the records stored carry a traceparent of that
// trace, except one whose client sent its own, which is kept. The sampling
// ratio is 0: only the client's sampled flag makes the trace recorded.
func TestTracing_StreamTraceReachesJaegerAndRecordHeaders(t *testing.T) {
	jaeger := jaegertest.Start(t)
	cfg := testConfig(testBroker.Addr())
	cfg.Tracing.Enabled = true
	cfg.Tracing.Endpoint = jaeger.OTLP
	cfg.Tracing.SamplingRatio = 0
	cfg.Logging.Level = "info"
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)

	// Jaeger's API writes trace ids without leading zeros: this one has
	// none.
	now := time.Now().UnixNano()
	traceID := fmt.Sprintf("%016x%016x", now, now^0x5a5a5a5a)
	const parentID = "00f067aa0ba902b7"
	const clientHeader = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	body := `{"partition_id":0,"value":{"type":"STRING","data":"a"}}
{"partition_id":1,"value":{"type":"STRING","data":"b"}}
{"partition_id":1,"value":{"type":"STRING","data":"c"},"headers":[{"name":"traceparent","value":"` +
		b64(clientHeader) + `"}]}`
	req, _ := http.NewRequest(http.MethodPost, ts.url("c1", "traced"), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, raw := do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	reports := parseReports(t, raw)
	if len(reports) != 3 {
		t.Fatalf("%d reports, want 3: %s", len(reports), raw)
	}

	// What the records carry, read back by a separate client.
	for i, r := range reports {
		if r.ErrorCode != 200 {
			t.Fatalf("report %d: %s", i, r)
		}
		got := header(readBack(t, "traced", r.PartitionID, r.Offset).Headers, producer.TraceparentHeader)
		if i == 2 {
			if got != clientHeader {
				t.Errorf("record 2's traceparent = %q, want the client's %q", got, clientHeader)
			}
			continue
		}
		if !strings.HasPrefix(got, "00-"+traceID+"-") || !strings.HasSuffix(got, "-01") || len(got) != 55 {
			t.Errorf("record %d's traceparent = %q, want one of trace %s, sampled", i, got, traceID)
		}
	}

	if line := streamLogLine(t, &logs); line["trace_id"] != traceID {
		t.Errorf("access log trace_id = %v, want %s", line["trace_id"], traceID)
	}
	wantExemplar(t, ts, traceID)

	var spans []jaegertest.Span
	waitForWithin(t, "the trace in jaeger", 30*time.Second, func() bool {
		spans = jaeger.Trace(t, traceID)
		server, sends := classify(spans)
		return server != nil && len(sends) == 2
	}, func() string { return fmt.Sprintf("spans: %+v", spans) })
	server, sends := classify(spans)
	t.Logf("the trace as Jaeger holds it:\n%s", render(spans))
	if !hasRef(*server, "CHILD_OF", traceID, parentID) {
		t.Errorf("server span's references %+v, want CHILD_OF the client's span %s", server.References, parentID)
	}
	for tag, want := range map[string]string{"restproxy.records": "3", "restproxy.error_code.200": "3", "messaging.destination.name": "traced", "http.response.status_code": "200"} {
		if got := server.Tag(tag); got != want {
			t.Errorf("server span tag %s = %q, want %q", tag, got, want)
		}
	}
	partitions := map[string]bool{}
	for _, s := range sends {
		if !hasRef(s, "", traceID, server.SpanID) {
			t.Errorf("send span %s references %+v, want the server span %s", s.OperationName, s.References, server.SpanID)
		}
		if s.Tag("messaging.system") != "kafka" || s.Tag("messaging.operation.type") != "send" || s.Tag("messaging.kafka.offset") == "" {
			t.Errorf("send span tags %+v, want kafka, send and an offset", s.Tags)
		}
		partitions[s.Tag("messaging.destination.partition.id")] = true
	}
	if !partitions["0"] || !partitions["1"] {
		t.Errorf("send spans of partitions %v, want 0 and 1", partitions)
	}
}

// classify finds the server span and the Kafka send spans of a trace.
func classify(spans []jaegertest.Span) (server *jaegertest.Span, sends []jaegertest.Span) {
	for i, s := range spans {
		switch {
		case s.Tag("span.kind") == "server":
			server = &spans[i]
		case s.OperationName == "send traced":
			sends = append(sends, s)
		}
	}
	return server, sends
}

// hasRef reports whether s references span spanID of trace traceID, by
// refType when it is not "".
func hasRef(s jaegertest.Span, refType, traceID, spanID string) bool {
	for _, r := range s.References {
		if r.SpanID == spanID && r.TraceID == traceID && (refType == "" || r.RefType == refType) {
			return true
		}
	}
	return false
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// header is the value of the Kafka header name, "" when absent.
func header(hs []kafka.Header, name string) string {
	for _, h := range hs {
		if h.Key == name {
			return string(h.Value)
		}
	}
	return ""
}

// wantExemplar scrapes /metrics as OpenMetrics and finds a report latency
// bucket whose exemplar is trace traceID.
func wantExemplar(t *testing.T, ts *testServer, traceID string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.mgmt+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	resp, body := do(t, req)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("/metrics Content-Type %q, want OpenMetrics", ct)
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "restproxy_report_latency_seconds_bucket") && strings.Contains(l, `# {trace_id="`+traceID+`"}`) {
			return
		}
	}
	t.Errorf("no restproxy_report_latency_seconds bucket has the exemplar of trace %s:\n%s", traceID, body)
}

// tracing.injectRecordHeaders, without a trace backend: with tracing off a
// record gets no traceparent. With tracing on, a record of a request that
// is part of a trace gets one: the client's trace, with its sampled flag
// (here unsampled, -00) and a span id of the proxy's, or a trace the proxy
// sampled itself (ratio 1, -01); a request in no trace (no traceparent,
// not sampled) gets none, nor does any with injectRecordHeaders false.
func TestTracing_RecordHeaderInjection(t *testing.T) {
	t.Parallel()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer sink.Close()
	const traceID = "5bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name       string
		on, inject bool
		ratio      float64
		client     bool   // the request carries the client's unsampled traceparent
		want       string // "": no header; "client": of traceID, -00; "own": a trace of the proxy's, -01
	}{
		{"tracing off", false, true, 1, true, ""},
		{"client's trace", true, true, 0, true, "client"},
		{"sampled by the proxy", true, true, 1, false, "own"},
		{"in no trace", true, true, 0, false, ""},
		{"injection off", true, false, 1, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(testBroker.Addr())
			cfg.Tracing.Enabled, cfg.Tracing.Endpoint, cfg.Tracing.InjectRecordHeaders = tc.on, sink.URL, tc.inject
			cfg.Tracing.SamplingRatio = tc.ratio
			ts := startServerConfig(t, cfg, io.Discard)
			req, _ := http.NewRequest(http.MethodPost, ts.url("c1", "traced"), strings.NewReader(`{"partition_id":0,"value":{"type":"STRING","data":"h"}}`))
			req.Header.Set("Content-Type", "application/json")
			if tc.client {
				req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-00")
			}
			resp, raw := do(t, req)
			reports := parseReports(t, raw)
			if resp.StatusCode != http.StatusOK || len(reports) != 1 || reports[0].ErrorCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			got := header(readBack(t, "traced", 0, reports[0].Offset).Headers, producer.TraceparentHeader)
			ok := false
			switch tc.want {
			case "":
				ok = got == ""
			case "client":
				ok = strings.HasPrefix(got, "00-"+traceID+"-") && strings.HasSuffix(got, "-00") && !strings.Contains(got, "00f067aa0ba902b7")
			case "own":
				ok = len(got) == 55 && !strings.Contains(got, traceID) && strings.HasSuffix(got, "-01")
			}
			if !ok {
				t.Errorf("traceparent %q, want %s", got, map[string]string{"": "none", "client": "of the client's trace, unsampled", "own": "a sampled trace of the proxy's"}[tc.want])
			}
		})
	}
}

// render writes spans one a line, with their references and tags, for -v.
func render(spans []jaegertest.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%s %q", s.SpanID, s.OperationName)
		for _, r := range s.References {
			fmt.Fprintf(&b, " %s:%s", r.RefType, r.SpanID)
		}
		for _, tag := range s.Tags {
			fmt.Fprintf(&b, " %s=%v", tag.Key, tag.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}
