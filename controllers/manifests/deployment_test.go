package manifests

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func mustDeployment(t *testing.T, in Input) *appsv1.Deployment {
	t.Helper()
	d, err := Deployment(in)
	if err != nil {
		t.Fatalf("Deployment: %v", err)
	}
	return d
}

func proxyContainer(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Name != "proxy" {
		t.Fatalf("containers = %+v; want exactly one named proxy", cs)
	}
	return cs[0]
}

func TestDeploymentIdentity(t *testing.T) {
	for name, rp := range map[string]*v1alpha1.RestProxy{"minimal": minimal(), "full": full()} {
		t.Run(name, func(t *testing.T) {
			d := mustDeployment(t, input(rp))
			if d.APIVersion != "apps/v1" || d.Kind != "Deployment" {
				t.Errorf("TypeMeta = %s %s", d.APIVersion, d.Kind)
			}
			if d.Name != "orders" || d.Namespace != "tenant-a" {
				t.Errorf("name = %s/%s; want tenant-a/orders", d.Namespace, d.Name)
			}
			want := Labels(rp)
			want[SpecHashLabel] = SpecHash(rp)
			if !reflect.DeepEqual(d.Labels, want) {
				t.Errorf("labels = %v; want %v", d.Labels, want)
			}
			if !reflect.DeepEqual(d.Spec.Selector.MatchLabels, SelectorLabels(rp)) {
				t.Errorf("selector = %v; want %v", d.Spec.Selector.MatchLabels, SelectorLabels(rp))
			}
			for k, v := range Labels(rp) {
				if d.Spec.Template.Labels[k] != v {
					t.Errorf("pod label %s = %q; want %q", k, d.Spec.Template.Labels[k], v)
				}
			}
			if len(d.OwnerReferences) != 0 {
				t.Errorf("owner references set: the reconciler owns them")
			}
			pod := d.Spec.Template.Spec
			if pod.ServiceAccountName != "orders" {
				t.Errorf("serviceAccountName = %q; want orders", pod.ServiceAccountName)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Errorf("automountServiceAccountToken = %v; want false", pod.AutomountServiceAccountToken)
			}
		})
	}
}

func TestDeploymentImage(t *testing.T) {
	if got := proxyContainer(t, mustDeployment(t, input(minimal()))).Image; got != testImage {
		t.Errorf("image without spec.image = %q; want the default %q", got, testImage)
	}
	if got := proxyContainer(t, mustDeployment(t, input(full()))).Image; got != "registry.example/restproxy:custom" {
		t.Errorf("image with spec.image = %q", got)
	}
}

func TestDeploymentContainer(t *testing.T) {
	c := proxyContainer(t, mustDeployment(t, input(full())))
	if want := []string{"proxy", "--config", "/etc/restproxy/config/restproxy.yaml"}; !reflect.DeepEqual(c.Args, want) {
		t.Errorf("args = %q; want %q", c.Args, want)
	}
	wantPorts := []corev1.ContainerPort{
		{Name: "http", ContainerPort: 9443, Protocol: corev1.ProtocolTCP},
		{Name: "management", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
	}
	if !reflect.DeepEqual(c.Ports, wantPorts) {
		t.Errorf("ports = %+v; want %+v", c.Ports, wantPorts)
	}
	if !reflect.DeepEqual(c.Resources, *full().Spec.Resources) {
		t.Errorf("resources = %+v; want the spec's", c.Resources)
	}
	if !reflect.DeepEqual(c.Env, full().Spec.Template.Container.Env) {
		t.Errorf("env = %+v; want the template's", c.Env)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop = %+v; want a native 5 s sleep", c.Lifecycle)
	}
	if c.Lifecycle.PreStop.Exec != nil {
		t.Errorf("preStop runs a command; the image has no shell")
	}
}

func TestDeploymentProbes(t *testing.T) {
	c := proxyContainer(t, mustDeployment(t, input(full())))
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/livez"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe = %+v; want an HTTP GET", p.name, p.probe)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path || g.Port != intstr.FromString("management") || g.Scheme != corev1.URISchemeHTTP {
			t.Errorf("%s probe = %s %s %v; want HTTP %s on the management port", p.name, g.Scheme, g.Path, g.Port.String(), p.path)
		}
	}
}

func TestDeploymentSecurityContext(t *testing.T) {
	rp := full()
	rp.Spec.Template.Pod.SecurityContext, rp.Spec.Template.Container.SecurityContext = nil, nil
	d := mustDeployment(t, input(rp))
	pod := d.Spec.Template.Spec.SecurityContext
	c := proxyContainer(t, d).SecurityContext
	if pod == nil || c == nil {
		t.Fatalf("security contexts missing: pod %v container %v", pod, c)
	}
	checks := []struct {
		field string
		ok    bool
	}{
		{"pod runAsNonRoot", pod.RunAsNonRoot != nil && *pod.RunAsNonRoot},
		{"pod runAsUser non-zero", pod.RunAsUser != nil && *pod.RunAsUser != 0},
		{"pod fsGroup set (0440 Secret files readable)", pod.FSGroup != nil && *pod.FSGroup == *pod.RunAsUser},
		{"pod seccompProfile RuntimeDefault", pod.SeccompProfile != nil && pod.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		{"container allowPrivilegeEscalation false", c.AllowPrivilegeEscalation != nil && !*c.AllowPrivilegeEscalation},
		{"container readOnlyRootFilesystem", c.ReadOnlyRootFilesystem != nil && *c.ReadOnlyRootFilesystem},
		{"container runAsNonRoot", c.RunAsNonRoot != nil && *c.RunAsNonRoot},
		{"container drops ALL capabilities", c.Capabilities != nil && reflect.DeepEqual(c.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(c.Capabilities.Add) == 0},
		{"container not privileged", c.Privileged == nil || !*c.Privileged},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("%s: not so (pod %+v, container %+v)", ck.field, pod, c)
		}
	}
}

// TestPortablePods: the template's security contexts replace the
// operator's as a whole (so OpenShift can assign the IDs), its envFrom,
// volumes and mounts come after the operator's, and the operator's default
// pull Secrets apply only when the template names none.
func TestPortablePods(t *testing.T) {
	rp := full()
	d := mustDeployment(t, input(rp))
	pod, c := d.Spec.Template.Spec, proxyContainer(t, d)
	if !reflect.DeepEqual(pod.SecurityContext, rp.Spec.Template.Pod.SecurityContext) || pod.SecurityContext.RunAsUser != nil || pod.SecurityContext.FSGroup != nil {
		t.Errorf("pod securityContext = %+v, want the template's, without IDs", pod.SecurityContext)
	}
	if !reflect.DeepEqual(c.SecurityContext, rp.Spec.Template.Container.SecurityContext) {
		t.Errorf("container securityContext = %+v, want the template's", c.SecurityContext)
	}
	if !reflect.DeepEqual(c.EnvFrom, rp.Spec.Template.Container.EnvFrom) {
		t.Errorf("envFrom = %+v", c.EnvFrom)
	}
	if last := pod.Volumes[len(pod.Volumes)-1]; last.Name != "extra-ca" || last.ConfigMap == nil || last.ConfigMap.Name != "orders-extra-ca" {
		t.Errorf("last volume = %+v, want the template's extra-ca", last)
	}
	if last := c.VolumeMounts[len(c.VolumeMounts)-1]; last.Name != "extra-ca" || last.MountPath != "/etc/ssl/extra" {
		t.Errorf("last mount = %+v, want the template's extra-ca", last)
	}

	in := input(minimal())
	in.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "fleet-registry"}}
	if got := mustDeployment(t, in).Spec.Template.Spec.ImagePullSecrets; len(got) != 1 || got[0].Name != "fleet-registry" {
		t.Errorf("imagePullSecrets = %v, want the operator's default", got)
	}
	in = input(full())
	in.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "fleet-registry"}}
	if got := mustDeployment(t, in).Spec.Template.Spec.ImagePullSecrets; len(got) != 1 || got[0].Name != "registry-creds" {
		t.Errorf("imagePullSecrets = %v, want the template's, not the operator's default", got)
	}
}

func TestDeploymentReplicas(t *testing.T) {
	tests := []struct {
		name        string
		replicas    *int32
		autoscaling *v1alpha1.AutoscalingSpec
		want        int32
	}{
		{"spec replicas", ptrTo[int32](3), nil, 3},
		{"absent means 1", nil, nil, 1},
		{"zero scales to zero", ptrTo[int32](0), nil, 0},
		{"autoscaling follows spec.replicas (the HPA writes it)", ptrTo[int32](4), &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](2), MaxReplicas: 6}, 4},
		{"autoscaling raises to minReplicas", ptrTo[int32](1), &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](3), MaxReplicas: 6}, 3},
		{"autoscaling caps at maxReplicas", ptrTo[int32](9), &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](2), MaxReplicas: 6}, 6},
		{"autoscaling without minReplicas floors at 1", ptrTo[int32](0), &v1alpha1.AutoscalingSpec{MaxReplicas: 6}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Replicas = tt.replicas
			rp.Spec.Autoscaling = tt.autoscaling
			d := mustDeployment(t, input(rp))
			if d.Spec.Replicas == nil || *d.Spec.Replicas != tt.want {
				t.Errorf("replicas = %v; want %d", d.Spec.Replicas, tt.want)
			}
		})
	}
}

func TestDeploymentRollingUpdateKeepsCapacity(t *testing.T) {
	s := mustDeployment(t, input(minimal())).Spec.Strategy
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil {
		t.Fatalf("strategy = %+v; want RollingUpdate", s)
	}
	if *s.RollingUpdate.MaxUnavailable != intstr.FromInt32(0) || *s.RollingUpdate.MaxSurge != intstr.FromInt32(1) {
		t.Errorf("rolling update = unavailable %v surge %v; want 0 and 1", s.RollingUpdate.MaxUnavailable, s.RollingUpdate.MaxSurge)
	}
}

func TestDeploymentTerminationGracePeriod(t *testing.T) {
	got := *mustDeployment(t, input(minimal())).Spec.Template.Spec.TerminationGracePeriodSeconds
	// drain 25 s + preStop 5 s + 10 s slack.
	if got != 40 {
		t.Errorf("default terminationGracePeriodSeconds = %d; want 40", got)
	}
	drain := ProxyConfig(input(minimal())).HTTP.ShutdownDrainMs / 1000
	if got <= drain+preStopSeconds {
		t.Errorf("terminationGracePeriodSeconds %d does not outlast drain %d s + preStop %d s", got, drain, preStopSeconds)
	}
	if got := *mustDeployment(t, input(full())).Spec.Template.Spec.TerminationGracePeriodSeconds; got != 90 {
		t.Errorf("terminationGracePeriodSeconds with the template's 90 = %d", got)
	}
}

func TestDeploymentPodTemplate(t *testing.T) {
	rp := full()
	d := mustDeployment(t, input(rp))
	pod := d.Spec.Template
	tp := rp.Spec.Template.Pod
	if pod.Labels["team"] != "orders" || pod.Annotations["sidecar.istio.io/inject"] != "false" {
		t.Errorf("template metadata not applied: labels %v annotations %v", pod.Labels, pod.Annotations)
	}
	if !reflect.DeepEqual(pod.Spec.Affinity, tp.Affinity) {
		t.Errorf("affinity = %+v", pod.Spec.Affinity)
	}
	if !reflect.DeepEqual(pod.Spec.Tolerations, tp.Tolerations) {
		t.Errorf("tolerations = %+v", pod.Spec.Tolerations)
	}
	if !reflect.DeepEqual(pod.Spec.NodeSelector, tp.NodeSelector) {
		t.Errorf("nodeSelector = %+v", pod.Spec.NodeSelector)
	}
	if !reflect.DeepEqual(pod.Spec.TopologySpreadConstraints, tp.TopologySpreadConstraints) {
		t.Errorf("topologySpreadConstraints = %+v", pod.Spec.TopologySpreadConstraints)
	}
	if pod.Spec.PriorityClassName != "tenant-high" {
		t.Errorf("priorityClassName = %q", pod.Spec.PriorityClassName)
	}
	if h := pod.Spec.HostAliases; len(h) != 1 || h[0].IP != "10.0.0.7" || len(h[0].Hostnames) != 1 || h[0].Hostnames[0] != "issuer.internal" {
		t.Errorf("hostAliases = %+v, want the template's", h)
	}
	if !reflect.DeepEqual(pod.Spec.ImagePullSecrets, tp.ImagePullSecrets) {
		t.Errorf("imagePullSecrets = %+v", pod.Spec.ImagePullSecrets)
	}
}

// TestDeploymentTemplateCannotOverrideOurs: user labels and annotations are
// added, but the selector labels and the config-hash annotation stay the
// operator's, or the pods would leave the selector or never roll.
func TestDeploymentTemplateCannotOverrideOurs(t *testing.T) {
	rp := minimal()
	rp.Spec.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{Metadata: &v1alpha1.EmbeddedMetadata{
		Labels:      map[string]string{"app.kubernetes.io/instance": "hijack", "extra": "yes"},
		Annotations: map[string]string{ConfigHashAnnotation: "pinned", "extra": "yes"},
	}}}
	pod := mustDeployment(t, input(rp)).Spec.Template
	if pod.Labels["app.kubernetes.io/instance"] != "orders" || pod.Labels["extra"] != "yes" {
		t.Errorf("pod labels = %v", pod.Labels)
	}
	if pod.Annotations[ConfigHashAnnotation] == "pinned" || pod.Annotations["extra"] != "yes" {
		t.Errorf("pod annotations = %v", pod.Annotations)
	}
}

// TestDeploymentHashAnnotations: the config hash is the operator's only
// pod-template annotation, so only a changed config (or another change of
// the template) rolls the pods; nothing on the template follows a Secret's
// contents, which the proxy re-reads.
func TestDeploymentHashAnnotations(t *testing.T) {
	annotations := func(rp *v1alpha1.RestProxy) map[string]string {
		return mustDeployment(t, input(rp)).Spec.Template.Annotations
	}
	base := annotations(minimal())
	data, _ := RenderConfig(input(minimal()))
	if want := map[string]string{ConfigHashAnnotation: ConfigHash(data)}; !reflect.DeepEqual(base, want) {
		t.Errorf("pod template annotations = %v; want only the sha256 hex of the rendered config, %v", base, want)
	}

	tests := []struct {
		name          string
		mutate        func(*v1alpha1.RestProxy)
		configChanges bool
	}{
		{"nothing changed", func(*v1alpha1.RestProxy) {}, false},
		{"config field changed", func(rp *v1alpha1.RestProxy) { rp.Spec.Logging = &v1alpha1.LoggingSpec{Level: "debug"} }, true},
		{"non-config field changed", func(rp *v1alpha1.RestProxy) { rp.Spec.Replicas = ptrTo[int32](5); rp.Spec.Image = "other" }, false},
		{"kafka client id changed", func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.ClientID = "x" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			tt.mutate(rp)
			got := annotations(rp)
			if changed := got[ConfigHashAnnotation] != base[ConfigHashAnnotation]; changed != tt.configChanges {
				t.Errorf("config hash changed = %v; want %v", changed, tt.configChanges)
			}
		})
	}
}

// TestDeploymentSharesNoMemoryWithInput: changing the returned object must not
// change the RestProxy the reconciler holds (it may be a cache object).
func TestDeploymentSharesNoMemoryWithInput(t *testing.T) {
	rp := full()
	before := rp.DeepCopy()
	d := mustDeployment(t, input(rp))
	pod := &d.Spec.Template.Spec
	pod.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].Weight = 1
	pod.Tolerations[0].Key = "changed"
	pod.NodeSelector["changed"] = "yes"
	pod.TopologySpreadConstraints[0].MaxSkew = 9
	pod.ImagePullSecrets[0].Name = "changed"
	pod.Containers[0].Env[0].Value = "changed"
	pod.Containers[0].Resources.Limits[corev1.ResourceCPU] = pod.Containers[0].Resources.Requests[corev1.ResourceCPU]
	if !reflect.DeepEqual(rp, before) {
		t.Errorf("changing the Deployment changed the RestProxy")
	}
}
