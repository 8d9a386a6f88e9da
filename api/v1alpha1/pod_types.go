package v1alpha1

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

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

	// HostAliases are entries added to the pods' /etc/hosts: names the
	// proxy reaches (brokers, an OIDC issuer) that the cluster's DNS does
	// not resolve.
	// +optional
	HostAliases []corev1.HostAlias `json:"hostAliases,omitempty"`

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
	// +kubebuilder:validation:XValidation:rule="self.all(v, !(v.name in ['config', 'kafka-tls', 'kafka-sasl', 'kafka-principals', 'http-tls', 'auth', 'jwks', 'issuer']))",message="spec.template.pod.volumes: the names config, kafka-tls, kafka-sasl, kafka-principals, http-tls, auth, jwks and issuer are the operator's"
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
