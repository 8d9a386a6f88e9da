package controllers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// requestTally counts one manager's requests to the API server: writes to
// anything but its Lease and Events (the operator's work), and requests
// for the Lease (its bid for leadership).
type requestTally struct {
	writes, leaseRequests atomic.Int64
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tallied is cfg with every request counted in tally.
func tallied(cfg *rest.Config, tally *requestTally) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			path := r.URL.Path
			switch {
			case strings.Contains(path, "/leases"):
				tally.leaseRequests.Add(1)
			case strings.Contains(path, "/events"):
			case r.Method != http.MethodGet:
				tally.writes.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}
	return cfg
}

// TestOnlyTheLeaderWrites runs two operators as the chart and
// dist/install.yaml do (leader election on) against one API server: while
// the first leads, the second bids for the Lease and writes nothing; once
// the first stops, the second takes over and does the work.
func TestOnlyTheLeaderWrites(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	start := func(tally *requestTally) (ctrl.Manager, func()) {
		t.Helper()
		mgr, err := NewManager(tallied(adminREST, tally), ManagerOptions{
			MetricsAddr: "0", ProbeAddr: "0",
			LeaderElect: true, LeaderElectionID: "restproxy-operator-test", LeaderElectionNamespace: ns,
			Proxies: ProxyDefaults{Image: testImage}, WatchNamespaces: []string{ns}, Pace: Pace{MaxConcurrentReconciles: 1},
			Logger: logr.Discard(), SkipNameValidation: true,
		})
		if err != nil {
			t.Fatalf("new manager: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- mgr.Start(ctx) }()
		stop := sync.OnceFunc(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("manager: %v", err)
			}
		})
		t.Cleanup(stop)
		return mgr, stop
	}
	elected := func(mgr ctrl.Manager) bool {
		select {
		case <-mgr.Elected():
			return true
		default:
			return false
		}
	}

	var first, second requestTally
	leader, stopLeader := start(&first)
	eventually(t, func() error {
		if !elected(leader) {
			return fmt.Errorf("the first operator is not the leader yet")
		}
		return nil
	})
	standby, _ := start(&second)
	eventually(t, func() error {
		if second.leaseRequests.Load() == 0 {
			return fmt.Errorf("the second operator has not asked for the Lease yet")
		}
		return nil
	})

	// Handed to these two operators only, not the suite's.
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) { rp.Labels = map[string]string{operatorLabel: "leader-test"} })
	create(t, rp)
	waitDeployment(t, rp, nil)
	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.BootstrapServers = []string{"other:9092"} })
	waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if !strings.Contains(cm.Data[manifests.ConfigFileKey], "other:9092") {
			return fmt.Errorf("config not yet updated")
		}
		return nil
	})
	if elected(standby) || second.writes.Load() != 0 || first.writes.Load() == 0 {
		t.Fatalf("while the first leads: the second elected %v with %d writes, the first %d writes; want only the first writing",
			elected(standby), second.writes.Load(), first.writes.Load())
	}

	// The leader stops, releasing the Lease: the standby takes over.
	stopLeader()
	eventually(t, func() error {
		if !elected(standby) {
			return fmt.Errorf("the second operator has not taken over")
		}
		return nil
	})
	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.Kafka.BootstrapServers = []string{"third:9092"} })
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if second.writes.Load() == 0 {
			return fmt.Errorf("the new leader has written nothing")
		}
		return nil
	})
	waitConfig(t, rp, func(cm *corev1.ConfigMap) error {
		if !strings.Contains(cm.Data[manifests.ConfigFileKey], "third:9092") {
			return fmt.Errorf("config not updated by the new leader")
		}
		return nil
	})
}
