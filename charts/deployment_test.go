package charts

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestDeploymentValues: each value that shapes the operator's pods lands in
// the rendered Deployment where Kubernetes reads it. The dry-run tests prove
// the objects are valid and the restricted Pod Security Standard admits them;
// these prove they are the ones the values ask for (a dropped nodeSelector or
// --leader-elect is still a valid Deployment).
func TestDeploymentValues(t *testing.T) {
	for _, tc := range []struct {
		name, values string
		check        func(t *testing.T, r rendered)
	}{
		{"defaults", "", func(t *testing.T, r rendered) {
			if got := *r.dep.Spec.Replicas; got != 1 {
				t.Errorf("replicas %d, want 1", got)
			}
			if !r.hasArg("--leader-elect") || !r.leaderElectionRole() {
				t.Errorf("one replica elects no leader by default (or lacks its Role): args %v", r.manager.Args)
			}
			if got := r.dep.Spec.Strategy.Type; got != appsv1.RecreateDeploymentStrategyType {
				t.Errorf("strategy %q, want Recreate: an upgrade must not run two operators at once", got)
			}
			if got, want := r.env("RESTPROXY_PROXY_IMAGE"), r.manager.Image; got != want {
				t.Errorf("RESTPROXY_PROXY_IMAGE %q, want the operator's image %q", got, want)
			}
			if got := r.env("OTEL_EXPORTER_OTLP_ENDPOINT"); got != "" {
				t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q by default, want none: no traces", got)
			}
			wantProbes(t, r.manager, 8081)
			for name, rl := range map[string]corev1.ResourceList{"requests": r.manager.Resources.Requests, "limits": r.manager.Resources.Limits} {
				if rl.Cpu().IsZero() || rl.Memory().IsZero() {
					t.Errorf("resources.%s %v: want cpu and memory", name, rl)
				}
			}
			// The restricted standard does not ask for it; the operator needs no writable root.
			if sc := r.manager.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("container securityContext %+v: want readOnlyRootFilesystem", sc)
			}
		}},
		{"operator tracing", "tracing:\n  endpoint: http://otel.monitoring:4318\n  samplingRatio: \"0.5\"\n  headersSecretRef: {name: otlp, key: headers}\n", func(t *testing.T, r rendered) {
			for name, want := range map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel.monitoring:4318",
				"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
				"OTEL_TRACES_SAMPLER_ARG":     "0.5",
				"OTEL_SERVICE_NAME":           "restproxy-operator",
			} {
				if got := r.env(name); got != want {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
			i := slices.IndexFunc(r.manager.Env, func(e corev1.EnvVar) bool { return e.Name == "OTEL_EXPORTER_OTLP_HEADERS" })
			if i < 0 || r.manager.Env[i].ValueFrom == nil || r.manager.Env[i].ValueFrom.SecretKeyRef.Name != "otlp" || r.manager.Env[i].ValueFrom.SecretKeyRef.Key != "headers" {
				t.Errorf("OTEL_EXPORTER_OTLP_HEADERS not from Secret otlp/headers: env %+v", r.manager.Env)
			}
		}},
		{"two replicas elect a leader", "replicaCount: 2\n", func(t *testing.T, r rendered) {
			if got := *r.dep.Spec.Replicas; got != 2 {
				t.Errorf("replicas %d, want 2", got)
			}
			if !r.hasArg("--leader-elect") || !r.leaderElectionRole() {
				t.Errorf("two replicas without leader election (or its Role): args %v", r.manager.Args)
			}
		}},
		{"leader election turned off", "leaderElection:\n  enabled: false\n", func(t *testing.T, r rendered) {
			if r.hasArg("--leader-elect") || r.leaderElectionRole() {
				t.Errorf("leaderElection.enabled false still elects a leader: args %v", r.manager.Args)
			}
		}},
		{"proxy pull secrets", "proxyImagePullSecrets: [fleet-registry, mirror]\n", func(t *testing.T, r rendered) {
			if !r.hasArg("--proxy-image-pull-secrets=fleet-registry,mirror") {
				t.Errorf("proxyImagePullSecrets not passed on: args %v", r.manager.Args)
			}
		}},
		{"rolling update asked for", "strategy:\n  type: RollingUpdate\n", func(t *testing.T, r rendered) {
			if got := r.dep.Spec.Strategy.Type; got != appsv1.RollingUpdateDeploymentStrategyType {
				t.Errorf("strategy %q, want RollingUpdate", got)
			}
			if !r.hasArg("--leader-elect") {
				t.Errorf("a rolling update without leader election: args %v", r.manager.Args)
			}
		}},
		{"images", "image:\n  repository: registry.example/restproxy\n  tag: v9\nproxyImage: registry.example/proxy:v1\n", func(t *testing.T, r rendered) {
			if got, want := r.manager.Image, "registry.example/restproxy:v9"; got != want {
				t.Errorf("image %q, want %q", got, want)
			}
			if got, want := r.env("RESTPROXY_PROXY_IMAGE"), "registry.example/proxy:v1"; got != want {
				t.Errorf("RESTPROXY_PROXY_IMAGE %q, want proxyImage %q", got, want)
			}
		}},
		{"probes logging and resources", `
healthProbe:
  port: 9440
logging:
  level: debug
  format: text
resources:
  requests: {cpu: 50m, memory: 100Mi}
  limits: {cpu: null, memory: 200Mi}
`, func(t *testing.T, r rendered) {
			wantProbes(t, r.manager, 9440)
			for _, arg := range []string{"--health-probe-bind-address=:9440", "--log-level=debug", "--log-format=text"} {
				if !r.hasArg(arg) {
					t.Errorf("args %v lack %s", r.manager.Args, arg)
				}
			}
			res := r.manager.Resources
			if res.Requests.Cpu().String() != "50m" || res.Requests.Memory().String() != "100Mi" || res.Limits.Memory().String() != "200Mi" || !res.Limits.Cpu().IsZero() {
				t.Errorf("resources %+v, want requests 50m/100Mi and limits memory 200Mi only (cpu: null removes the default)", res)
			}
		}},
		{"scheduling and metadata", `
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Equal, value: platform, effect: NoSchedule}]
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [platform]}]}]
topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]
priorityClassName: platform-critical
podSecurityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
podLabels: {sidecar.example/inject: "false"}
podAnnotations: {example.com/scrape: "no"}
commonLabels: {team: platform}
commonAnnotations: {example.com/owner: platform}
`, func(t *testing.T, r rendered) {
			pod := r.dep.Spec.Template
			if got := pod.Spec.NodeSelector; !reflect.DeepEqual(got, map[string]string{"kubernetes.io/os": "linux"}) {
				t.Errorf("nodeSelector %v", got)
			}
			wantTolerations := []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "platform", Effect: corev1.TaintEffectNoSchedule}}
			if got := pod.Spec.Tolerations; !reflect.DeepEqual(got, wantTolerations) {
				t.Errorf("tolerations %+v, want %+v", got, wantTolerations)
			}
			if a := pod.Spec.Affinity; a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
				t.Errorf("affinity %+v: want the required node affinity", a)
			}
			if got := pod.Spec.TopologySpreadConstraints; len(got) != 1 || got[0].TopologyKey != "topology.kubernetes.io/zone" {
				t.Errorf("topologySpreadConstraints %+v", got)
			}
			if got := pod.Spec.PriorityClassName; got != "platform-critical" {
				t.Errorf("priorityClassName %q", got)
			}
			if psc := pod.Spec.SecurityContext; psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != 10001 {
				t.Errorf("pod securityContext %+v: want runAsUser 10001", psc)
			}
			if pod.Labels["sidecar.example/inject"] != "false" || pod.Labels["team"] != "platform" || r.dep.Labels["team"] != "platform" {
				t.Errorf("labels: Deployment %v, pod %v: want podLabels on the pod and commonLabels on both", r.dep.Labels, pod.Labels)
			}
			if pod.Annotations["example.com/scrape"] != "no" || r.dep.Annotations["example.com/owner"] != "platform" {
				t.Errorf("annotations: Deployment %v, pod %v: want podAnnotations on the pod and commonAnnotations on the Deployment", r.dep.Annotations, pod.Annotations)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No commas in the test name: helm splits --values on them, and
			// t.TempDir is named after the test.
			v := variant{name: tc.name}
			if tc.values != "" {
				v.valuesFile = filepath.Join(t.TempDir(), "values.yaml")
				if err := os.WriteFile(v.valuesFile, []byte(tc.values), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			tc.check(t, renderDeployment(t, v))
		})
	}
}

// rendered is the chart's output for one set of values, with its operator
// Deployment and manager container decoded.
type rendered struct {
	objs    []*unstructured.Unstructured
	dep     appsv1.Deployment
	manager corev1.Container
}

func renderDeployment(t *testing.T, v variant) rendered {
	t.Helper()
	r := rendered{objs: objects(t, render(t, "rp", "restproxy-system", v))}
	deps := find(r.objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("rendered %d Deployments, want 1", len(deps))
	}
	decode(t, deps[0], &r.dep)
	i := slices.IndexFunc(r.dep.Spec.Template.Spec.Containers, func(c corev1.Container) bool { return c.Name == "manager" })
	if i < 0 {
		t.Fatal("the rendered Deployment has no manager container")
	}
	r.manager = r.dep.Spec.Template.Spec.Containers[i]
	return r
}

func (r rendered) hasArg(arg string) bool { return slices.Contains(r.manager.Args, arg) }

func (r rendered) env(name string) string {
	for _, e := range r.manager.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// leaderElectionRole says the Role that lets the operator hold its Lease
// is rendered in the release namespace.
func (r rendered) leaderElectionRole() bool {
	return slices.ContainsFunc(find(r.objs, "Role"), func(o *unstructured.Unstructured) bool {
		return o.GetName() == "rp-restproxy-operator-leader-election" && o.GetNamespace() == "restproxy-system"
	})
}

// wantProbes checks liveness and readiness ask the health port, port, for
// /healthz and /readyz.
func wantProbes(t *testing.T, c corev1.Container, port int32) {
	t.Helper()
	if !slices.Contains(c.Ports, corev1.ContainerPort{Name: "health", ContainerPort: port, Protocol: corev1.ProtocolTCP}) {
		t.Errorf("ports %+v: want health on %d", c.Ports, port)
	}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString("health") {
			t.Errorf("%s probe %+v: want GET %s on port health", p.kind, p.probe, p.path)
		}
	}
}
