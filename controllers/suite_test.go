package controllers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// The one envtest environment of the package: a real kube-apiserver and
// etcd, with the manager and the reconciler running against them. envtest
// runs no built-in controllers: no pods, no garbage collection, no
// Deployment status; tests patch the Deployment status they need.
var (
	k8s    client.Client // uncached, for the tests' own reads and writes
	seen   *seenReconciles
	writes *writeCounter // the suite operator's writes
	// operatorREST is how the suite's operator connects: as operatorUser.
	operatorREST *rest.Config
	// adminREST is the administrator's connection, for the API server's
	// own metrics.
	adminREST *rest.Config
	testImage = "registry.example/restproxy:test"
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	assets, err := envtestAssets()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// TEST_VERBOSE_LOGS=1 shows the operator's logs.
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		log.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	} else {
		log.SetLogger(logr.Discard())
	}
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{
			filepath.Join("..", "config", "crd", "bases"),
			// Served from the start, as in a cluster with the Prometheus
			// operator, so the optional kinds' watches and pruning are
			// exercised; the chart tests serve the same stand-ins.
			filepath.Join("..", "hack", "testdata", "servicemonitor-crd.yaml"),
			filepath.Join("..", "hack", "testdata", "podmonitor-crd.yaml"),
		},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	// As in clusters that enforce it (OpenShift): setting an owner reference
	// that blocks the owner's deletion needs update on restproxies/finalizers,
	// so the suite proves the RBAC marker that grants it is needed and enough.
	env.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", "OwnerReferencesPermissionEnforcement")
	// envtest's default /24 holds 254 Service IPs; BenchmarkOperatorScale
	// makes a Service per RestProxy, 500 of them.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "start envtest (assets %s): %v\n", assets, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
		}
	}()

	scheme, err := NewScheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintf(os.Stderr, "test client: %v\n", err)
		return 1
	}
	operatorCfg, err := operatorConfig(env, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	operatorREST, adminREST = operatorCfg, cfg
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx, operatorCfg, scheme)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintf(os.Stderr, "manager: %v\n", err)
	}
	return code
}

// startManager runs the suite's operator: its manager as `restproxy
// operator` would, watching every namespace, with the reconciler wrapped so
// tests know which RestProxy version a finished reconcile saw, and its
// writes counted.
func startManager(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme) (<-chan error, error) {
	op, err := startOperator(ctx, cfg, scheme, operatorOptions{concurrency: 4})
	if err != nil {
		return nil, err
	}
	seen, writes = op.seen, op.writes
	return op.done, nil
}

// operatorOptions shape one manager the tests start.
type operatorOptions struct {
	// namespaces limits the manager's cache; empty watches all.
	namespaces []string
	// concurrency is MaxConcurrentReconciles.
	concurrency int
	// second: another manager runs the controller of the same name in
	// this process (the suite's).
	second bool
	// image is the operator's default proxy image; empty: testImage.
	image string
	// maxRollouts is MaxConcurrentRollouts; zero value: the default.
	maxRollouts intstr.IntOrString
	// only: this manager sees only the RestProxies labelled
	// operatorLabel=only, which every manager without only ignores, so a
	// test can run an operator of its own (an upgrade) on them.
	only string
}

// operatorLabel on a RestProxy hands it to the test operator whose
// operatorOptions.only is the label's value.
const operatorLabel = "test.restproxy.dev/operator"

// runningOperator is a started manager, with what it reconciled and wrote.
type runningOperator struct {
	seen   *seenReconciles
	writes *writeCounter
	// done receives the manager's result once its context is cancelled.
	done <-chan error
}

// startOperator starts a manager with the RestProxy controller as
// `restproxy operator` sets it up, its client's writes counted.
func startOperator(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, o operatorOptions) (*runningOperator, error) {
	counts := newWriteCounter()
	cacheOpts := CacheOptions(scheme, o.namespaces)
	selection := operatorLabel + "=" + o.only
	if o.only == "" {
		selection = "!" + operatorLabel
	}
	selector, err := labels.Parse(selection)
	if err != nil {
		return nil, err
	}
	cacheOpts.ByObject[&v1alpha1.RestProxy{}] = cache.ByObject{Label: selector}
	image := o.image
	if image == "" {
		image = testImage
	}
	opts := ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cacheOpts,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		NewClient: func(cfg *rest.Config, opts client.Options) (client.Client, error) {
			c, err := client.New(cfg, opts)
			if err != nil {
				return nil, err
			}
			return countWrites(c, counts), nil
		},
	}
	if o.second {
		opts.Controller.SkipNameValidation = ptr.To(true)
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("new manager: %w", err)
	}
	r := &RestProxyReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    scheme,
		Recorder:  mgr.GetEventRecorder("restproxy-operator"),
		Proxies:   ProxyDefaults{Image: image},
		Pace:      Pace{MaxConcurrentReconciles: o.concurrency, MaxConcurrentRollouts: o.maxRollouts},
	}
	tracked := &seenReconciles{inner: r, cache: mgr.GetClient(), versions: map[types.NamespacedName]string{}}
	if err := r.setupWithManager(mgr, tracked); err != nil {
		return nil, fmt.Errorf("set up controller: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return &runningOperator{seen: tracked, writes: counts, done: done}, nil
}

// operatorUser is who the manager runs as in the suite: a user bound to
// the ClusterRole generated from the RBAC markers (config/rbac/role.yaml,
// `make manifests`), so the suite proves the markers grant enough.
const operatorUser = "restproxy-operator"

// roleLoaded says the manager runs with the generated role rather than as
// an administrator (when role.yaml is missing).
var roleLoaded bool

// operatorConfig is the manager's connection: as operatorUser, bound to the
// generated ClusterRole. Without role.yaml the suite runs as administrator
// and TestManagerRunsWithTheGeneratedRole fails saying so.
func operatorConfig(env *envtest.Environment, admin *rest.Config) (*rest.Config, error) {
	data, err := os.ReadFile(filepath.Join("..", "config", "rbac", "role.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return admin, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the operator's ClusterRole: %w", err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		return nil, fmt.Errorf("parse config/rbac/role.yaml: %w", err)
	}
	ctx := context.Background()
	if err := k8s.Create(ctx, &role); err != nil {
		return nil, fmt.Errorf("create ClusterRole %s: %w", role.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: operatorUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: operatorUser}},
	}
	if err := k8s.Create(ctx, binding); err != nil {
		return nil, fmt.Errorf("bind ClusterRole %s: %w", role.Name, err)
	}
	user, err := env.AddUser(envtest.User{Name: operatorUser}, admin)
	if err != nil {
		return nil, fmt.Errorf("add user %s: %w", operatorUser, err)
	}
	roleLoaded = true
	return user.Config(), nil
}

// envtestAssets is the directory of kube-apiserver, etcd and kubectl:
// KUBEBUILDER_ASSETS, or else the first directory under bin/k8s (where
// `make` builds them), so `go test ./controllers/` works without make.
func envtestAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root := filepath.Join("..", "bin", "k8s")
	entries, err := os.ReadDir(root)
	if err == nil {
		for _, e := range entries {
			if e.IsDir() {
				return filepath.Abs(filepath.Join(root, e.Name()))
			}
		}
	}
	return "", errors.New("no envtest assets: set KUBEBUILDER_ASSETS to a directory with kube-apiserver, etcd and kubectl, or build them into bin/k8s/<version>/ (make envtest)")
}

// seenReconciles records, per RestProxy, the resourceVersion the last
// finished reconcile saw at least: it reads the cache before the reconcile
// does, and the cache only moves forward.
type seenReconciles struct {
	inner reconcile.Reconciler
	cache client.Reader

	mu       sync.Mutex
	versions map[types.NamespacedName]string
}

func (s *seenReconciles) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var rp v1alpha1.RestProxy
	version := ""
	if err := s.cache.Get(ctx, req.NamespacedName, &rp); err == nil {
		version = rp.ResourceVersion
	}
	res, err := s.inner.Reconcile(ctx, req)
	s.mu.Lock()
	s.versions[req.NamespacedName] = version
	s.mu.Unlock()
	return res, err
}

// waitReconciled waits until a reconcile of rp by the suite's operator
// that saw resourceVersion version (or later) has finished.
func waitReconciled(t *testing.T, key types.NamespacedName, version string) {
	t.Helper()
	seen.waitReconciled(t, key, version)
}

// waitReconciled waits until a reconcile of rp that saw resourceVersion
// version (or later) has finished.
func (s *seenReconciles) waitReconciled(t *testing.T, key types.NamespacedName, version string) {
	t.Helper()
	eventually(t, func() error {
		s.mu.Lock()
		got := s.versions[key]
		s.mu.Unlock()
		if got != version {
			return fmt.Errorf("last finished reconcile of %s saw resourceVersion %q, want %q", key, got, version)
		}
		return nil
	})
}

// eventually polls cond until it returns nil, and fails the test with its
// last error after a timeout generous for a loaded machine.
func eventually(t testing.TB, cond func() error) {
	t.Helper()
	pollUntil(t, 20*time.Second, 50*time.Millisecond, cond)
}

// pollUntil polls cond every interval until it returns nil, and fails the
// test with its last error after timeout, or at once when the error is
// hopeless (see hopeless).
func pollUntil(t testing.TB, timeout, interval time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		var h hopelessError
		if errors.As(err, &h) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// hopeless marks an error of a polled condition that waiting cannot cure.
func hopeless(err error) error { return hopelessError{err} }

type hopelessError struct{ error }

func (e hopelessError) Unwrap() error { return e.error }

// newNamespace creates a namespace of its own for one test. envtest never
// finishes deleting namespaces, so they are left behind.
func newNamespace(t testing.TB) string {
	t.Helper()
	prefix := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}
