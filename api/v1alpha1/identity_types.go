package v1alpha1

// JWTSpec says which bearer tokens the proxy accepts: signed by the keys
// of exactly one source (the issuer's discovery document, a JWKS URL or a
// JWKS in a Secret), for one of the audiences.
//
// +kubebuilder:validation:XValidation:rule="has(self.issuerURL) || has(self.jwksURL) || has(self.jwksSecretRef)",message="spec.authentication.jwt needs a source of keys: set issuerURL, jwksURL or jwksSecretRef"
// +kubebuilder:validation:XValidation:rule="!(has(self.jwksURL) && has(self.jwksSecretRef))",message="spec.authentication.jwt: set jwksURL or jwksSecretRef, not both",fieldPath=".jwksSecretRef"
type JWTSpec struct {
	// IssuerURL is the expected iss of tokens. Alone, the keys come from
	// its OIDC discovery document. The cluster's own service-account
	// issuer (https://kubernetes.default.svc...) is reached with the pod's
	// service-account token and the cluster CA, through its
	// /openid/v1/jwks.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https://[^\s]+$`
	// +optional
	IssuerURL string `json:"issuerURL,omitempty"`

	// JWKSURL is a JSON Web Key Set URL to take the keys from instead of
	// discovery.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https://[^\s]+$`
	// +optional
	JWKSURL string `json:"jwksURL,omitempty"`

	// JWKSSecretRef names the Secret key holding a JSON Web Key Set of
	// public keys, for clusters that cannot reach their issuer. Rotating
	// it rolls no pod: the proxy re-reads it.
	// +optional
	JWKSSecretRef *SecretKeySelector `json:"jwksSecretRef,omitempty"`

	// Audiences: a token's aud must hold one of them.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=1024
	// +required
	Audiences []string `json:"audiences"`

	// PrincipalClaim names the client (default sub; azp or client_id for
	// client-credentials tokens).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	PrincipalClaim string `json:"principalClaim,omitempty"`

	// GroupsClaim lists the client's groups, for access rules that match a
	// group.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	GroupsClaim string `json:"groupsClaim,omitempty"`
}

// AccessRule grants the principals it matches topics and, per principal
// and pod, rate limits of their own. The first rule of spec.access that
// matches a client applies; a client no rule matches may produce nowhere.
type AccessRule struct {
	// Principals the rule matches.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +required
	Principals []PrincipalMatch `json:"principals"`

	// Topics the rule grants. Empty: spec.topics.allow.
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Topics []TopicRule `json:"topics,omitempty"`

	// RecordsPerSecond for each principal the rule matches, per pod.
	// +kubebuilder:validation:Minimum=1
	// +optional
	RecordsPerSecond *int64 `json:"recordsPerSecond,omitempty"`

	// BytesPerSecond of record JSON for each principal, per pod.
	// +kubebuilder:validation:Minimum=1
	// +optional
	BytesPerSecond *int64 `json:"bytesPerSecond,omitempty"`
}

// PrincipalMatch matches a client's principal (the basic user, an API
// key's "key:<8 hex digits of its SHA-256>", a certificate's CN, or a
// JWT's principal claim) by exact name or prefix, or a JWT's group.
//
// +kubebuilder:validation:XValidation:rule="[has(self.name), has(self.prefix), has(self.group)].filter(x, x).size() == 1",message="each spec.access[].principals entry must set exactly one of name, prefix or group"
type PrincipalMatch struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Name string `json:"name,omitempty"`

	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Group string `json:"group,omitempty"`
}
