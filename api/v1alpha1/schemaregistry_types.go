package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SchemaRegistrySpec is the Schema Registry the proxy resolves AVRO,
// JSONSCHEMA and PROTOBUF records with (docs/configuration.md,
// "schemaRegistry"). The proxy re-reads the Secrets' files whenever it
// asks the registry, so rotating them rolls no pod.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.basicAuth) && has(self.bearerTokenSecretRef))",message="spec.schemaRegistry: set basicAuth or bearerTokenSecretRef, not both",fieldPath=".bearerTokenSecretRef"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.urls.exists(u, u.startsWith('https://'))",message="spec.schemaRegistry.tls needs an https:// URL in spec.schemaRegistry.urls",fieldPath=".tls"
type SchemaRegistrySpec struct {
	// URLs of the registry, tried in order until one answers, such as
	// http://schema-registry.kafka:8081. A URL holds no credentials, query
	// or fragment: the registry's paths are appended to it.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:Pattern=`^https?://[^\s/?#@]+(/[^\s?#]*)?$`
	// +kubebuilder:validation:items:MaxLength=2048
	// +required
	URLs []string `json:"urls"`

	// BasicAuth authenticates to the registry with a user and password.
	// +optional
	BasicAuth *SchemaRegistryBasicAuth `json:"basicAuth,omitempty"`

	// BearerTokenSecretRef names the Secret key holding a token sent as
	// "Authorization: Bearer".
	// +optional
	BearerTokenSecretRef *SecretKeySelector `json:"bearerTokenSecretRef,omitempty"`

	// TLS to a registry at an https:// URL. Absent: the system roots and no
	// client certificate.
	// +optional
	TLS *SchemaRegistryTLSSpec `json:"tls,omitempty"`

	// Timeout bounds one schema lookup, retries included, e.g. "5s", in Go
	// duration syntax. Absent: 5s.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// LatestCacheTTL is how long a subject's latest version is kept, e.g.
	// "30s"; "0s" asks the registry every time. Schemas by id or by
	// version never change and are kept for the pod's life. Absent: 30s.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +optional
	LatestCacheTTL *metav1.Duration `json:"latestCacheTTL,omitempty"`

	// RegisterSchemas registers a record's schema under its subject when
	// the registry does not hold it; false refuses such a record (42207).
	// Absent: true.
	// +optional
	RegisterSchemas *bool `json:"registerSchemas,omitempty"`
}

// SchemaRegistryBasicAuth takes the user and password from one Secret.
type SchemaRegistryBasicAuth struct {
	// SecretRef names the Secret holding both.
	// +required
	SecretRef SecretReference `json:"secretRef"`

	// UsernameKey is the Secret's key holding the user. Absent: username.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	UsernameKey string `json:"usernameKey,omitempty"`

	// PasswordKey is the Secret's key holding the password. Absent:
	// password.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	PasswordKey string `json:"passwordKey,omitempty"`
}

// SchemaRegistryTLSSpec verifies the registry and, for mutual TLS,
// presents a client certificate.
type SchemaRegistryTLSSpec struct {
	// CASecretRef names a Secret key holding the PEM CA bundle that signs
	// the registry's certificate. Absent: the system roots.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`

	// CertSecretRef names a kubernetes.io/tls Secret (tls.crt, tls.key)
	// with the client certificate.
	// +optional
	CertSecretRef *SecretReference `json:"certSecretRef,omitempty"`
}
