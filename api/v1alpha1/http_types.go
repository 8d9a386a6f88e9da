package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HTTPSpec configures the proxy's listeners and request limits.
//
// +kubebuilder:validation:XValidation:rule="self.port != self.managementPort",message="spec.http.port and spec.http.managementPort must differ",fieldPath=".managementPort"
type HTTPSpec struct {
	// Port of the produce API.
	// +kubebuilder:default=8082
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// ManagementPort serves /livez, /readyz and /metrics.
	// +kubebuilder:default=8081
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	ManagementPort int32 `json:"managementPort,omitempty"`

	// MaxRequestBytes refuses requests whose Content-Length is larger (413).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxRequestBytes *int64 `json:"maxRequestBytes,omitempty"`

	// MaxRecordBytes ends a stream whose record JSON is larger (400).
	// Unset: six times producer.maxMessageBytes plus 64 KiB (6.06 MiB with
	// the default message size), the longest JSON a record Kafka accepts
	// can take.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxRecordBytes *int32 `json:"maxRecordBytes,omitempty"`

	// MaxInFlightBytesPerStream bounds the JSON bytes of one stream's
	// records between being read and having their report written; at the
	// bound the proxy stops reading that stream. Unset: 8 MiB (8388608).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxInFlightBytesPerStream *int64 `json:"maxInFlightBytesPerStream,omitempty"`

	// MaxInFlightBytesTotal is the same bound for all streams of a pod
	// together, which bounds its memory. Unset: 64 MiB (67108864).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxInFlightBytesTotal *int64 `json:"maxInFlightBytesTotal,omitempty"`

	// MaxStreams is the most concurrent streams per pod (429 beyond).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxStreams *int32 `json:"maxStreams,omitempty"`

	// MaxBatchEntries is the most entries of one records:batch request (a
	// larger batch is refused whole, 400); the proxy's default is 10.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxBatchEntries *int32 `json:"maxBatchEntries,omitempty"`

	// StreamMaxAge is how long one stream may stay open, e.g. "24h", in Go
	// duration syntax (units ns, us, ms, s, m, h).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	StreamMaxAge *metav1.Duration `json:"streamMaxAge,omitempty"`

	// IdleTimeout ends a stream that sends nothing for this long, e.g. "30s",
	// in Go duration syntax.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	IdleTimeout *metav1.Duration `json:"idleTimeout,omitempty"`

	// TLS serves the produce API over HTTPS.
	// +optional
	TLS *HTTPTLSSpec `json:"tls,omitempty"`

	// TrustForwardedHeaders builds the discovery endpoints' URLs from
	// X-Forwarded-Proto and X-Forwarded-Host. Set it only when every
	// request reaches the proxy through an ingress or load balancer that
	// sets both: clients can send them too.
	// +optional
	TrustForwardedHeaders *bool `json:"trustForwardedHeaders,omitempty"`
}

// HTTPTLSSpec serves HTTPS, and with a client CA requires client certificates.
type HTTPTLSSpec struct {
	// SecretName of a kubernetes.io/tls Secret with the server certificate.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	SecretName string `json:"secretName"`

	// ClientCASecretRef names the PEM CA bundle that signs client
	// certificates; when set, clients must present one.
	// +optional
	ClientCASecretRef *SecretKeySelector `json:"clientCASecretRef,omitempty"`
}
