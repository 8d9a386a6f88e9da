package v1alpha1

// Authentication types of produce clients.
const (
	AuthenticationNone   = "none"
	AuthenticationBasic  = "basic"
	AuthenticationAPIKey = "apiKey"
	AuthenticationMTLS   = "mtls"
	AuthenticationJWT    = "jwt"
)

// AuthenticationSpec selects how produce clients authenticate.
//
// +kubebuilder:validation:XValidation:rule="self.type in ['basic', 'apiKey'] ? has(self.secretRef) : !has(self.secretRef)",message="spec.authentication.secretRef is required when spec.authentication.type is basic or apiKey, and must be absent otherwise",fieldPath=".secretRef"
// +kubebuilder:validation:XValidation:rule="has(self.type) && self.type == 'jwt' ? has(self.jwt) : !has(self.jwt)",message="spec.authentication.jwt is required when spec.authentication.type is jwt, and must be absent otherwise",fieldPath=".jwt"
type AuthenticationSpec struct {
	// Type: none, basic (API key as user, secret as password), apiKey
	// (Authorization: Bearer), mtls (client certificates; needs
	// spec.http.tls.clientCASecretRef), or jwt (Authorization: Bearer with
	// a JWT an OIDC issuer signed; needs jwt).
	// +kubebuilder:validation:Enum=none;basic;apiKey;mtls;jwt
	// +kubebuilder:default=none
	// +optional
	Type string `json:"type,omitempty"`

	// SecretRef names the Secret key holding the credentials file: lines
	// "user:secret" for basic, one key per line for apiKey; bcrypt hashes are
	// accepted in place of plain secrets.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// JWT configures type jwt: the token's issuer, keys and audiences.
	// +optional
	JWT *JWTSpec `json:"jwt,omitempty"`
}

// TopicsSpec is the topic allow-list.
type TopicsSpec struct {
	// Allow lists the topics clients may produce to. Empty: every topic.
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Allow []TopicRule `json:"allow,omitempty"`
}

// TopicRule matches a topic by exact name or by prefix.
//
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.prefix)",message="each topic rule (spec.topics.allow, spec.access[].topics) must set exactly one of name or prefix"
type TopicRule struct {
	// Name of one topic.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]+$`
	// +optional
	Name string `json:"name,omitempty"`

	// Prefix of topic names.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]+$`
	// +optional
	Prefix string `json:"prefix,omitempty"`
}

// RateLimitSpec bounds what one pod accepts per second, in fixed one-second
// windows: records and bytes of record JSON, over all requests and per
// cluster_id of the request path. Each budget is optional: an unset one is
// no limit on that dimension, and with none set rate limiting is off. A
// record over a budget is answered 429 in its stream and not produced.
type RateLimitSpec struct {
	// RecordsPerSecond per pod, over all requests.
	// +kubebuilder:validation:Minimum=1
	// +optional
	RecordsPerSecond *int64 `json:"recordsPerSecond,omitempty"`

	// BytesPerSecond of record JSON per pod, over all requests.
	// +kubebuilder:validation:Minimum=1
	// +optional
	BytesPerSecond *int64 `json:"bytesPerSecond,omitempty"`

	// PerClusterRecordsPerSecond per pod, for each cluster_id of the
	// request path.
	// +kubebuilder:validation:Minimum=1
	// +optional
	PerClusterRecordsPerSecond *int64 `json:"perClusterRecordsPerSecond,omitempty"`

	// PerClusterBytesPerSecond of record JSON per pod, for each cluster_id
	// of the request path.
	// +kubebuilder:validation:Minimum=1
	// +optional
	PerClusterBytesPerSecond *int64 `json:"perClusterBytesPerSecond,omitempty"`
}
