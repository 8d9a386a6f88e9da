package charts

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers"
	proxymanifests "github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// sample is the RestProxy users are told to start with.
var sample = filepath.Join("..", "config", "samples", "kafka_v1alpha1_restproxy_minimal.yaml")

// TestOperatorRunsWithChartRBAC installs the chart for real, runs the
// operator's reconciler as the chart's ServiceAccount (impersonated, with
// exactly the permissions the chart grants it, in the mode the chart's
// Deployment flags ask for), and reconciles the sample RestProxy: proof the
// chart's permissions are enough, cluster-wide and namespaced.
func TestOperatorRunsWithChartRBAC(t *testing.T) {
	for _, tc := range []struct {
		variant variant
		tenant  string // where the sample goes; in the watched namespaces
	}{
		{variant{name: "cluster-wide"}, "tenant-cluster-wide"},
		{variant{name: "namespaced", valuesFile: filepath.Join(chartDir, "ci", "namespaced-values.yaml")}, "tenant-a"},
	} {
		t.Run(tc.variant.name, func(t *testing.T) {
			release, ns := "op-"+tc.variant.name, "restproxy-"+tc.variant.name
			manifests := render(t, release, ns, tc.variant)
			op := operatorFromChart(t, objects(t, manifests))
			watched := op.manager.WatchNamespaces
			if len(watched) > 0 && !slices.Contains(watched, tc.tenant) {
				t.Fatalf("the chart's operator watches %v, not the test's tenant %s", watched, tc.tenant)
			}
			restrictedNamespace(t, ns)
			ensureNamespace(t, tc.tenant)
			for _, w := range watched {
				ensureNamespace(t, w)
			}
			serverSideApply(t, manifests, false)
			if _, err := kubectl(nil, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crdName); err != nil {
				t.Fatal(err)
			}

			if op.manager.LeaderElectionNamespace == "" {
				op.manager.LeaderElectionNamespace = ns // the pod's own, as in the cluster
			}
			logs := runOperator(t, op, serviceAccountConfig(ns, op.serviceAccount))
			if _, err := kubectl(nil, "apply", "--server-side", "--namespace", tc.tenant, "--filename", sample); err != nil {
				t.Fatal(err)
			}
			// Gone before the manager stops (cleanups run last first), so
			// a second run (-count=2) starts from a new RestProxy.
			t.Cleanup(func() {
				if _, err := kubectl(nil, "delete", "--namespace", tc.tenant, "--filename", sample, "--wait"); err != nil {
					t.Error(err)
				}
			})
			if op.manager.LeaderElect {
				waitLeader(t, types.NamespacedName{Namespace: op.manager.LeaderElectionNamespace, Name: op.manager.LeaderElectionID})
			}
			waitReconciled(t, types.NamespacedName{Namespace: tc.tenant, Name: "orders-minimal"}, op.proxyImage)
			if strings.Contains(logs.String(), "forbidden") {
				t.Errorf("the operator was denied something with the chart's RBAC:\n%s", logs)
			}
		})
	}
}

// chartOperator is how the chart's Deployment runs the operator.
type chartOperator struct {
	command        []string // the container's command and args
	serviceAccount string
	proxyImage     string // RESTPROXY_PROXY_IMAGE
	// manager is what the Deployment's flags and environment set, for
	// the settings that decide what the operator asks the API server:
	// watched namespaces, leader election, concurrency, proxy image.
	manager controllers.ManagerOptions
}

// operatorFromChart reads the operator's settings from the rendered
// Deployment, so the test runs the operator as the chart configures it.
func operatorFromChart(t *testing.T, objs []*unstructured.Unstructured) chartOperator {
	t.Helper()
	deps := find(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("rendered %d Deployments, want 1", len(deps))
	}
	var dep appsv1.Deployment
	decode(t, deps[0], &dep)
	op := chartOperator{serviceAccount: dep.Spec.Template.Spec.ServiceAccountName}
	var manager *corev1.Container
	for i, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			manager = &dep.Spec.Template.Spec.Containers[i]
		}
	}
	if manager == nil {
		t.Fatal("the rendered Deployment has no manager container")
	}
	if len(manager.Args) == 0 || manager.Args[0] != "operator" {
		t.Fatalf("manager args %v do not run `restproxy operator`", manager.Args)
	}
	op.command = append(slices.Clone(manager.Command), manager.Args...)
	m := &op.manager
	for _, arg := range manager.Args[1:] {
		switch name, value, _ := strings.Cut(arg, "="); name {
		case "--watch-namespaces":
			m.WatchNamespaces = strings.Split(value, ",")
		case "--leader-elect":
			m.LeaderElect = value == "" || value == "true"
		case "--leader-election-id":
			m.LeaderElectionID = value
		case "--leader-election-namespace":
			m.LeaderElectionNamespace = value
		case "--max-concurrent-reconciles":
			n, err := strconv.Atoi(value)
			if err != nil {
				t.Fatalf("manager arg %s: %v", arg, err)
			}
			m.Pace.MaxConcurrentReconciles = n
		}
	}
	for _, e := range manager.Env {
		if e.Name == "RESTPROXY_PROXY_IMAGE" {
			op.proxyImage, m.Proxies.Image = e.Value, e.Value
		}
	}
	if op.serviceAccount == "" || op.proxyImage == "" {
		t.Fatalf("the rendered Deployment sets no ServiceAccount or RESTPROXY_PROXY_IMAGE: %+v", op)
	}
	if m.LeaderElectionID == "" {
		m.LeaderElectionID = controllers.DefaultLeaderElectionID
	}
	return op
}

// serviceAccountConfig connects as the ServiceAccount, as its token would
// in the operator's pod.
func serviceAccountConfig(ns, name string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: fmt.Sprintf("system:serviceaccount:%s:%s", ns, name),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	return cfg
}

// runOperator runs the operator's manager, built by the same
// controllers.NewManager as `restproxy operator` builds it, with the
// chart's settings, until the test ends, and returns its logs. Metrics and
// probes stay off, as they would bind ports; so the RBAC the secure metrics
// endpoint needs (TokenReviews, SubjectAccessReviews) is not exercised here.
func runOperator(t *testing.T, op chartOperator, cfg *rest.Config) *syncBuffer {
	t.Helper()
	logs := &syncBuffer{}
	o := op.manager
	o.MetricsAddr, o.MetricsSecure, o.ProbeAddr = "0", false, "0"
	o.Logger = logr.FromSlogHandler(slog.NewTextHandler(logs, nil))
	// Each subtest runs a manager of its own in this one process.
	o.SkipNameValidation = true
	mgr, err := controllers.NewManager(cfg, o)
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v\n%s", err, logs)
		}
	})
	return logs
}

// waitReconciled waits until the RestProxy's children exist, the proxy
// runs the chart's default image, and its status is written for its
// current generation.
func waitReconciled(t *testing.T, key types.NamespacedName, image string) {
	t.Helper()
	ctx := context.Background()
	eventually(t, func() error {
		var rp v1alpha1.RestProxy
		if err := k8s.Get(ctx, key, &rp); err != nil {
			return err
		}
		if rp.Status.ObservedGeneration != rp.Generation {
			return fmt.Errorf("status.observedGeneration %d, generation %d", rp.Status.ObservedGeneration, rp.Generation)
		}
		if meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionReady) == nil {
			return fmt.Errorf("no Ready condition in status %+v", rp.Status)
		}
		// envtest collects no garbage: a child left by an earlier
		// RestProxy of the same name counts only once this one owns it.
		var mounted appsv1.Deployment
		if err := k8s.Get(ctx, key, &mounted); err != nil {
			return err
		}
		for _, child := range []struct {
			name string
			obj  client.Object
		}{
			{key.Name, &appsv1.Deployment{}},
			{key.Name, &corev1.Service{}},
			{proxymanifests.MountedConfigMap(&mounted.Spec.Template.Spec), &corev1.ConfigMap{}},
		} {
			if err := k8s.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: child.name}, child.obj); err != nil {
				return fmt.Errorf("child %T: %w", child.obj, err)
			}
			if owner := metav1.GetControllerOf(child.obj); owner == nil || owner.UID != rp.UID {
				return fmt.Errorf("child %T %s is not controlled by RestProxy %s (uid %s): owner %+v", child.obj, child.name, key, rp.UID, owner)
			}
		}
		var dep appsv1.Deployment
		if err := k8s.Get(ctx, key, &dep); err != nil {
			return err
		}
		if got := dep.Spec.Template.Spec.Containers[0].Image; got != image {
			return fmt.Errorf("proxy image %q, want the chart's default %q", got, image)
		}
		return nil
	})
}

// waitLeader waits until a replica holds the Lease key: the chart's
// leader-election Role is enough.
func waitLeader(t *testing.T, key types.NamespacedName) {
	t.Helper()
	eventually(t, func() error {
		var lease coordinationv1.Lease
		if err := k8s.Get(context.Background(), key, &lease); err != nil {
			return err
		}
		if ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
			return fmt.Errorf("lease %s has no holder", key)
		}
		return nil
	})
}

// syncBuffer collects the manager's logs from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
