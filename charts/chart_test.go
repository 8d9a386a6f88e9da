package charts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

func TestLint(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			out := helm(t, append([]string{"lint", "--strict", chartDir}, v.args()...)...)
			if !strings.Contains(string(out), "0 chart(s) failed") {
				t.Fatalf("helm lint did not pass:\n%s", out)
			}
		})
	}
}

// TestTemplateDryRun renders each variant and has the API server validate
// and admit every object (schemas, CEL rules, Pod Security admission)
// without storing it. It applies as system:masters, so it cannot tell
// whether the chart's RBAC is enough: TestOperatorRunsWithChartRBAC does.
func TestTemplateDryRun(t *testing.T) {
	// What distinguishes each variant, so a values file that stopped
	// working would not pass by rendering the defaults.
	wantKinds := map[string]map[string]int{
		// One Role everywhere: the leader election's Lease (on by default).
		// The monitoring objects (ServiceMonitor, its scraper's token Secret,
		// PrometheusRule, the dashboard's ConfigMap) are opt-in.
		"default":        {"CustomResourceDefinition": 1, "ClusterRole": 5, "Role": 1, "ServiceMonitor": 0, "NetworkPolicy": 0, "Service": 1, "Secret": 0, "PrometheusRule": 0, "ConfigMap": 0},
		"namespaced":     {"CustomResourceDefinition": 1, "ClusterRole": 0, "Role": 3, "ServiceMonitor": 0, "NetworkPolicy": 1, "Service": 1, "Secret": 0, "PrometheusRule": 0, "ConfigMap": 0},
		"crds-off":       {"CustomResourceDefinition": 0, "ClusterRole": 3, "Role": 1, "ServiceMonitor": 0, "NetworkPolicy": 0, "Service": 0, "Secret": 0, "PrometheusRule": 0, "ConfigMap": 0},
		"servicemonitor": {"CustomResourceDefinition": 1, "ClusterRole": 5, "Role": 1, "ServiceMonitor": 1, "NetworkPolicy": 0, "Service": 1, "Secret": 1, "PrometheusRule": 1, "ConfigMap": 1},
	}
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			want, ok := wantKinds[v.name]
			if !ok {
				t.Fatalf("no expectations for variant %s: add it to wantKinds", v.name)
			}
			ns := "dry-run-" + v.name
			manifests := render(t, "rp", ns, v)
			objs := objects(t, manifests)
			for kind, n := range want {
				if got := len(find(objs, kind)); got != n {
					t.Errorf("%s: rendered %d %s, want %d", v.name, got, kind, n)
				}
			}
			// Namespaced objects go to the release namespace, but for the
			// manager's Roles in namespaced mode: those go to the watched
			// namespaces, which users create before installing.
			restrictedNamespace(t, ns)
			for _, o := range objs {
				if o.GetNamespace() != "" {
					ensureNamespace(t, o.GetNamespace())
				}
			}
			serverSideApply(t, manifests, true)
		})
	}
}

// TestBadValuesRejected: values.schema.json turns a typo into an install
// error that names the value.
func TestBadValuesRejected(t *testing.T) {
	for _, tc := range []struct {
		name, values, want string
	}{
		{"unknown top-level key", "replicas: 2\n", "replicas"},
		{"unknown nested key", "image:\n  repo: x\n", "repo"},
		{"wrong type", "replicaCount: two\n", "replicaCount"},
		{"bad enum", "logging:\n  level: verbose\n", "level"},
		{"bad port", "metrics:\n  port: 70000\n", "port"},
		{"bad namespace name", "watchNamespaces: [Tenant_A]\n", "watchNamespaces"},
		{"flag without dashes", "extraArgs: [leader-elect]\n", "extraArgs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad-values.yaml")
			if err := os.WriteFile(file, []byte(tc.values), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := run(nil, tools.helm, "template", "rp", chartDir, "--values", file)
			if err == nil {
				t.Fatalf("helm template accepted %q:\n%s", tc.values, out)
			}
			if !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("helm template rejected %q, but the error does not blame %s in the schema:\n%v", tc.values, tc.want, err)
			}
		})
	}
}

// TestManagerRulesMatchMarkers: the operator's ClusterRole (or its Role in
// each watched namespace) grants exactly what the +kubebuilder:rbac markers
// generate into config/rbac/role.yaml: no less, so the operator installed by
// the chart can work, and no more.
func TestManagerRulesMatchMarkers(t *testing.T) {
	want := generatedRules(t)
	for _, v := range []variant{{name: "default"}, {name: "namespaced", valuesFile: filepath.Join(chartDir, "ci", "namespaced-values.yaml")}} {
		t.Run(v.name, func(t *testing.T) {
			objs := objects(t, render(t, "rp", "restproxy-system", v))
			var roles []*rbacv1.ClusterRole // a Role's rules decode the same
			for _, kind := range []string{"ClusterRole", "Role"} {
				for _, o := range find(objs, kind) {
					if o.GetName() != "rp-restproxy-operator-manager" {
						continue
					}
					var r rbacv1.ClusterRole
					decode(t, o, &r)
					roles = append(roles, &r)
				}
			}
			if len(roles) == 0 {
				t.Fatal("no manager ClusterRole or Role rendered")
			}
			for _, r := range roles {
				if !reflect.DeepEqual(r.Rules, want) {
					t.Errorf("%s/%s rules differ from config/rbac/role.yaml (run make helm-crds):\ngot  %+v\nwant %+v", r.Namespace, r.Name, r.Rules, want)
				}
			}
		})
	}
}

// generatedRules are the rules controller-gen wrote from the markers.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("parse config/rbac/role.yaml: %v", err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no rules")
	}
	return role.Rules
}

// TestInstallYAMLDryRun validates dist/install.yaml (make build-installer),
// what `kubectl apply -f` users install, against the API server.
func TestInstallYAMLDryRun(t *testing.T) {
	manifests, err := os.ReadFile(tools.installYAML)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, manifests)
	for _, kind := range []string{"CustomResourceDefinition", "Namespace", "Deployment", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Service"} {
		if len(find(objs, kind)) == 0 {
			t.Errorf("%s holds no %s", tools.installYAML, kind)
		}
	}
	// A dry run creates nothing, so the objects in the Namespace it
	// declares need that Namespace, with its Pod Security labels, to exist.
	for _, o := range find(objs, "Namespace") {
		var ns corev1.Namespace
		decode(t, o, &ns)
		createNamespace(t, &ns)
	}
	serverSideApply(t, manifests, true)
}

// TestInstallYAMLSplit: make build-installer also writes the same objects
// as dist/crds.yaml (the CRD alone) and dist/operator.yaml (everything
// else), so `kubectl delete -f dist/operator.yaml` removes the operator
// and keeps the CRD, and with it every RestProxy and its proxy.
func TestInstallYAMLSplit(t *testing.T) {
	dir := filepath.Dir(tools.installYAML)
	read := func(name string) map[string]bool {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (make build-installer writes it)", err)
		}
		ids := map[string]bool{}
		for _, o := range objects(t, data) {
			ids[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = true
		}
		return ids
	}
	all, crds, operator := read("install.yaml"), read("crds.yaml"), read("operator.yaml")
	for id := range crds {
		if !strings.HasPrefix(id, "CustomResourceDefinition ") {
			t.Errorf("crds.yaml holds %s", id)
		}
		if operator[id] {
			t.Errorf("%s is in both crds.yaml and operator.yaml", id)
		}
	}
	for id := range operator {
		if strings.HasPrefix(id, "CustomResourceDefinition ") {
			t.Errorf("operator.yaml holds %s: deleting the operator would delete every RestProxy", id)
		}
	}
	for id := range all {
		if !crds[id] && !operator[id] {
			t.Errorf("install.yaml's %s is in neither crds.yaml nor operator.yaml", id)
		}
	}
	if len(crds)+len(operator) != len(all) {
		t.Errorf("crds.yaml (%d) and operator.yaml (%d) hold other objects than install.yaml (%d)", len(crds), len(operator), len(all))
	}
}

// TestNotes: what helm prints after an install names the objects the chart
// made and, in namespaced mode, a namespace the operator watches.
func TestNotes(t *testing.T) {
	for _, tc := range []struct {
		v    variant
		want []string
	}{
		{variant{name: "default"}, []string{
			"rollout status deployment/rp-restproxy-operator",
			"kubectl -n NAMESPACE wait --for=condition=Ready rp/orders",
			"ClusterRole\nrp-restproxy-operator-metrics-reader",
		}},
		{servicemonitorVariant(), []string{
			"Secret rp-restproxy-operator-metrics-scraper",
			"PrometheusRule rp-restproxy-operator",
			"ConfigMap rp-restproxy-operator-dashboards",
		}},
		{variant{name: "namespaced", valuesFile: filepath.Join(chartDir, "ci", "namespaced-values.yaml")}, []string{
			"reconciles RestProxies in: tenant-a, tenant-b",
			"kubectl -n tenant-a wait --for=condition=Ready rp/orders",
		}},
	} {
		t.Run(tc.v.name, func(t *testing.T) {
			out := string(helm(t, append([]string{"install", "rp", chartDir, "--namespace", "restproxy-system", "--dry-run=client"}, tc.v.args()...)...))
			_, notes, ok := strings.Cut(out, "\nNOTES:\n")
			if !ok {
				t.Fatalf("helm install printed no NOTES:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(notes, w) {
					t.Errorf("NOTES lack %q:\n%s", w, notes)
				}
			}
		})
	}
}
