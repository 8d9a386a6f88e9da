package config

import "net/url"

// Tracing exports OpenTelemetry traces of the produce requests and of the
// batches sent to Kafka (docs/configuration.md, README "Observability").
type Tracing struct {
	Enabled bool `json:"enabled"`
	// Endpoint is the OTLP receiver's URL: http://collector:4318 for
	// http/protobuf (the path /v1/traces is added), http://collector:4317
	// for grpc. The scheme decides TLS.
	Endpoint string `json:"endpoint"`
	Protocol string `json:"protocol"`
	// SamplingRatio is the share of traces started here that are
	// recorded; a request that carries a traceparent follows its sampled
	// flag instead.
	SamplingRatio float64 `json:"samplingRatio"`
	// InjectRecordHeaders adds a traceparent header to every record that
	// does not carry one, so consumers continue the trace.
	InjectRecordHeaders bool `json:"injectRecordHeaders"`
	// HeadersFile holds the headers sent with every export (an API key
	// for a hosted backend, say), one "Name: value" per line. It is read
	// at start and never logged.
	HeadersFile string `json:"headersFile"`
}

// OTLP protocols of tracing.protocol.
const (
	OTLPHTTP = "http/protobuf"
	OTLPGRPC = "grpc"
)

// AccessLog is the one log line per produce request or stream.
type AccessLog struct {
	Enabled bool `json:"enabled"`
	// SampleSuccessfulSingleRatio is the share of successful one-record
	// requests that are logged; streams, batches and requests with a
	// failed record are always logged.
	SampleSuccessfulSingleRatio float64 `json:"sampleSuccessfulSingleRatio"`
}

// Metrics shapes what /metrics exports.
type Metrics struct {
	// PrincipalLimit bounds the principals counted by name: the first
	// ones seen get their own series, the others are counted as "other".
	PrincipalLimit int `json:"principalLimit"`
}

// Defaults of the observability keys.
const (
	DefaultSamplingRatio  = 0.01
	DefaultPrincipalLimit = 50
)

func defaultTracing() Tracing {
	return Tracing{Protocol: OTLPHTTP, SamplingRatio: DefaultSamplingRatio, InjectRecordHeaders: true}
}

func defaultAccessLog() AccessLog {
	return AccessLog{Enabled: true, SampleSuccessfulSingleRatio: 1}
}

func (v *validator) observability(c Config) {
	t := c.Tracing
	v.oneOf("tracing.protocol", t.Protocol, OTLPHTTP, OTLPGRPC)
	v.ratio("tracing.samplingRatio", t.SamplingRatio)
	if t.Enabled {
		u, err := url.Parse(t.Endpoint)
		switch {
		case t.Endpoint == "":
			v.bad("tracing.endpoint", "must be set when tracing is enabled")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.bad("tracing.endpoint", "must be an http:// or https:// URL with a host; got %q", t.Endpoint)
		}
	}
	v.ratio("logging.access.sampleSuccessfulSingleRatio", c.Logging.Access.SampleSuccessfulSingleRatio)
	v.positive("metrics.principalLimit", int64(c.Metrics.PrincipalLimit))
}

func (v *validator) ratio(field string, r float64) {
	if !(r >= 0 && r <= 1) {
		v.bad(field, "must be between 0 and 1; got %v", r)
	}
}
