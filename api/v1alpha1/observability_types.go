package v1alpha1

// ObservabilitySpec configures the proxy's traces, access log and
// per-principal counters (README "Observability").
type ObservabilitySpec struct {
	// Tracing exports OpenTelemetry traces of the produce requests and of
	// the batches sent to Kafka. Absent: no traces.
	// +optional
	Tracing *TracingSpec `json:"tracing,omitempty"`

	// AccessLog is the one log line per request or stream.
	// +optional
	AccessLog *AccessLogSpec `json:"accessLog,omitempty"`

	// PrincipalLimit bounds the principals restproxy_principal_records_total
	// names: the first ones each pod sees; later ones count as "other".
	// Absent: 50.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +optional
	PrincipalLimit *int32 `json:"principalLimit,omitempty"`
}

// TracingSpec is where and how the proxy exports its traces.
type TracingSpec struct {
	// Endpoint is the OTLP receiver's URL, such as
	// http://otel-collector.monitoring:4318 (http/protobuf) or :4317
	// (grpc). The scheme decides TLS.
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/\S*)?$`
	// +kubebuilder:validation:MaxLength=2048
	// +required
	Endpoint string `json:"endpoint"`

	// Protocol of the export. Absent: http/protobuf.
	// +kubebuilder:validation:Enum=http/protobuf;grpc
	// +optional
	Protocol string `json:"protocol,omitempty"`

	// SamplingRatio is the share of the traces starting at the proxy that
	// are recorded, a decimal from 0 to 1 such as "0.01"; a request that
	// carries a traceparent follows its sampled flag. Absent: 0.01.
	// +kubebuilder:validation:Pattern=`^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$`
	// +optional
	SamplingRatio string `json:"samplingRatio,omitempty"`

	// InjectRecordHeaders adds a traceparent header to each record that
	// has none, so consumers continue the trace. Absent: true.
	// +optional
	InjectRecordHeaders *bool `json:"injectRecordHeaders,omitempty"`

	// HeadersSecretRef names a Secret key holding headers for each export
	// (an API key of a hosted backend), one "Name: value" per line. The
	// proxy reads it at start: a rotated key takes effect on the next
	// rollout.
	// +optional
	HeadersSecretRef *SecretKeySelector `json:"headersSecretRef,omitempty"`
}

// AccessLogSpec configures the access log.
type AccessLogSpec struct {
	// Enabled writes the access log. Absent: true.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// SampleSuccessfulSingleRatio is the share of successful one-record
	// requests logged, a decimal from 0 to 1 such as "0.01"; streams,
	// batches, failures and refusals are always logged. Absent: 1.
	// +kubebuilder:validation:Pattern=`^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$`
	// +optional
	SampleSuccessfulSingleRatio string `json:"sampleSuccessfulSingleRatio,omitempty"`
}
