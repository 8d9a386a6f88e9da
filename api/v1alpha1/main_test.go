package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// k8s is the client of the one API server every test in the package shares;
// tests isolate themselves by namespace, so they can run in parallel.
var k8s client.Client

// TestMain starts a real kube-apiserver and etcd with the CRD from
// config/crd/bases installed: the validation under test is the API server's,
// so nothing short of a real one proves it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets, err := binaryAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		v1alpha1.AddToScheme, corev1.AddToScheme, autoscalingv1.AddToScheme, apiextensionsv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, "build scheme:", err)
			return 1
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "start envtest (kube-apiserver, etcd from %s) and install the CRD: %v\n", assets, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
	}()
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "create client:", err)
		return 1
	}
	return m.Run()
}

// binaryAssets is the directory holding kube-apiserver, etcd and kubectl:
// KUBEBUILDER_ASSETS as `make test` sets it, else the first directory under
// bin/k8s/ so the tests also run from an IDE after one `make envtest`.
func binaryAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root := filepath.Join("..", "..", "bin", "k8s")
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("look for envtest binaries in %s: %w", root, err)
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); e.IsDir() && err == nil {
			return filepath.Abs(dir)
		}
	}
	return "", errors.New("no kube-apiserver: KUBEBUILDER_ASSETS is unset and bin/k8s/<version>/ has none; run `make test` (or `make envtest` once)")
}

// newNamespace creates a namespace for one test. envtest runs no namespace
// controller, so namespaces are never deleted: each test gets a fresh one.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "v1alpha1-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}

// minimal is the smallest RestProxy the API server accepts.
func minimal(namespace string) *v1alpha1.RestProxy {
	return &v1alpha1.RestProxy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "rp-"},
		Spec: v1alpha1.RestProxySpec{
			Kafka: v1alpha1.KafkaSpec{BootstrapServers: []string{"kafka.kafka.svc:9092"}},
		},
	}
}

func secretKey(name, key string) *v1alpha1.SecretKeySelector {
	return &v1alpha1.SecretKeySelector{Name: name, Key: key}
}
