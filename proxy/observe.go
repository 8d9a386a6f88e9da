package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/tracing"
)

// traceRequests starts the server span of each request, a child of the
// trace context the request carries (README "Observability"). A stream's
// records, outcome and error codes are added to it when it finishes
// (package produce); a refusal is answered here, so that the span has its
// status.
func (s *Server) traceRequests(next echo.HandlerFunc) echo.HandlerFunc {
	t := s.tracing
	return func(c echo.Context) error {
		req := c.Request()
		route := echoRoute(c.Path())
		ctx := t.Extract(req.Context(), req.Header)
		ctx, span := t.Tracer().Start(ctx, req.Method+" "+route,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(req.Method),
				semconv.HTTPRoute(route),
				semconv.URLPath(req.URL.Path),
				semconv.ServerAddress(req.Host),
				semconv.ClientAddress(req.RemoteAddr),
				semconv.UserAgentOriginal(req.UserAgent()),
			))
		defer span.End()
		c.SetRequest(req.WithContext(ctx))
		if err := next(c); err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if status >= 500 {
			span.SetStatus(codes.Error, "")
		}
		return nil
	}
}

// echoRoute writes echo's route ("/v3/clusters/:cluster_id/...") as the
// HTTP semantic conventions do ("/v3/clusters/{cluster_id}/...").
func echoRoute(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// origin is the trace context a request gives its records, nil when
// tracing is off. The records get a traceparent header when the request
// is part of a trace: the client sent one, or the proxy sampled it. The
// others, most requests at a low sampling ratio, have no trace for a
// consumer to continue, and their records are not made larger.
func (s *Server) origin(req *http.Request) *producer.Origin {
	if s.tracing == nil {
		return nil
	}
	sc := trace.SpanContextFromContext(req.Context())
	if !sc.IsValid() {
		return nil
	}
	var traceparent []byte
	if s.tracing.InjectRecordHeaders && (sc.IsSampled() || req.Header.Get("traceparent") != "") {
		traceparent = tracing.Traceparent(sc)
	}
	return producer.NewOrigin(sc, traceparent)
}

// logRefusal writes the access-log line of a request refused before it
// streamed: its status and error_code, never its credentials.
func (s *Server) logRefusal(c echo.Context, e *apierror.Error) {
	req := c.Request()
	if !s.cfg.Logging.Access.Enabled || !s.log.Enabled(req.Context(), slog.LevelInfo) {
		return
	}
	attrs := []any{
		"method", req.Method,
		"path", req.URL.Path,
		"status", e.Status(),
		"error_code", e.Code(),
	}
	if sc := trace.SpanContextFromContext(req.Context()); sc.IsValid() {
		attrs = append(attrs, "trace_id", sc.TraceID().String())
	}
	s.log.Info("request refused", attrs...)
}

// newTracedProducer builds the tracing cfg asks for, nil when off, and the
// producer, which records its batch spans.
func newTracedProducer(cfg config.Config, log *slog.Logger, m *management.Metrics) (*producer.Producer, *tracing.Tracing, error) {
	traces, err := tracing.New(cfg.Tracing, "restproxy")
	if err != nil {
		return nil, nil, err
	}
	opts := []producer.Option{producer.WithReloadMetrics(m)}
	if traces != nil {
		opts = append(opts, producer.WithTracer(traces.Tracer()))
	}
	prod, err := producer.New(cfg, log, opts...)
	if err != nil {
		_ = traces.Shutdown(context.Background())
		return nil, nil, fmt.Errorf("create producer: %w", err)
	}
	return prod, traces, nil
}
