// Package tracing sets up the proxy's OpenTelemetry traces (tracing.* in
// docs/configuration.md): the OTLP exporter, the parent-based sampler and
// the W3C trace-context and baggage propagators. With tracing off there is
// no Tracing at all: callers hold a nil *Tracing and start no span.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// ScopeName names the instrumentation in every exported span.
const ScopeName = "github.com/restproxy-dev/restproxy-operator/proxy"

// Tracing is the proxy's tracer and propagators, exporting to one OTLP
// receiver.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	// InjectRecordHeaders is tracing.injectRecordHeaders.
	InjectRecordHeaders bool
}

// New returns the tracing cfg asks for, nil when it is off. service names
// the process in the traces.
func New(cfg config.Tracing, service string) (*Tracing, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	headers, err := readHeaders(cfg.HeadersFile)
	if err != nil {
		return nil, err
	}
	exp, err := newExporter(cfg, headers)
	if err != nil {
		return nil, err
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service))
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SamplingRatio))),
	)
	return &Tracing{
		provider:            provider,
		tracer:              provider.Tracer(ScopeName),
		propagator:          propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		InjectRecordHeaders: cfg.InjectRecordHeaders,
	}, nil
}

// newExporter builds the OTLP exporter of tracing.protocol. The endpoint's
// scheme decides TLS; for http/protobuf its path, when it has none, is
// the standard /v1/traces.
func newExporter(cfg config.Tracing, headers map[string]string) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("tracing.endpoint: %w", err)
	}
	ctx := context.Background()
	if cfg.Protocol == config.OTLPGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(u.Host), otlptracegrpc.WithHeaders(headers)}
		if u.Scheme == "http" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	path := u.Path
	if path == "" || path == "/" {
		path = "/v1/traces"
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host), otlptracehttp.WithURLPath(path), otlptracehttp.WithHeaders(headers)}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	return otlptracehttp.New(ctx, opts...)
}

// Tracer starts the proxy's spans.
func (t *Tracing) Tracer() trace.Tracer { return t.tracer }

// Extract returns ctx with the trace context and baggage of a request's
// headers.
func (t *Tracing) Extract(ctx context.Context, h http.Header) context.Context {
	return t.propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Shutdown exports the spans still buffered, waiting until ctx is done at
// most.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Traceparent is the W3C traceparent header value of sc:
// "00-<trace id>-<span id>-<flags>".
func Traceparent(sc trace.SpanContext) []byte {
	b := make([]byte, 0, 55)
	b = append(b, "00-"...)
	b = append(b, sc.TraceID().String()...)
	b = append(b, '-')
	b = append(b, sc.SpanID().String()...)
	b = append(b, '-')
	b = append(b, sc.TraceFlags().String()...)
	return b
}

// ShutdownTimeout bounds the export of the last spans at shutdown.
const ShutdownTimeout = 5 * time.Second

// headerName is a header name of tracing.headersFile: a token.
func headerName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t:\r\n")
}
