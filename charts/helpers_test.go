package charts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// variant is one way to install the chart: default values, or one of the
// ci/*-values.yaml files chart-testing and the tests share.
type variant struct {
	name       string // "default", or the values file's base name
	valuesFile string // empty: default values
}

// variants are the default values and every file in ci/.
func variants(t *testing.T) []variant {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s/ci/*-values.yaml (err %v)", chartDir, err)
	}
	vs := []variant{{name: "default"}}
	for _, f := range files {
		vs = append(vs, variant{name: strings.TrimSuffix(filepath.Base(f), "-values.yaml"), valuesFile: f})
	}
	return vs
}

func (v variant) args() []string {
	if v.valuesFile == "" {
		return nil
	}
	return []string{"--values", v.valuesFile}
}

// run runs a tool and returns its stdout, or an error with its stderr.
func run(stdin []byte, name string, args ...string) ([]byte, error) {
	stdout, _, err := runWithStderr(stdin, name, args...)
	return stdout, err
}

// runWithStderr is run that also returns what the tool warned about.
func runWithStderr(stdin []byte, name string, args ...string) (stdout, stderr []byte, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// helm keeps its cache and config under HOME; keep the user's out of it.
	home, err := os.MkdirTemp("", "chart-test-home-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(home)
	cmd.Env = append(os.Environ(), "HOME="+home, "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errOut.Bytes(), fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes(), errOut.Bytes(), nil
}

// helm runs helm and fails the test when it fails.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	out, err := run(nil, tools.helm, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// render is `helm template` of the chart as release in namespace.
func render(t *testing.T, release, namespace string, v variant) []byte {
	t.Helper()
	args := append([]string{"template", release, chartDir, "--namespace", namespace}, v.args()...)
	return helm(t, args...)
}

// kubectl runs kubectl as admin against the suite's API server.
func kubectl(stdin []byte, args ...string) ([]byte, error) {
	stdout, _, err := kubectlWithStderr(stdin, args...)
	return stdout, err
}

func kubectlWithStderr(stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	cacheDir, err := os.MkdirTemp("", "chart-test-kubectl-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(cacheDir)
	return runWithStderr(stdin, tools.kubectl, append([]string{"--kubeconfig", adminKub, "--cache-dir", cacheDir}, args...)...)
}

// serverSideApply applies manifests with server-side apply; dryRun asks the
// API server to validate and admit every object without storing it.
func serverSideApply(t *testing.T, manifests []byte, dryRun bool) {
	t.Helper()
	args := []string{"apply", "--server-side", "--force-conflicts", "--field-manager", "chart-test", "--filename", "-"}
	if dryRun {
		args = append(args, "--dry-run=server")
	}
	out, warnings, err := kubectlWithStderr(manifests, args...)
	if err != nil {
		t.Fatal(err)
	}
	// The API server's warnings, e.g. a pod template the restricted Pod
	// Security Standard would refuse in a restrictedNamespace.
	if len(warnings) > 0 {
		t.Errorf("kubectl apply warned:\n%s", warnings)
	}
	// One line per object: none may have been skipped.
	if got, want := strings.Count(string(out), "serverside-applied"), len(objects(t, manifests)); got != want {
		t.Fatalf("kubectl applied %d objects, the manifests hold %d:\n%s", got, want, out)
	}
}

// objects splits a multi-document YAML stream into its objects, skipping
// documents that hold only comments.
func objects(t *testing.T, manifests []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split("\n"+string(manifests), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("parse rendered document: %v\n%s", err, doc)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs
}

// find returns the rendered objects of kind.
func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	return found
}

// decode converts a rendered object into its typed form.
func decode(t *testing.T, obj *unstructured.Unstructured, into any) {
	t.Helper()
	data, err := yaml.Marshal(obj.Object)
	if err == nil {
		err = yaml.UnmarshalStrict(data, into)
	}
	if err != nil {
		t.Fatalf("decode %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
}

// ensureNamespace creates namespace ns unless it exists. envtest never
// finishes deleting namespaces, so they are left behind.
func ensureNamespace(t *testing.T, ns string) {
	t.Helper()
	createNamespace(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
}

// restrictedNamespace is ensureNamespace for a namespace under the
// restricted Pod Security Standard, where the operator is meant to run. The
// API server warns about a Deployment whose pods it would refuse.
func restrictedNamespace(t *testing.T, ns string) {
	t.Helper()
	createNamespace(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}})
}

func createNamespace(t *testing.T, ns *corev1.Namespace) {
	t.Helper()
	err := k8s.Create(context.Background(), ns)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", ns.Name, err)
	}
}

// eventually polls cond until it returns nil, and fails the test with its
// last error after a timeout generous for a loaded machine.
func eventually(t *testing.T, cond func() error) {
	t.Helper()
	const timeout = 30 * time.Second
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
