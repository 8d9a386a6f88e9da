package controllers

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// The operator at scale: many RestProxies reconciled, and a full resync of
// unchanged ones (what an operator restart does: its informers list
// everything and every RestProxy is reconciled once) writing nothing.

// scaleRestProxy is the i-th RestProxy of a scale run, in one of three
// shapes, so every child kind the builders make by default is exercised:
// the smallest spec; a SASL password from Secret "creds"; two replicas with
// a disruption budget, an autoscaler, a network policy and a
// ServiceMonitor.
func scaleRestProxy(ns string, i int) *v1alpha1.RestProxy {
	name := fmt.Sprintf("p-%04d", i)
	switch i % 3 {
	case 1:
		return newRestProxy(ns, name, withSASL("creds", "password"))
	case 2:
		return newRestProxy(ns, name, func(rp *v1alpha1.RestProxy) {
			rp.Spec.Replicas = ptr.To[int32](2)
			rp.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptr.To(true)}
			rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 4}
			rp.Spec.Resources = cpuRequests()
			rp.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
			rp.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
		})
	}
	return newRestProxy(ns, name)
}

// createRestProxies creates n scale RestProxies (and their Secret) in ns,
// from a few clients at once, as a bulk kubectl apply would.
func createRestProxies(tb testing.TB, ns string, n int) {
	tb.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, newSecret(ns, "creds", map[string]string{"password": "pw"})); err != nil {
		tb.Fatalf("create Secret creds: %v", err)
	}
	createAll(tb, n, func(i int) client.Object { return scaleRestProxy(ns, i) })
}

// createAll creates the n objects object(i) returns from a few clients at
// once, as a bulk kubectl apply would, and fails tb on the first error.
func createAll(tb testing.TB, n int, object func(i int) client.Object) {
	tb.Helper()
	const workers = 8
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				obj := object(i)
				if err := k8s.Create(context.Background(), obj); err != nil {
					errs <- fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
					return
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// allReconciled says whether every one of the n RestProxies in ns has been
// reconciled at its current generation, with Ready inputs: every child
// applied and pruned (Degraded=False, Reconciled), observedGeneration
// current, and the Ready verdict taken at that generation. envtest runs no
// Deployment controller, so Ready itself stays False (RolloutInProgress)
// until a test plays that controller's part (markRolledOut).
func allReconciled(ns string, n int) error {
	var list v1alpha1.RestProxyList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return err
	}
	if len(list.Items) != n {
		return fmt.Errorf("%d RestProxies in %s, want %d", len(list.Items), ns, n)
	}
	pending := 0
	var first string
	for _, rp := range list.Items {
		if c := meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue {
			return hopeless(fmt.Errorf("RestProxy %s is Degraded (%s): %s", rp.Name, c.Reason, c.Message))
		}
		if err := reconciledWithReadyInputs(&rp); err != nil {
			if pending == 0 {
				first = err.Error()
			}
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%d of %d RestProxies not reconciled yet; the first: %s", pending, n, first)
	}
	return nil
}

func reconciledWithReadyInputs(rp *v1alpha1.RestProxy) error {
	gen := rp.Generation
	if rp.Status.ObservedGeneration != gen {
		return fmt.Errorf("%s: observedGeneration %d, generation %d", rp.Name, rp.Status.ObservedGeneration, gen)
	}
	degraded := meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionDegraded)
	if degraded == nil || degraded.Status != metav1.ConditionFalse || degraded.Reason != ReasonReconciled || degraded.ObservedGeneration != gen {
		return fmt.Errorf("%s: Degraded %+v, want False/%s at generation %d", rp.Name, degraded, ReasonReconciled, gen)
	}
	ready := meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionReady)
	if ready == nil || ready.ObservedGeneration != gen {
		return fmt.Errorf("%s: Ready %+v, want a verdict at generation %d", rp.Name, ready, gen)
	}
	return nil
}

// allReady says whether every RestProxy in ns is Ready at its generation.
func allReady(ns string) error {
	var list v1alpha1.RestProxyList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return err
	}
	for _, rp := range list.Items {
		c := meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionReady)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != rp.Generation {
			return fmt.Errorf("RestProxy %s: Ready %+v, want True at generation %d", rp.Name, c, rp.Generation)
		}
	}
	return nil
}

// settle wakes the suite's operator for every RestProxy in ns with an
// annotation it ignores, and waits until it has finished a reconcile that
// saw that change: reconciles are queued per RestProxy and deduplicated,
// so every event before the poke has then been handled, and whatever the
// operator writes later is caused by what happens later. The pokes are the
// test's writes, not the operator's.
func settle(tb testing.TB, ns string) {
	tb.Helper()
	ctx := context.Background()
	var list v1alpha1.RestProxyList
	if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
		tb.Fatal(err)
	}
	// A value not set before: patching in the same one changes nothing,
	// and wakes nobody.
	value := strconv.FormatInt(time.Now().UnixNano(), 10)
	want := map[types.NamespacedName]string{}
	for _, rp := range list.Items {
		poke := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"test.restproxy.dev/poke":"settle-`+value+`"}}}`))
		if err := k8s.Patch(ctx, &rp, poke); err != nil {
			tb.Fatalf("poke RestProxy %s: %v", rp.Name, err)
		}
		want[client.ObjectKeyFromObject(&rp)] = rp.ResourceVersion
	}
	pollUntil(tb, 10*time.Minute, 50*time.Millisecond, func() error {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		for key, version := range want {
			if got := seen.versions[key]; got != version {
				return fmt.Errorf("last finished reconcile of %s saw resourceVersion %q, want the poke's %q", key, got, version)
			}
		}
		return nil
	})
}

// resync starts a second operator watching only ns, as a restart of the
// operator would, waits until it has reconciled each of the n RestProxies
// there once, stops it, and returns how long that took and what it wrote.
//
// Once each RestProxy has been reconciled the resync is over: the
// informers' initial lists were queued before the workers started, and
// deduplicated per RestProxy, so only a write would queue more.
func resync(tb testing.TB, ns string, n int) (time.Duration, map[string]int, int) {
	tb.Helper()
	scheme, err := NewScheme()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	// The concurrency `restproxy operator` runs with by default.
	op, err := startOperator(ctx, operatorREST, scheme, operatorOptions{namespaces: []string{ns}, concurrency: 2, second: true})
	if err != nil {
		cancel()
		tb.Fatalf("start a second operator: %v", err)
	}
	pollUntil(tb, 10*time.Minute, 20*time.Millisecond, func() error {
		op.seen.mu.Lock()
		defer op.seen.mu.Unlock()
		if got := len(op.seen.versions); got < n {
			return fmt.Errorf("the restarted operator reconciled %d of %d RestProxies", got, n)
		}
		return nil
	})
	took := time.Since(start)
	cancel()
	if err := <-op.done; err != nil {
		tb.Errorf("second operator: %v", err)
	}
	counts, total := op.writes.in(ns)
	return took, counts, total
}

// TestResyncOfUnchangedRestProxiesWritesNothing: a restarted operator
// reconciles every RestProxy once and, since nothing changed, sends no
// write at all: no apply of an unchanged child, no status patch, no event.
// The benchmark BenchmarkOperatorScale does the same with 500.
func TestResyncOfUnchangedRestProxiesWritesNothing(t *testing.T) {
	t.Parallel()
	const n = 12
	ns := newNamespace(t)
	createRestProxies(t, ns, n)
	pollUntil(t, 2*time.Minute, 100*time.Millisecond, func() error { return allReconciled(ns, n) })
	// Some are Ready, so their status holds replica counts and a Ready
	// condition that the resync must reproduce exactly.
	for i := 0; i < n; i += 4 {
		rp := scaleRestProxy(ns, i)
		markRolledOut(t, rp)
		waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady)
	}
	settle(t, ns)
	_, wrote := writes.in(ns)
	eventsBefore := eventVersions(t, ns)

	_, counts, total := resync(t, ns, n)
	if total != 0 {
		t.Errorf("a resync of %d unchanged RestProxies sent %d writes, want none: %s", n, total, describe(counts))
	}
	if _, after := writes.in(ns); after != wrote {
		t.Errorf("the suite's operator wrote %d times during the resync, want none (it was settled)", after-wrote)
	}
	if eventsAfter := eventVersions(t, ns); len(eventsAfter) != len(eventsBefore) {
		t.Errorf("%d events before the resync, %d after: want no new event", len(eventsBefore), len(eventsAfter))
	}
	for i := 0; i < n; i += 4 {
		rp := &v1alpha1.RestProxy{}
		get(t, types.NamespacedName{Namespace: ns, Name: scaleRestProxy(ns, i).Name}, rp)
		if c := meta.FindStatusCondition(rp.Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
			t.Errorf("RestProxy %s after the resync: Ready %+v, want True", rp.Name, c)
		}
	}
}

// scaleN is how many RestProxies BenchmarkOperatorScale creates; `go test
// ... -args -operator-scale=50` for a quick run.
var scaleN = flag.Int("operator-scale", 500, "RestProxies BenchmarkOperatorScale creates")

// unrelatedN is how many Secrets and ConfigMaps (half each) that no
// RestProxy uses BenchmarkOperatorScale creates first, in a namespace of
// their own, as a shared cluster holds: the operator caches every Secret's
// metadata, so they cost it memory and watch events.
var unrelatedN = flag.Int("operator-unrelated", 0, "unrelated Secrets and ConfigMaps BenchmarkOperatorScale creates first")

// testWrites are the API server's write counts the benchmark itself causes
// on the operator's resources: creating RestProxies, poking them to
// settle, and playing the Deployment controller. The operator never writes
// these (it writes RestProxy status only through the subresource).
var testWrites = []string{"POST restproxies", "PATCH restproxies", "PUT deployments/status"}

// BenchmarkOperatorScale creates -operator-unrelated Secrets and ConfigMaps
// (0) no RestProxy uses, then -operator-scale RestProxies (500) in one
// namespace of the suite's envtest, and reports:
//   - s_to_reconciled: from the first create until every one is reconciled
//     with Ready inputs (allReconciled: children applied, observedGeneration
//     current, Ready decided at that generation; without a Deployment
//     controller Ready is False, RolloutInProgress);
//   - writes/rp: the operator's write requests per RestProxy until then,
//     counted in its client, and server_writes/rp, the same from the API
//     server's apiserver_request_total (which also sees Events);
//   - s_to_ready and ready_writes/rp: after the benchmark marks every
//     Deployment rolled out, until every RestProxy is Ready=True;
//   - s_resync, resync_writes and resync_server_writes: a restarted
//     operator (MaxConcurrentReconciles 2, the default) reconciling all of
//     them unchanged; the writes must be zero, and the run fails otherwise;
//   - peak_rss_MiB: the test process's peak RSS (see peakRSS).
//
// The suite's operator, which does the creating reconciles, runs with
// MaxConcurrentReconciles 4. Times depend on the machine and its load;
// write counts do not.
//
//	go test -run '^$' -bench BenchmarkOperatorScale -benchtime 1x -timeout 30m ./controllers/
func BenchmarkOperatorScale(b *testing.B) {
	n := *scaleN
	b.ReportMetric(0, "ns/op") // one iteration's wall time says nothing; the phases below do
	for range b.N {
		ns := newNamespace(b)
		createUnrelated(b, *unrelatedN)
		server := apiserverWrites(b, adminREST)

		start := time.Now()
		createRestProxies(b, ns, n)
		pollUntil(b, 10*time.Minute, 200*time.Millisecond, func() error { return allReconciled(ns, n) })
		toReconciled := time.Since(start)
		settle(b, ns)
		clientCounts, clientTotal := writes.in(ns)
		serverCounts, serverTotal := operatorWritesSince(b, server)
		b.Logf("%d RestProxies reconciled in %v; operator writes %s; API server saw %s",
			n, toReconciled.Round(time.Millisecond), describe(clientCounts), describe(serverCounts))

		server = apiserverWrites(b, adminREST)
		start = time.Now()
		markAllRolledOut(b, ns, n)
		pollUntil(b, 10*time.Minute, 200*time.Millisecond, func() error { return allReady(ns) })
		toReady := time.Since(start)
		settle(b, ns)
		_, readyTotal := writes.in(ns)
		readyServer, readyServerTotal := operatorWritesSince(b, server)
		b.Logf("all Ready %v after the Deployments rolled out; operator writes since %d, API server saw %s",
			toReady.Round(time.Millisecond), readyTotal-clientTotal, describe(readyServer))

		server = apiserverWrites(b, adminREST)
		took, resyncCounts, resyncTotal := resync(b, ns, n)
		resyncServer, resyncServerTotal := operatorWritesSince(b, server)
		b.Logf("resync of %d unchanged RestProxies in %v: operator writes %d %s, API server saw %d %s",
			n, took.Round(time.Millisecond), resyncTotal, describe(resyncCounts), resyncServerTotal, describe(resyncServer))
		if resyncTotal != 0 || resyncServerTotal != 0 {
			b.Errorf("a resync of %d unchanged RestProxies wrote: operator %d, API server %d; want 0", n, resyncTotal, resyncServerTotal)
		}

		per := func(v int) float64 { return float64(v) / float64(n) }
		b.ReportMetric(toReconciled.Seconds(), "s_to_reconciled")
		b.ReportMetric(per(clientTotal), "writes/rp")
		b.ReportMetric(per(serverTotal), "server_writes/rp")
		b.ReportMetric(toReady.Seconds(), "s_to_ready")
		b.ReportMetric(per(readyServerTotal), "ready_writes/rp")
		b.ReportMetric(took.Seconds(), "s_resync")
		b.ReportMetric(float64(resyncTotal), "resync_writes")
		b.ReportMetric(float64(resyncServerTotal), "resync_server_writes")
		if rss, err := peakRSS(); err == nil {
			b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MiB")
		} else {
			b.Logf("peak RSS: %v", err)
		}
	}
}

// createUnrelated creates n objects no RestProxy references, half Secrets
// (with a last-applied-configuration annotation, as kubectl apply leaves
// one) and half ConfigMaps, in a namespace of their own.
func createUnrelated(tb testing.TB, n int) {
	tb.Helper()
	if n == 0 {
		return
	}
	ns := newNamespace(tb)
	createAll(tb, n, func(i int) client.Object {
		meta := metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("unrelated-%05d", i),
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("x", 512)}}
		if i%2 == 0 {
			return &corev1.Secret{ObjectMeta: meta, Data: map[string][]byte{"k": []byte("v")}}
		}
		return &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": "v"}}
	})
}

// peakRSS is the test process's peak resident set (VmHWM): the operator
// under test runs in it, with the benchmark's own client and caches, so it
// bounds the operator's from above. The API server and etcd run apart.
func peakRSS() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("parse %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// operatorWritesSince is what the API server counted on the operator's
// resources since before, less what the benchmark wrote itself.
func operatorWritesSince(tb testing.TB, before map[string]float64) (map[string]int, int) {
	tb.Helper()
	delta, total := writesBetween(before, apiserverWrites(tb, adminREST))
	for _, k := range testWrites {
		total -= delta[k]
		delete(delta, k)
	}
	return delta, total
}

// markAllRolledOut plays the Deployment controller for the n scale
// RestProxies in ns.
func markAllRolledOut(tb testing.TB, ns string, n int) {
	tb.Helper()
	for i := range n {
		markRolledOut(tb, scaleRestProxy(ns, i))
	}
}
