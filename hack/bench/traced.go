package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// tracedStreams is the stream count of the traced mode, compared with the
// stream mode of the same count.
const tracedStreams = 8

// tracedSamplingRatio is the traced mode's tracing.samplingRatio.
const tracedSamplingRatio = 0.01

// runTraced measures stream-8-traced: stream-8 with tracing on, exporting
// over OTLP/HTTP to a receiver in this process that decodes every export.
// A stream is one request, so 1% of 8 streams would sample none and leave
// only the per-record traceparent to measure: the first stream carries a
// sampled traceparent, so 1 of 8 streams (12.5%, an upper bound for 1%)
// gets a span for every batch of its records sent to Kafka.
func (b *bench) runTraced() (Result, error) {
	recv, err := startOTLPReceiver()
	if err != nil {
		return Result{}, err
	}
	defer recv.close()
	cfg := b.o.proxyConfig
	cfg.Tracing = config.Tracing{Enabled: true, Endpoint: recv.url, Protocol: config.OTLPHTTP,
		SamplingRatio: tracedSamplingRatio, InjectRecordHeaders: true}
	res := Result{Mode: fmt.Sprintf("stream-%d-traced", tracedStreams), Kind: "throughput", Streams: tracedStreams}
	res, err = b.withProxyConfig(b.broker.addr, cfg, res, func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
		pushTracedStreams(t, b.rs, deadline, tl)
		return nil
	})
	if err != nil {
		return res, err
	}
	// The proxy has stopped, exporting what it buffered.
	res.Note = fmt.Sprintf("stream-%d with tracing on (samplingRatio %g), stream 1 of %d sampled, its records with a traceparent header; %d spans in %d OTLP/HTTP exports received",
		tracedStreams, tracedSamplingRatio, tracedStreams, recv.spans.Load(), recv.exports.Load())
	if base := b.result(fmt.Sprintf("stream-%d", tracedStreams)); base != nil && base.RecordsPerSec > 0 {
		res.Note += fmt.Sprintf("; throughput %+.1f%%, CPU/record %+.1f%% vs stream-%d",
			100*(res.RecordsPerSec/base.RecordsPerSec-1), 100*(res.CPUMicrosPerRecord/base.CPUMicrosPerRecord-1), tracedStreams)
	}
	return res, nil
}

// result is the row of mode measured so far, nil when none.
func (b *bench) result(mode string) *Result {
	for i := range b.report.Results {
		if b.report.Results[i].Mode == mode {
			return &b.report.Results[i]
		}
	}
	return nil
}

// pushTracedStreams is pushStreams with a sampled traceparent on the first
// stream.
func pushTracedStreams(t loadgen.Target, rs *recordSet, deadline time.Time, tl *tally) {
	var wg sync.WaitGroup
	for i := range tracedStreams {
		extra := ""
		if i == 0 {
			extra = fmt.Sprintf("traceparent: 00-%032x-00f067aa0ba902b7-01\r\n", time.Now().UnixNano())
		}
		wg.Go(func() {
			withStreamHeaders(t, extra, deadline, tl, tl.report, func(s *loadgen.Stream) {
				for first := true; first || time.Now().Before(deadline); first = false {
					if err := s.WriteChunk(rs.stream); err != nil {
						tl.fail(err)
						return
					}
					tl.sent.Add(int64(len(rs.json)))
				}
			})
		})
	}
	wg.Wait()
}

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each export and
// counts its spans, so the benchmark knows the proxy exported real traces.
type otlpReceiver struct {
	url            string
	srv            *http.Server
	spans, exports atomic.Int64
}

func startOTLPReceiver() (*otlpReceiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &otlpReceiver{url: "http://" + l.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var msg collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range msg.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans.Add(int64(len(ss.GetSpans())))
		}
	}
	r.exports.Add(1)
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *otlpReceiver) close() { _ = r.srv.Close() }
