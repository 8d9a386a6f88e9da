package v1alpha1

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PausedAnnotation set to "true" stops the operator from changing anything
// that belongs to the RestProxy; the Paused condition says so.
const PausedAnnotation = "kafka.restproxy.dev/paused"

// RestProxySpec is the desired state of one tenant's produce proxy.
//
// +kubebuilder:validation:XValidation:rule="!has(self.authentication) || self.authentication.type != 'mtls' || (has(self.http) && has(self.http.tls) && has(self.http.tls.clientCASecretRef))",message="spec.http.tls.clientCASecretRef is required when spec.authentication.type is mtls",fieldPath=".authentication.type"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !has(self.autoscaling.minReplicas) || self.autoscaling.minReplicas <= self.autoscaling.maxReplicas",message="spec.autoscaling.minReplicas must not exceed spec.autoscaling.maxReplicas",fieldPath=".autoscaling.minReplicas"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !(has(self.autoscaling.targetCPUUtilizationPercentage) || !(has(self.autoscaling.targetMemoryUtilizationPercentage) || has(self.autoscaling.targetActiveStreamsPerPod) || has(self.autoscaling.targetInFlightRecordsPerPod))) || (has(self.resources) && has(self.resources.requests) && 'cpu' in self.resources.requests)",message="spec.resources.requests.cpu is required when spec.autoscaling targets CPU (targetCPUUtilizationPercentage is set, or no other target is): utilization is a share of the request",fieldPath=".autoscaling"
// +kubebuilder:validation:XValidation:rule="!has(self.expose) || !has(self.expose.externalTrafficPolicy) || (has(self.template) && has(self.template.service) && has(self.template.service.type) && self.template.service.type in ['NodePort', 'LoadBalancer'])",message="spec.expose.externalTrafficPolicy needs spec.template.service.type NodePort or LoadBalancer",fieldPath=".expose.externalTrafficPolicy"
// +kubebuilder:validation:XValidation:rule="!has(self.expose) || !has(self.expose.loadBalancerSourceRanges) || (has(self.template) && has(self.template.service) && has(self.template.service.type) && self.template.service.type == 'LoadBalancer')",message="spec.expose.loadBalancerSourceRanges needs spec.template.service.type LoadBalancer",fieldPath=".expose.loadBalancerSourceRanges"
// +kubebuilder:validation:XValidation:rule="!has(self.autoscaling) || !has(self.autoscaling.targetMemoryUtilizationPercentage) || (has(self.resources) && has(self.resources.requests) && 'memory' in self.resources.requests)",message="spec.resources.requests.memory is required when spec.autoscaling.targetMemoryUtilizationPercentage is set",fieldPath=".autoscaling.targetMemoryUtilizationPercentage"
type RestProxySpec struct {
	// Replicas is the number of proxy pods. It is the scale subresource's
	// target: scale the RestProxy (kubectl scale, an HPA), never its Deployment.
	// With spec.autoscaling, the autoscaler writes it, held within its bounds.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Image of the proxy container. Defaults to the operator's --proxy-image.
	// +optional
	Image string `json:"image,omitempty"`

	// UpgradePolicy says how the RestProxy's pods follow an upgrade of the
	// operator (a new --proxy-image, or a pod template it builds
	// differently): Automatic (the default) rolls them, at the pace the
	// operator's --max-concurrent-rollouts allows across all RestProxies;
	// Manual keeps the pods as they are until the spec changes (scaling
	// does not count).
	//
	// No CRD default: the operator tells a spec change from an operator
	// upgrade by a hash of the spec, which a default added by a newer CRD
	// would change for every RestProxy at once. New fields follow suit.
	// +kubebuilder:validation:Enum=Automatic;Manual
	// +optional
	UpgradePolicy string `json:"upgradePolicy,omitempty"`

	// ProgressDeadlineSeconds is how long a rollout may go without progress
	// before the Deployment, and the RestProxy's Progressing and Ready
	// conditions, report ProgressDeadlineExceeded. Absent: 180 (set by the
	// operator, not as a CRD default; see upgradePolicy).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// Kafka says how the proxy reaches and authenticates to the brokers.
	// +required
	Kafka KafkaSpec `json:"kafka"`

	// Producer tunes the Kafka writer.
	// +optional
	Producer *ProducerSpec `json:"producer,omitempty"`

	// HTTP configures the produce and management listeners and their limits.
	// +optional
	HTTP *HTTPSpec `json:"http,omitempty"`

	// Authentication of produce clients.
	// +optional
	Authentication *AuthenticationSpec `json:"authentication,omitempty"`

	// Topics restricts the topics clients may produce to (HTTP 403 otherwise).
	// +optional
	Topics *TopicsSpec `json:"topics,omitempty"`

	// RateLimit bounds records and bytes per second, per pod (429 beyond).
	// +optional
	RateLimit *RateLimitSpec `json:"rateLimit,omitempty"`

	// Resources of the proxy container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// Logging of the proxy.
	// +optional
	Logging *LoggingSpec `json:"logging,omitempty"`

	// Autoscaling creates a HorizontalPodAutoscaler whose target is this
	// RestProxy.
	// +optional
	Autoscaling *AutoscalingSpec `json:"autoscaling,omitempty"`

	// PodDisruptionBudget of the proxy pods; on by default when replicas > 1
	// (under autoscaling: the replicas the autoscaler last set).
	// +optional
	PodDisruptionBudget *PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`

	// NetworkPolicy restricting who may reach the proxy pods.
	// +optional
	NetworkPolicy *NetworkPolicySpec `json:"networkPolicy,omitempty"`

	// Metrics exposure.
	// +optional
	Metrics *MetricsSpec `json:"metrics,omitempty"`

	// Expose makes the produce API reachable from outside the cluster.
	// +optional
	Expose *ExposeSpec `json:"expose,omitempty"`

	// Template is the escape hatch for what the fields above do not cover.
	// +optional
	Template *TemplateSpec `json:"template,omitempty"`
}

// ExposeSpec reaches the produce API from outside the cluster: through an
// Ingress, or through the Service itself (spec.template.service.type
// NodePort or LoadBalancer) with the knobs below.
type ExposeSpec struct {
	// Ingress routes https://host/ (or http://) to the produce port.
	// +optional
	Ingress *IngressExposeSpec `json:"ingress,omitempty"`

	// HTTPRoute attaches the produce API to Gateway API gateways; created
	// once the cluster serves gateway.networking.k8s.io/v1 HTTPRoute.
	// +optional
	HTTPRoute *HTTPRouteExposeSpec `json:"httpRoute,omitempty"`

	// LoadBalancerSourceRanges are the client CIDRs a LoadBalancer Service
	// admits (spec.template.service.type LoadBalancer).
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=43
	// +optional
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`

	// ExternalTrafficPolicy of a NodePort or LoadBalancer Service: Local
	// keeps the client's source address and skips the second hop.
	// +kubebuilder:validation:Enum=Cluster;Local
	// +optional
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
}

// HTTPRouteExposeSpec configures the HTTPRoute of the produce API.
type HTTPRouteExposeSpec struct {
	// ParentRefs are the Gateways (or their listeners) the route attaches to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +required
	ParentRefs []GatewayParentRef `json:"parentRefs"`

	// Hostnames the route matches; absent: those of the listeners.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +optional
	Hostnames []string `json:"hostnames,omitempty"`
}

// GatewayParentRef names a Gateway, and optionally one of its listeners.
type GatewayParentRef struct {
	// Name of the Gateway.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the Gateway; absent: the RestProxy's.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// SectionName is the Gateway listener's name.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	SectionName string `json:"sectionName,omitempty"`
}

// IssuerReference names a cert-manager Issuer or ClusterIssuer.
type IssuerReference struct {
	// Name of the issuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Kind of the issuer: Issuer (in the RestProxy's namespace, the
	// default) or ClusterIssuer.
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	// +optional
	Kind string `json:"kind,omitempty"`

	// Group of the issuer; absent: cert-manager.io.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Group string `json:"group,omitempty"`
}

// IngressExposeSpec configures the Ingress of the produce API.
//
// +kubebuilder:validation:XValidation:rule="!has(self.issuerRef) || has(self.tlsSecretName)",message="spec.expose.ingress.tlsSecretName is required with issuerRef: cert-manager issues the certificate into it",fieldPath=".tlsSecretName"
type IngressExposeSpec struct {
	// ClassName of the Ingress controller; absent: the cluster's default class.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ClassName string `json:"className,omitempty"`

	// Host producers use, e.g. orders.kafka.example.com.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Host string `json:"host"`

	// TLSSecretName names a kubernetes.io/tls Secret in the RestProxy's
	// namespace with the certificate for host; absent: plain HTTP.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	TLSSecretName string `json:"tlsSecretName,omitempty"`

	// IssuerRef has cert-manager issue the certificate for host into
	// tlsSecretName (which it then requires): the operator creates a
	// cert-manager.io/v1 Certificate once the cluster serves the kind.
	// +optional
	IssuerRef *IssuerReference `json:"issuerRef,omitempty"`

	// Annotations on the Ingress, for its controller (e.g. the backend
	// protocol when the proxy itself serves HTTPS).
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// KafkaSpec is the connection to the Kafka cluster.
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

// Upgrade policies: how a RestProxy follows the operator's proxy image.
const (
	UpgradePolicyAutomatic = "Automatic"
	UpgradePolicyManual    = "Manual"
)

// Authentication types of produce clients.
const (
	AuthenticationNone   = "none"
	AuthenticationBasic  = "basic"
	AuthenticationAPIKey = "apiKey"
	AuthenticationMTLS   = "mtls"
)

// AuthenticationSpec selects how produce clients authenticate.
//
// +kubebuilder:validation:XValidation:rule="self.type in ['basic', 'apiKey'] ? has(self.secretRef) : !has(self.secretRef)",message="spec.authentication.secretRef is required when spec.authentication.type is basic or apiKey, and must be absent otherwise",fieldPath=".secretRef"
type AuthenticationSpec struct {
	// Type: none, basic (API key as user, secret as password), apiKey
	// (Authorization: Bearer), or mtls (client certificates; needs
	// spec.http.tls.clientCASecretRef).
	// +kubebuilder:validation:Enum=none;basic;apiKey;mtls
	// +kubebuilder:default=none
	// +optional
	Type string `json:"type,omitempty"`

	// SecretRef names the Secret key holding the credentials file: lines
	// "user:secret" for basic, one key per line for apiKey; bcrypt hashes are
	// accepted in place of plain secrets.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`
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
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.prefix)",message="each spec.topics.allow entry must set exactly one of name or prefix"
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

// LoggingSpec configures the proxy's logs.
type LoggingSpec struct {
	// Level of logging.
	// +kubebuilder:validation:Enum=debug;info;warn;error
	// +kubebuilder:default=info
	// +optional
	Level string `json:"level,omitempty"`

	// Format of log lines.
	// +kubebuilder:validation:Enum=json;text
	// +kubebuilder:default=json
	// +optional
	Format string `json:"format,omitempty"`
}

// AutoscalingSpec configures a HorizontalPodAutoscaler targeting the RestProxy.
type AutoscalingSpec struct {
	// MinReplicas of the autoscaler.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas of the autoscaler.
	// +kubebuilder:validation:Minimum=1
	// +required
	MaxReplicas int32 `json:"maxReplicas"`

	// TargetCPUUtilizationPercentage of the proxy pods' CPU requests
	// (spec.resources.requests.cpu must be set). Absent: 80, unless another
	// target below is set, in which case CPU is not a target.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	TargetCPUUtilizationPercentage *int32 `json:"targetCPUUtilizationPercentage,omitempty"`

	// TargetMemoryUtilizationPercentage of the proxy pods' memory requests
	// (spec.resources.requests.memory must be set).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	TargetMemoryUtilizationPercentage *int32 `json:"targetMemoryUtilizationPercentage,omitempty"`

	// TargetActiveStreamsPerPod is the average of the proxy's
	// restproxy_active_streams gauge per pod to aim for. It is a pods
	// metric: a metrics adapter (such as prometheus-adapter) must serve it
	// through the custom metrics API.
	// +kubebuilder:validation:Minimum=1
	// +optional
	TargetActiveStreamsPerPod *int32 `json:"targetActiveStreamsPerPod,omitempty"`

	// TargetInFlightRecordsPerPod is the average of the proxy's
	// restproxy_in_flight_records gauge per pod to aim for; a pods metric,
	// as TargetActiveStreamsPerPod.
	// +kubebuilder:validation:Minimum=1
	// +optional
	TargetInFlightRecordsPerPod *int32 `json:"targetInFlightRecordsPerPod,omitempty"`

	// Behavior is the autoscaler's scaling behaviour (stabilisation windows
	// and rate policies), as on a HorizontalPodAutoscaler.
	// +optional
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// CPUTargeted says the autoscaler targets CPU: the target is set, or no
// other target is.
func (a *AutoscalingSpec) CPUTargeted() bool {
	return a.TargetCPUUtilizationPercentage != nil ||
		(a.TargetMemoryUtilizationPercentage == nil && a.TargetActiveStreamsPerPod == nil && a.TargetInFlightRecordsPerPod == nil)
}

// PodDisruptionBudgetSpec configures the proxy pods' disruption budget.
type PodDisruptionBudgetSpec struct {
	// Enabled creates the budget. Absent: on while spec.replicas is above 1
	// (under autoscaling, as the autoscaler sets it, held within its
	// minReplicas and maxReplicas).
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// MaxUnavailable pods during voluntary disruptions: a count or a
	// percentage such as "25%".
	// +kubebuilder:default=1
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? int(self) >= 0 : string(self).matches('^(100|[1-9]?[0-9])%$')",message="spec.podDisruptionBudget.maxUnavailable must be a non-negative count or a percentage from 0% to 100%, such as 25%"
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// NetworkPolicySpec restricts ingress to the proxy pods.
type NetworkPolicySpec struct {
	// Enabled creates the NetworkPolicy.
	// +optional
	Enabled bool `json:"enabled"`

	// AllowedFrom may reach the produce port. Empty: everyone.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	AllowedFrom []networkingv1.NetworkPolicyPeer `json:"allowedFrom,omitempty"`

	// ManagementFrom may reach the management port (/metrics, /livez,
	// /readyz). Empty: the namespaces the operator's
	// --management-namespaces names (by default its own and monitoring).
	// Kubelet probes come from the node, which common network plugins
	// admit whatever the policy says.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	ManagementFrom []networkingv1.NetworkPolicyPeer `json:"managementFrom,omitempty"`
}

// MetricsSpec configures metrics exposure.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.serviceMonitor) && self.serviceMonitor.enabled && has(self.podMonitor) && self.podMonitor.enabled)",message="spec.metrics: enable serviceMonitor or podMonitor, not both: both select the same pods, so Prometheus would scrape each twice",fieldPath=".podMonitor.enabled"
type MetricsSpec struct {
	// ServiceMonitor for the Prometheus operator, scraping the pods through
	// the proxy's Service; created once its CRD is served.
	// +optional
	ServiceMonitor *MonitorSpec `json:"serviceMonitor,omitempty"`

	// PodMonitor for the Prometheus operator, scraping the proxy pods
	// directly (no Service endpoints needed); created once its CRD is
	// served.
	// +optional
	PodMonitor *MonitorSpec `json:"podMonitor,omitempty"`
}

// MonitorSpec configures a ServiceMonitor or a PodMonitor: both scrape the
// management port's /metrics.
type MonitorSpec struct {
	// Enabled creates the monitor.
	// +optional
	Enabled bool `json:"enabled"`

	// Interval between scrapes, e.g. "30s"; absent: Prometheus's global
	// scrape interval.
	// +kubebuilder:validation:Pattern=`^([0-9]+(ms|s|m|h))+$`
	// +optional
	Interval string `json:"interval,omitempty"`

	// Labels added to the monitor, to match a Prometheus selector.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// TemplateSpec customises the generated objects.
type TemplateSpec struct {
	// Pod customises the proxy pods.
	// +optional
	Pod *PodTemplate `json:"pod,omitempty"`

	// Container customises the proxy container.
	// +optional
	Container *ContainerTemplate `json:"container,omitempty"`

	// Service customises the Service.
	// +optional
	Service *ServiceTemplate `json:"service,omitempty"`
}

// EmbeddedMetadata is the labels and annotations added to a generated object.
type EmbeddedMetadata struct {
	// Labels to add.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations to add.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PodTemplate customises the proxy pods.
type PodTemplate struct {
	// Metadata added to the pods.
	// +optional
	Metadata *EmbeddedMetadata `json:"metadata,omitempty"`

	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// Tolerations of the pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// NodeSelector of the pods.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// TopologySpreadConstraints of the pods.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the pods.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// ImagePullSecrets for the proxy image.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// TerminationGracePeriodSeconds of the pods; at least the proxy's drain
	// time plus its pre-stop delay, or records in flight may lose their reports.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// SecurityContext replaces, as a whole, the operator's pod security
	// context (runAsNonRoot, runAsUser, runAsGroup and fsGroup 65532,
	// seccomp RuntimeDefault). On OpenShift's restricted SCC, set only
	// runAsNonRoot and seccompProfile and leave the IDs unset, so the SCC
	// assigns them.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`

	// Volumes added to the pods, for the container's volumeMounts. The
	// operator's own volume names (config, kafka-tls, kafka-sasl, http-tls,
	// auth) are reserved.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(v, !(v.name in ['config', 'kafka-tls', 'kafka-sasl', 'http-tls', 'auth']))",message="spec.template.pod.volumes: the names config, kafka-tls, kafka-sasl, http-tls and auth are the operator's"
	// +listType=map
	// +listMapKey=name
	// +optional
	Volumes []Volume `json:"volumes,omitempty"`
}

// Volume is an extra volume of the proxy pods, from the sources a proxy
// plausibly needs: files from a ConfigMap or Secret (an extra CA bundle),
// or scratch space. The full Kubernetes volume would more than double the
// size of the CRD.
//
// +kubebuilder:validation:XValidation:rule="[has(self.configMap), has(self.secret), has(self.emptyDir)].filter(x, x).size() == 1",message="each spec.template.pod.volumes entry must set exactly one of configMap, secret or emptyDir"
type Volume struct {
	// Name of the volume, for volumeMounts.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`

	// +optional
	ConfigMap *corev1.ConfigMapVolumeSource `json:"configMap,omitempty"`
	// +optional
	Secret *corev1.SecretVolumeSource `json:"secret,omitempty"`
	// +optional
	EmptyDir *corev1.EmptyDirVolumeSource `json:"emptyDir,omitempty"`
}

// ContainerTemplate customises the proxy container.
type ContainerTemplate struct {
	// Env adds environment variables.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// EnvFrom adds environment variables from ConfigMaps and Secrets.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// VolumeMounts of spec.template.pod.volumes into the container; the
	// operator's own files live under /etc/restproxy, which is reserved.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(m, m.mountPath != '/etc/restproxy' && !m.mountPath.startsWith('/etc/restproxy/'))",message="spec.template.container.volumeMounts: /etc/restproxy is the operator's"
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`

	// SecurityContext replaces, as a whole, the operator's container
	// security context (runAsNonRoot, no privilege escalation, read-only
	// root filesystem, every capability dropped).
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
}

// ServiceTemplate customises the Service.
type ServiceTemplate struct {
	// Metadata added to the Service.
	// +optional
	Metadata *EmbeddedMetadata `json:"metadata,omitempty"`

	// Type of the Service.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`
}

// Condition types of a RestProxy.
const (
	// ConditionReady summarises the others: the proxy serves at the desired scale.
	ConditionReady = "Ready"
	// ConditionAvailable: at least the minimum of proxy pods serve.
	ConditionAvailable = "Available"
	// ConditionProgressing: a rollout is under way.
	ConditionProgressing = "Progressing"
	// ConditionDegraded: the operator cannot bring about the spec (a missing
	// Secret or key, a failed apply); the reason and message say which.
	ConditionDegraded = "Degraded"
	// ConditionPaused: the paused annotation stops reconciling.
	ConditionPaused = "Paused"
)

// RestProxyStatus is the observed state of a RestProxy.
type RestProxyStatus struct {
	// ObservedGeneration is the generation last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, Available, Progressing, Degraded, Paused.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// The counts are written even when zero, so kubectl get shows 0 ready
	// replicas rather than an empty column.

	// Replicas of proxy pods, for the scale subresource.
	// +optional
	Replicas int32 `json:"replicas"`

	// ReadyReplicas of proxy pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// UpdatedReplicas running the current pod template.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas"`

	// Selector of the proxy pods in string form, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// URL of the produce API inside the cluster.
	// +optional
	URL string `json:"url,omitempty"`

	// ProxyVersion is the version of the proxy every pod runs: the tag of
	// its image (or its digest, shortened), set once a rollout completes.
	// +optional
	ProxyVersion string `json:"proxyVersion,omitempty"`
}

// RestProxy is one tenant's HTTP produce proxy in front of Kafka.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=rp,categories=kafka
// +kubebuilder:validation:XValidation:rule="!(self.metadata.name in ['default', 'kubernetes'])",message="metadata.name must not be default or kubernetes: the proxy's ServiceAccount and Service take the RestProxy's name, and these are the names of every namespace's default ServiceAccount and of the API server's Service"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.replicas`,description="Proxy pods wanted (kubectl scale and the autoscaler set it)"
// +kubebuilder:printcolumn:name="Ready Replicas",type=integer,JSONPath=`.status.readyReplicas`,description="Proxy pods ready to serve"
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.proxyVersion`,description="Proxy version every pod runs"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type RestProxy struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// +required
	Spec RestProxySpec `json:"spec"`

	// +optional
	Status RestProxyStatus `json:"status,omitzero"`
}

// RestProxyList is a list of RestProxies.
//
// +kubebuilder:object:root=true
type RestProxyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []RestProxy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&RestProxy{}, &RestProxyList{})
}
