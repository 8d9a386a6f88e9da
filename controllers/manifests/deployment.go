package manifests

import (
	"crypto/sha256"
	"encoding/hex"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// preStopSeconds keeps a terminating pod serving while the endpoints
// controller and kube-proxy (or the ingress) stop sending it new
// connections; only then does SIGTERM start the proxy's drain.
const preStopSeconds = 5

// gracePaddingSeconds is slack after drain and pre-stop before SIGKILL.
const gracePaddingSeconds = 10

// runAsID is the user, group and fsGroup of the proxy: the distroless
// "nonroot" user. Setting it explicitly lets runAsNonRoot be checked even for
// an image whose USER is a name, and fsGroup makes the 0440 Secret files
// readable to it.
const runAsID int64 = 65532

// Deployment runs the proxy pods.
func Deployment(in Input) (*appsv1.Deployment, error) {
	data, err := RenderConfig(in)
	if err != nil {
		return nil, err
	}
	return deployment(in, data), nil
}

// deployment is Deployment for an already rendered config, whose hash goes
// on the pod template.
func deployment(in Input, config []byte) *appsv1.Deployment {
	rp := in.RestProxy
	replicas := Replicas(rp)
	maxUnavailable := intstr.FromInt32(0)
	maxSurge := intstr.FromInt32(1)
	template := podTemplate(in, config)
	meta := objectMeta(rp, rp.Name)
	meta.Labels[SpecHashLabel] = SpecHash(rp)
	meta.Annotations = map[string]string{TemplateHashAnnotation: TemplateHash(template)}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(rp)},
			// A new pod must be ready before an old one goes: producers keep
			// their capacity during a rollout, and a rollout that cannot
			// schedule stalls instead of shrinking the proxy.
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: &maxUnavailable,
					MaxSurge:       &maxSurge,
				},
			},
			Template:                template,
			ProgressDeadlineSeconds: ptrTo(progressDeadline(rp)),
		},
	}
}

// DefaultProgressDeadlineSeconds: a proxy pod is ready within seconds once
// scheduled and pulled, so three minutes without progress is a rollout
// that is stuck (an image that cannot be pulled, a pod that crashes or
// cannot be scheduled), reported long before the Deployment's own 600.
const DefaultProgressDeadlineSeconds int32 = 180

func progressDeadline(rp *v1alpha1.RestProxy) int32 {
	if d := rp.Spec.ProgressDeadlineSeconds; d != nil {
		return *d
	}
	return DefaultProgressDeadlineSeconds
}

// ConfigHash is the value of ConfigHashAnnotation for a rendered config.
func ConfigHash(config []byte) string {
	sum := sha256.Sum256(config)
	return hex.EncodeToString(sum[:])
}

func podTemplate(in Input, config []byte) corev1.PodTemplateSpec {
	rp := in.RestProxy
	labels := Labels(rp)
	annotations := map[string]string{ConfigHashAnnotation: ConfigHash(config)}
	spec := corev1.PodSpec{
		ServiceAccountName:           rp.Name,
		AutomountServiceAccountToken: ptrTo(false),
		// The proxy resolves nothing through service environment variables;
		// in a namespace with many Services they only bloat the environment.
		EnableServiceLinks:            ptrTo(false),
		TerminationGracePeriodSeconds: ptrTo(terminationGracePeriod(in)),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptrTo(true),
			RunAsUser:      ptrTo(runAsID),
			RunAsGroup:     ptrTo(runAsID),
			FSGroup:        ptrTo(runAsID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{container(in)},
		Volumes:    volumes(rp, ConfigMapName(rp, ConfigHash(config))),
	}
	if t := rp.Spec.Template; t != nil && t.Pod != nil {
		p := t.Pod
		if m := p.Metadata; m != nil {
			labels = withUserMetadata(labels, m.Labels)
			annotations = withUserMetadata(annotations, m.Annotations)
		}
		spec.Affinity = p.Affinity.DeepCopy()
		spec.Tolerations = deepCopySlice(p.Tolerations, (*corev1.Toleration).DeepCopy)
		spec.NodeSelector = withUserMetadata(nil, p.NodeSelector)
		spec.TopologySpreadConstraints = deepCopySlice(p.TopologySpreadConstraints, (*corev1.TopologySpreadConstraint).DeepCopy)
		spec.PriorityClassName = p.PriorityClassName
		spec.HostAliases = deepCopySlice(p.HostAliases, (*corev1.HostAlias).DeepCopy)
		spec.ImagePullSecrets = deepCopySlice(p.ImagePullSecrets, (*corev1.LocalObjectReference).DeepCopy)
		if p.SecurityContext != nil {
			spec.SecurityContext = p.SecurityContext.DeepCopy()
		}
		for _, v := range p.Volumes {
			spec.Volumes = append(spec.Volumes, extraVolume(v))
		}
	}
	if len(spec.ImagePullSecrets) == 0 {
		spec.ImagePullSecrets = deepCopySlice(in.ImagePullSecrets, (*corev1.LocalObjectReference).DeepCopy)
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec:       spec,
	}
}

// terminationGracePeriod outlasts the pre-stop delay plus the proxy's drain
// (http.shutdownDrainMs), so records in flight get their reports before
// SIGKILL. The template may set it, e.g. longer for slow brokers.
func terminationGracePeriod(in Input) int64 {
	if t := in.RestProxy.Spec.Template; t != nil && t.Pod != nil && t.Pod.TerminationGracePeriodSeconds != nil {
		return *t.Pod.TerminationGracePeriodSeconds
	}
	drainMs := ProxyConfig(in).HTTP.ShutdownDrainMs
	drainSeconds := (drainMs + 999) / 1000
	return drainSeconds + preStopSeconds + gracePaddingSeconds
}

func container(in Input) corev1.Container {
	rp := in.RestProxy
	c := corev1.Container{
		Name:  ContainerName,
		Image: proxyImage(in),
		Args:  []string{"proxy", "--config", ConfigFilePath},
		Ports: []corev1.ContainerPort{
			{Name: PortNameHTTP, ContainerPort: httpPort(rp), Protocol: corev1.ProtocolTCP},
			{Name: PortNameManagement, ContainerPort: managementPort(rp), Protocol: corev1.ProtocolTCP},
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     httpGet("/readyz"),
			PeriodSeconds:    5,
			TimeoutSeconds:   2,
			FailureThreshold: 2,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:     httpGet("/livez"),
			PeriodSeconds:    10,
			TimeoutSeconds:   2,
			FailureThreshold: 3,
		},
		Lifecycle: &corev1.Lifecycle{
			PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: preStopSeconds}},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptrTo(true),
			AllowPrivilegeEscalation: ptrTo(false),
			ReadOnlyRootFilesystem:   ptrTo(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		VolumeMounts:             volumeMounts(rp),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if rp.Spec.Resources != nil {
		c.Resources = *rp.Spec.Resources.DeepCopy()
	}
	if t := rp.Spec.Template; t != nil && t.Container != nil {
		tc := t.Container
		c.Env = deepCopySlice(tc.Env, (*corev1.EnvVar).DeepCopy)
		c.EnvFrom = deepCopySlice(tc.EnvFrom, (*corev1.EnvFromSource).DeepCopy)
		c.VolumeMounts = append(c.VolumeMounts, deepCopySlice(tc.VolumeMounts, (*corev1.VolumeMount).DeepCopy)...)
		if tc.SecurityContext != nil {
			c.SecurityContext = tc.SecurityContext.DeepCopy()
		}
	}
	return c
}

// httpGet probes the management listener, which is plain HTTP even when the
// produce API serves TLS.
func httpGet(path string) corev1.ProbeHandler {
	return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path:   path,
		Port:   intstr.FromString(PortNameManagement),
		Scheme: corev1.URISchemeHTTP,
	}}
}

// volumes are the config file first, then the Secret volumes in their fixed
// order.
func volumes(rp *v1alpha1.RestProxy, configMap string) []corev1.Volume {
	vols := []corev1.Volume{{
		Name: volumeConfig,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: configMap},
			Items:                []corev1.KeyToPath{{Key: ConfigFileKey, Path: ConfigFileKey}},
		}},
	}}
	for _, v := range secretVolumes(rp) {
		vols = append(vols, v.volume())
	}
	if v, _, ok := issuerVolume(rp); ok {
		vols = append(vols, v)
	}
	return vols
}

func volumeMounts(rp *v1alpha1.RestProxy) []corev1.VolumeMount {
	mounts := []corev1.VolumeMount{{Name: volumeConfig, MountPath: ConfigDir, ReadOnly: true}}
	for _, v := range secretVolumes(rp) {
		mounts = append(mounts, v.mount())
	}
	if _, m, ok := issuerVolume(rp); ok {
		mounts = append(mounts, m)
	}
	return mounts
}

// extraVolume is a spec.template.pod.volumes entry as a pod volume.
func extraVolume(v v1alpha1.Volume) corev1.Volume {
	v = *v.DeepCopy()
	return corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
		ConfigMap: v.ConfigMap,
		Secret:    v.Secret,
		EmptyDir:  v.EmptyDir,
	}}
}

// deepCopySlice copies items with their generated DeepCopy, so no object
// returned shares memory with the Input; nil stays nil.
func deepCopySlice[T any](items []T, deepCopy func(*T) *T) []T {
	if len(items) == 0 {
		return nil
	}
	out := make([]T, len(items))
	for i := range items {
		out[i] = *deepCopy(&items[i])
	}
	return out
}
