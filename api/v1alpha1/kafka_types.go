package v1alpha1

// KafkaSpec is the connection to the Kafka cluster.
//
// +kubebuilder:validation:XValidation:rule="!has(self.identity) || self.identity != 'principal' || has(self.sasl)",message="spec.kafka.identity principal needs spec.kafka.sasl: the principals' users are SASL users",fieldPath=".identity"
type KafkaSpec struct {
	// BootstrapServers lists host:port addresses of brokers; an IPv6 address
	// is written in brackets, [::1]:9092.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^([^:\s\[\]]+|\[[0-9a-fA-F:.]+\]):[0-9]{1,5}$`
	// +kubebuilder:validation:items:MaxLength=261
	// +kubebuilder:validation:XValidation:rule="self.all(s, !s.matches(':[0-9]{1,5}$') || (int(s.substring(s.lastIndexOf(':') + 1)) >= 1 && int(s.substring(s.lastIndexOf(':') + 1)) <= 65535))",message="spec.kafka.bootstrapServers entries must have a port between 1 and 65535"
	// +required
	BootstrapServers []string `json:"bootstrapServers"`

	// ClientID sent to Kafka, so broker quotas can tell tenants apart.
	// Defaults to <namespace>.<name>.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	ClientID string `json:"clientId,omitempty"`

	// ClusterID is the cluster_id clients put in the produce path. When set,
	// a path naming another gets 404 (Cluster X cannot be found.). Unset,
	// any cluster_id is accepted. Rate limits per cluster count this
	// cluster's records, never a string a client chose.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]+$`
	// +optional
	ClusterID string `json:"clusterId,omitempty"`

	// TLS to the brokers.
	// +optional
	TLS *KafkaTLSSpec `json:"tls,omitempty"`

	// SASL authentication to the brokers.
	// +optional
	SASL *KafkaSASLSpec `json:"sasl,omitempty"`

	// Identity is who records are written as: proxy (sasl's user), or
	// principal (each client's own Kafka user, from principals, so Kafka's
	// ACLs apply per client; needs sasl, whose user then only reads
	// metadata).
	// +kubebuilder:validation:Enum=proxy;principal
	// +optional
	Identity string `json:"identity,omitempty"`

	// Principals maps clients (their principals, as spec.access names
	// them) to Kafka SASL users, with sasl's mechanism.
	// +kubebuilder:validation:MaxItems=1024
	// +listType=map
	// +listMapKey=principal
	// +optional
	Principals []KafkaPrincipal `json:"principals,omitempty"`
}

// KafkaPrincipal is one client's Kafka user.
type KafkaPrincipal struct {
	// Principal of the client.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Principal string `json:"principal"`

	// Username of its Kafka SASL user.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +required
	Username string `json:"username"`

	// PasswordSecretRef names the Secret key holding the user's password
	// (a Strimzi KafkaUser's Secret has it under "password").
	// +required
	PasswordSecretRef SecretKeySelector `json:"passwordSecretRef"`
}

// KafkaTLSSpec enables TLS to the brokers.
//
// +kubebuilder:validation:XValidation:rule="self.enabled || (!has(self.caSecretRef) && !has(self.certSecretRef))",message="spec.kafka.tls.enabled must be true when caSecretRef or certSecretRef is set",fieldPath=".enabled"
type KafkaTLSSpec struct {
	// Enabled turns TLS on.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled"`

	// CASecretRef names a Secret key holding the PEM CA bundle that signs the
	// brokers' certificates. Absent: the system roots.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`

	// CertSecretRef names a kubernetes.io/tls Secret (tls.crt, tls.key) with
	// the client certificate, for mutual TLS to the brokers.
	// +optional
	CertSecretRef *SecretReference `json:"certSecretRef,omitempty"`
}

// KafkaSASLSpec authenticates to the brokers with SASL.
//
// +kubebuilder:validation:XValidation:rule="has(self.mechanism) == has(self.passwordSecretRef)",message="spec.kafka.sasl.passwordSecretRef is required when spec.kafka.sasl.mechanism is set, and only then",fieldPath=".passwordSecretRef"
// +kubebuilder:validation:XValidation:rule="has(self.mechanism) == has(self.username)",message="spec.kafka.sasl.username is required when spec.kafka.sasl.mechanism is set, and only then",fieldPath=".username"
type KafkaSASLSpec struct {
	// Mechanism of SASL.
	// +kubebuilder:validation:Enum=PLAIN;SCRAM-SHA-256;SCRAM-SHA-512
	// +optional
	Mechanism string `json:"mechanism,omitempty"`

	// Username to authenticate as.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Username string `json:"username,omitempty"`

	// PasswordSecretRef names the Secret key holding the password.
	// +optional
	PasswordSecretRef *SecretKeySelector `json:"passwordSecretRef,omitempty"`
}

// SecretKeySelector names a key of a Secret in the RestProxy's namespace.
type SecretKeySelector struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Key within the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +required
	Key string `json:"key"`
}

// SecretReference names a Secret in the RestProxy's namespace.
type SecretReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// ProducerSpec tunes the Kafka writer; absent fields keep the proxy's defaults.
type ProducerSpec struct {
	// Acks required from the brokers before a record is reported delivered.
	// +kubebuilder:validation:Enum=all;leader;none
	// +optional
	Acks string `json:"acks,omitempty"`

	// Compression of record batches.
	// +kubebuilder:validation:Enum=none;gzip;snappy;lz4;zstd
	// +optional
	Compression string `json:"compression,omitempty"`

	// LingerMs is how long a batch waits for more records.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=60000
	// +optional
	LingerMs *int32 `json:"lingerMs,omitempty"`

	// BatchMaxRecords is the most records in one batch.
	// +kubebuilder:validation:Minimum=1
	// +optional
	BatchMaxRecords *int32 `json:"batchMaxRecords,omitempty"`

	// BatchMaxBytes is the largest batch, at most the brokers' message.max.bytes.
	// +kubebuilder:validation:Minimum=1
	// +optional
	BatchMaxBytes *int32 `json:"batchMaxBytes,omitempty"`

	// MaxMessageBytes is the largest record; larger ones are refused with 413.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxMessageBytes *int32 `json:"maxMessageBytes,omitempty"`

	// MaxAttempts to deliver a batch.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxAttempts *int32 `json:"maxAttempts,omitempty"`

	// DeliveryTimeoutMs after which an unacknowledged record is reported 50003.
	// +kubebuilder:validation:Minimum=1
	// +optional
	DeliveryTimeoutMs *int32 `json:"deliveryTimeoutMs,omitempty"`

	// RecordIDHeader adds a restproxy-record-id header, unique per record, to
	// every record, so consumers can drop the copies a retry stored twice.
	// +optional
	RecordIDHeader *bool `json:"recordIdHeader,omitempty"`
}
