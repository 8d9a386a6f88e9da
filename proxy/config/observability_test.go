package config

import (
	"strings"
	"testing"
)

// The observability keys: their defaults, and a refusal that names the
// field for each bad value.
func TestObservability_DefaultsAndRefusals(t *testing.T) {
	d := Default()
	if d.Tracing.Enabled || d.Tracing.Protocol != OTLPHTTP || d.Tracing.SamplingRatio != 0.01 || !d.Tracing.InjectRecordHeaders {
		t.Errorf("tracing defaults %+v", d.Tracing)
	}
	if !d.Logging.Access.Enabled || d.Logging.Access.SampleSuccessfulSingleRatio != 1 || d.Metrics.PrincipalLimit != 50 {
		t.Errorf("access log and metrics defaults %+v %+v", d.Logging.Access, d.Metrics)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"tracing: {enabled: true}", "tracing.endpoint: must be set"},
		{"tracing: {enabled: true, endpoint: 'collector:4318'}", "tracing.endpoint: must be an http:// or https:// URL"},
		{"tracing: {protocol: thrift}", `tracing.protocol: must be one of "http/protobuf", "grpc"`},
		{"tracing: {samplingRatio: 1.5}", "tracing.samplingRatio: must be between 0 and 1"},
		{"logging: {access: {sampleSuccessfulSingleRatio: -0.1}}", "logging.access.sampleSuccessfulSingleRatio: must be between 0 and 1"},
		{"metrics: {principalLimit: 0}", "metrics.principalLimit: must be greater than 0"},
		{"tracing: {enabled: true, endpoint: 'https://otel.example:4317', protocol: grpc}", ""},
	} {
		_, err := Parse([]byte(tc.yaml))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
