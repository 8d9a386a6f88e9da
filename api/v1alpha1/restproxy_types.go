package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PausedAnnotation set to "true" stops the operator from changing anything
// that belongs to the RestProxy; the Paused condition says so.
const PausedAnnotation = "kafka.restproxy.dev/paused"

// RestProxySpec is the desired state of one tenant's produce proxy.
//
// +kubebuilder:validation:XValidation:rule="!has(self.access) || size(self.access) == 0 || (has(self.authentication) && has(self.authentication.type) && self.authentication.type != 'none')",message="spec.access needs spec.authentication: with type none no client has a name to match",fieldPath=".access"
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

	// Access gives each client (principal) its own topics and rate limits:
	// the first rule that matches applies, and a client no rule matches is
	// refused (HTTP 403). Needs an authentication type other than none.
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Access []AccessRule `json:"access,omitempty"`

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

	// SchemaRegistry is where records of type AVRO, JSONSCHEMA and
	// PROTOBUF find their schemas. Absent: such records are refused
	// (42206).
	// +optional
	SchemaRegistry *SchemaRegistrySpec `json:"schemaRegistry,omitempty"`

	// Observability configures the proxy's traces, access log and
	// per-principal counters.
	// +optional
	Observability *ObservabilitySpec `json:"observability,omitempty"`

	// Expose makes the produce API reachable from outside the cluster.
	// +optional
	Expose *ExposeSpec `json:"expose,omitempty"`

	// Template is the escape hatch for what the fields above do not cover.
	// +optional
	Template *TemplateSpec `json:"template,omitempty"`
}

// Upgrade policies: how a RestProxy follows the operator's proxy image.
const (
	UpgradePolicyAutomatic = "Automatic"
	UpgradePolicyManual    = "Manual"
)

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
