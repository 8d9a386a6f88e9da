// Command e2e is make e2e: it brings up a real single-node Kubernetes
// cluster on this machine (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kubelet and kube-proxy built from Go sources; containerd,
// runc and the CNI plugins from Debian), imports the project's image built
// without Docker, installs the operator with its Helm chart, runs the
// scenarios a platform team depends on, and always tears the cluster down,
// checking that the host's interfaces, routes, mounts, nftables and sysctls
// are as it found them.
//
// It must run as root, and only one run at a time on a machine. A run that
// is killed leaves state/before.json; the next run restores the host from it
// before it starts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"
)

// options are the harness's inputs, all built by the Makefile.
type options struct {
	work      string // run directory (bin/e2e)
	k8sBin    string // etcd, kube-apiserver, ..., kubectl
	helm      string
	mkimg     string
	restproxy string // static binary for the image
	pause     string // static binary for the sandbox image
	chart     string
	samples   string // config/samples
	keep      bool
	restore   bool
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "bin/e2e", "run `directory`: PKI, configs, cluster state and logs")
	flag.StringVar(&o.k8sBin, "k8s-bin", "", "`directory` with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl")
	flag.StringVar(&o.helm, "helm", "bin/helm", "helm `binary`")
	flag.StringVar(&o.mkimg, "mkimg", "bin/mkimg", "mkimg `binary` (hack/mkimg)")
	flag.StringVar(&o.restproxy, "restproxy", "", "static restproxy `binary` for the image")
	flag.StringVar(&o.pause, "pause", "", "static pause `binary` for the sandbox image")
	flag.StringVar(&o.chart, "chart", "charts/restproxy-operator", "the operator's Helm chart `directory`")
	flag.StringVar(&o.samples, "samples", "config/samples", "RestProxy samples `directory`")
	flag.BoolVar(&o.keep, "keep", false, "after the scenarios, keep the cluster running until Ctrl-C (KUBECONFIG=<work>/pki/admin.kubeconfig)")
	flag.BoolVar(&o.restore, "restore", false, "only restore the host after a run that was killed (kill -9, a lost session), then exit")
	flag.Parse()
	if !o.restore && (o.k8sBin == "" || o.restproxy == "" || o.pause == "") {
		fmt.Fprintln(os.Stderr, "e2e: -k8s-bin, -restproxy and -pause are required (make e2e sets them)")
		os.Exit(2)
	}
	for _, p := range []*string{&o.work, &o.k8sBin, &o.helm, &o.mkimg, &o.restproxy, &o.pause, &o.chart, &o.samples} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(2)
		}
		*p = abs
	}
	os.Exit(runE2E(o))
}

// runE2E runs the steps in order, stopping at the first that fails, and
// tears down whatever happens; its exit code is 0 only if every step and
// the teardown passed.
func runE2E(o options) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: must run as root: it starts a kubelet and containerd, and changes interfaces and nftables")
		return 2
	}
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	c := &cluster{work: o.work, k8sBin: o.k8sBin}
	r := &runner{}
	if pre, err := c.leftover(); err != nil || pre != nil {
		if err == nil {
			fmt.Println("e2e: an earlier run did not finish; restoring the host from its saved state first")
			err = c.teardown(pre)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: restoring after the earlier run failed: %v\n", err)
			return 1
		}
	}
	if o.restore {
		fmt.Println("e2e: the host holds nothing of an earlier run")
		return 0
	}
	if err := os.RemoveAll(c.path("logs")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	pre, err := c.recordHost()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: record the host's state:", err)
		return 1
	}

	s := &suite{o: o, c: c}
	r.step(ctx, "cluster up: control plane and node Ready", func(ctx context.Context) error { return c.up(ctx) })
	r.step(ctx, "images built and imported", s.images)
	r.step(ctx, "Kafka broker listening on the node address", s.startBroker)
	r.step(ctx, "operator installed with helm and Ready", s.installOperator)
	r.step(ctx, "minimal RestProxy Ready, pods run the proxy image", s.minimalReady)
	r.step(ctx, "10,000 records streamed through the Service, read back in order", s.stream10k)
	r.step(ctx, "spec change rolls the pods while clients stream", s.rolloutWhileStreaming)
	r.step(ctx, "kubectl scale to 3 gives three Ready pods", s.scale)
	r.step(ctx, "authentication and topic allow-list enforced through the Service", s.authAndTopics)
	r.step(ctx, "three more RestProxies and one with upgradePolicy Manual Ready", s.fleet)
	r.step(ctx, fmt.Sprintf("operator upgrade to a second image tag rolls the RestProxies at most %d at a time while clients stream; nothing lost", upgradePace), s.upgradeOperator)
	r.step(ctx, "the Manual RestProxy keeps its pods through the upgrade, and follows at its next spec change", s.manualKeepsPods)
	r.step(ctx, "a NodePort RestProxy serving HTTPS is reachable from the host", s.nodePortHTTPS)
	r.step(ctx, "rotating its TLS Secret changes the served certificate without new pods", s.rotateServingCert)
	r.step(ctx, "a pod produces with its projected service-account token through a RestProxy that trusts the cluster's issuer", s.serviceAccountProduces)
	r.step(ctx, "chaos: kill -9 of a proxy pod during 8 long streams; clients that retry lose nothing", s.killProxyPod)
	r.step(ctx, "chaos: the broker unreachable for 10 s during streams; the proxies recover without a restart", s.brokerOutage)
	r.step(ctx, "chaos: kubectl drain is refused by the PodDisruptionBudget while clients stream", s.drainWithBudget)
	r.step(ctx, "chaos: the operator pod deleted during a rolling update of 3 RestProxies; the rollouts complete", s.operatorRestartMidRollout)
	r.step(ctx, "chaos: slow consumers of reports do not double the p99 of healthy clients", s.slowConsumer)
	r.step(ctx, "deleting the RestProxy removes its Deployment, Service and ConfigMap", s.deleteCollects)
	r.step(ctx, "helm uninstall removes the operator and keeps the CRD", s.uninstall)

	if r.failed != nil {
		s.dumpLogs(r.failed)
	}
	if o.keep && r.failed == nil && ctx.Err() == nil {
		fmt.Printf("e2e: the cluster stays up: KUBECONFIG=%s; Ctrl-C tears it down\n", c.kubeconfig())
		<-ctx.Done()
	}
	s.stopBroker()
	r.always("teardown: host restored as before the run", func() error { return c.teardown(pre) })
	fmt.Printf("e2e: %s in all\n", time.Since(start).Round(time.Second))
	fmt.Printf("e2e: %d passed, %d failed\n", r.passed, r.failedCount)
	if r.failed != nil {
		// Again at the end, after the component logs: the tail of a CI
		// run's output says what failed.
		fmt.Printf("e2e: FAIL %v\n", r.failed)
	}
	if r.failedCount > 0 || r.skipped > 0 {
		return 1
	}
	return 0
}

// runner runs named steps, each a clear pass or fail: after the first
// failure (or an interrupt) the steps that follow are skipped, except those
// run with always (the teardown).
type runner struct {
	passed, failedCount, skipped int
	failed                       error
}

func (r *runner) step(ctx context.Context, name string, f func(context.Context) error) {
	if r.failed != nil || ctx.Err() != nil {
		fmt.Printf("--- SKIP %s\n", name)
		r.skipped++
		return
	}
	r.always(name, func() error {
		err := f(ctx)
		if ctx.Err() != nil {
			err = errors.Join(errors.New("interrupted"), err)
		}
		return err
	})
}

func (r *runner) always(name string, f func() error) {
	fmt.Printf("=== STEP %s\n", name)
	start := time.Now()
	err := func() (err error) {
		// A panic in a scenario fails its step; the teardown still runs.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			}
		}()
		return f()
	}()
	took := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Printf("--- FAIL %s (%s)\n    %v\n", name, took, err)
		r.failedCount++
		if r.failed == nil {
			r.failed = fmt.Errorf("%s: %w", name, err)
		}
		return
	}
	fmt.Printf("--- PASS %s (%s)\n", name, took)
	r.passed++
}
