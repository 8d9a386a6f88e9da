package produce

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// outcome is what a finished stream or batch tells the access log, its
// request's span and nobody else: never a secret or a record's payload
// (README "Observability").
type outcome struct {
	msg            string // the log line's message: "stream finished", "batch finished"
	target         *Target
	records, bytes int64
	counts         *[apierror.NumKinds]int64
	start          time.Time
	end            string
	extra          []any // attributes of the log line only
}

// finished reports o of the request req to the request's span, when it
// records, and to the access log (logging.access).
func (pl *Pipeline) finished(req *http.Request, o *outcome) {
	ctx := req.Context()
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(spanAttributes(o)...)
	}
	if !pl.accessLogged(ctx, o) {
		return
	}
	codes := make([]any, 0, 4)
	for k, n := range o.counts {
		if n > 0 {
			codes = append(codes, slog.Int64(strconv.Itoa(apierror.Kind(k).Entry().Code), n))
		}
	}
	attrs := make([]any, 0, 20)
	attrs = append(attrs,
		"principal", o.target.Principal,
		"cluster_id", o.target.ClusterID,
		"topic", o.target.Topic,
		"duration_ms", time.Since(o.start).Milliseconds(),
		"records", o.records,
		"bytes", o.bytes,
		"end", o.end)
	attrs = append(attrs, o.extra...)
	attrs = append(attrs, slog.Group("error_codes", codes...))
	if sc := span.SpanContext(); sc.IsValid() {
		attrs = append(attrs, "trace_id", sc.TraceID().String())
	}
	pl.log.Info(o.msg, attrs...)
}

// accessLogged reports whether o gets its access-log line: the access log
// is on, the level logs it, and o is not a successful one-record request
// left out by logging.access.sampleSuccessfulSingleRatio.
func (pl *Pipeline) accessLogged(ctx context.Context, o *outcome) bool {
	a := pl.access
	if !a.Enabled || !pl.log.Enabled(ctx, slog.LevelInfo) {
		return false
	}
	single := o.records == 1 && o.counts[apierror.Success] == 1
	return !single || a.SampleSuccessfulSingleRatio >= 1 || rand.Float64() < a.SampleSuccessfulSingleRatio
}

// spanAttributes are o as attributes of its request's server span: the
// principal, the topic, the records and their count per error_code.
func spanAttributes(o *outcome) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("restproxy.principal", o.target.Principal),
		attribute.String("restproxy.cluster_id", o.target.ClusterID),
		semconv.MessagingDestinationName(o.target.Topic),
		attribute.Int64("restproxy.records", o.records),
		attribute.Int64("restproxy.bytes", o.bytes),
		attribute.String("restproxy.end", o.end),
	}
	for k, n := range o.counts {
		if n > 0 {
			code := strconv.Itoa(apierror.Kind(k).Entry().Code)
			attrs = append(attrs, attribute.Int64("restproxy.error_code."+code, n))
		}
	}
	return attrs
}

// exemplarOf is the latency exemplar of a request: its trace id when it is
// sampled, so a slow bucket leads to a trace that was exported.
func exemplarOf(ctx context.Context) prometheus.Labels {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return nil
	}
	return prometheus.Labels{"trace_id": sc.TraceID().String()}
}

// AccessLog is the pipeline's access log setting (logging.access).
type AccessLog = config.AccessLog
