package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The fleet the upgrade scenarios roll: the RestProxies of the earlier
// steps, three more, and one that opts out of operator upgrades.
const (
	fleetNS      = "tenant-c"
	manualName   = "fleet-manual"
	upgradeTopic = "e2e-upgrade"
	// upgradePace is the chart's maxConcurrentRollouts for the run: with
	// five RestProxies to roll, a limit of 2 is one a run can break.
	upgradePace = 2
)

var fleetNames = []string{"fleet-0", "fleet-1", "fleet-2"}

// automatic are the RestProxies that follow an operator upgrade, as
// namespace/name.
func automatic() []string {
	names := []string{tenantNS + "/" + minimalName, securedNS + "/" + securedName}
	for _, n := range fleetNames {
		names = append(names, fleetNS+"/"+n)
	}
	return names
}

// fleet creates three more RestProxies and one with upgradePolicy Manual,
// and waits for all to be Ready.
func (s *suite) fleet(ctx context.Context) error {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", fleetNS)
	for _, name := range append(slices.Clone(fleetNames), manualName) {
		policy := ""
		if name == manualName {
			policy = "  upgradePolicy: Manual\n"
		}
		fmt.Fprintf(&b, "---\napiVersion: kafka.restproxy.dev/v1alpha1\nkind: RestProxy\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n%s  kafka:\n    bootstrapServers: [%q]\n",
			name, fleetNS, policy, s.brokerAddr())
	}
	if _, err := s.c.kubectlIn(ctx, []byte(b.String()), "apply", "-f", "-"); err != nil {
		return err
	}
	for _, name := range append(slices.Clone(fleetNames), manualName) {
		if err := s.waitReady(ctx, fleetNS, name, 1); err != nil {
			return err
		}
	}
	return nil
}

// upgradeOperator upgrades the operator with helm to a second image tag
// while clients stream through two of the RestProxies, and checks that the
// RestProxies follow it at most upgradePace at a time, that all of them
// end on the new image with status.proxyVersion saying so, and that every
// record reported 200 is stored where its report says.
func (s *suite) upgradeOperator(ctx context.Context) error {
	manualPods, err := s.podUIDs(ctx, fleetNS, manualName)
	if err != nil {
		return err
	}
	var loads []*load
	defer func() {
		for _, l := range loads {
			l.halt()
		}
	}()
	for _, target := range [][2]string{{tenantNS, minimalName}, {fleetNS, fleetNames[0]}} {
		url, err := s.serviceURL(ctx, target[0], target[1], upgradeTopic)
		if err != nil {
			return err
		}
		l := startLoad(ctx, url, "upgrade-"+target[1], 2, 200)
		loads = append(loads, l)
		if err := l.waitAcked(ctx, 1000, 60*time.Second); err != nil {
			return fmt.Errorf("%s before the upgrade: %w", target[1], err)
		}
	}

	pace := s.watchPace(ctx)
	_, upgrade := s.helm(ctx, "upgrade", release, s.o.chart, "--namespace", operatorNS, "--reuse-values",
		"--set", "image.tag="+strings.TrimPrefix(upgradeImage, "localhost/restproxy:"), "--wait", "--timeout", "3m")
	if upgrade == nil {
		upgrade = poll(ctx, 300*time.Second, pace.allRolled)
	}
	pace.halt()
	if upgrade != nil {
		return fmt.Errorf("upgrade: %w", upgrade)
	}
	for _, l := range loads {
		// The clients go on against the new pods.
		l.markNow()
		if err := l.waitAcked(ctx, 1000, 60*time.Second); err != nil {
			return fmt.Errorf("after the upgrade: %w", err)
		}
	}
	for _, l := range loads {
		l.halt()
		fmt.Printf("    %s\n", l.summary())
	}
	fmt.Printf("    %s\n", pace.summary())
	if pace.max > upgradePace {
		return fmt.Errorf("%d RestProxies rolled at once, the pace allows %d: %s", pace.max, upgradePace, pace.summary())
	}
	for _, l := range loads {
		if err := l.checkStored(ctx, s.brokerAddr(), upgradeTopic, 3); err != nil {
			return err
		}
	}
	loads = nil
	if err := s.proxyVersions(ctx, "e2e2", automatic()...); err != nil {
		return err
	}
	s.manualPods = manualPods
	return nil
}

// manualKeepsPods checks that the RestProxy with upgradePolicy Manual kept
// its pods and image through the upgrade, and that a change of its spec
// then takes it to the operator's new image.
func (s *suite) manualKeepsPods(ctx context.Context) error {
	now, err := s.podUIDs(ctx, fleetNS, manualName)
	if err != nil {
		return err
	}
	if !slices.Equal(now, s.manualPods) || len(now) == 0 {
		return fmt.Errorf("pods of %s/%s: %v before the upgrade, %v after: want the same", fleetNS, manualName, s.manualPods, now)
	}
	if err := s.proxyVersions(ctx, "e2e", fleetNS+"/"+manualName); err != nil {
		return err
	}
	if err := s.podImage(ctx, fleetNS, manualName, image); err != nil {
		return err
	}
	before, err := s.podNames(ctx, fleetNS, manualName)
	if err != nil {
		return err
	}
	if _, err := s.c.kubectl(ctx, "patch", "-n", fleetNS, "rp/"+manualName, "--type=merge",
		"-p", `{"spec":{"producer":{"lingerMs":9}}}`); err != nil {
		return err
	}
	if err := s.waitReplaced(ctx, fleetNS, manualName, before); err != nil {
		return fmt.Errorf("after a spec change: %w", err)
	}
	return s.podImage(ctx, fleetNS, manualName, upgradeImage)
}

// podUIDs lists the UIDs of a RestProxy's pods, sorted.
func (s *suite) podUIDs(ctx context.Context, ns, name string) ([]string, error) {
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name,
		"-o", "jsonpath={.items[*].metadata.uid}")
	uids := strings.Fields(out)
	slices.Sort(uids)
	return uids, err
}

// podImage fails unless every pod of the RestProxy runs want.
func (s *suite) podImage(ctx context.Context, ns, name, want string) error {
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name,
		"-o", "jsonpath={.items[*].spec.containers[*].image}")
	if err != nil {
		return err
	}
	for _, img := range strings.Fields(out) {
		if img != want {
			return fmt.Errorf("pods of %s/%s run %q, want %s", ns, name, out, want)
		}
	}
	return nil
}

// proxyVersions waits for status.proxyVersion of each RestProxy
// (namespace/name) to be want.
func (s *suite) proxyVersions(ctx context.Context, want string, rps ...string) error {
	for _, rp := range rps {
		ns, name, _ := strings.Cut(rp, "/")
		if err := poll(ctx, 60*time.Second, func() error {
			got, err := s.c.kubectl(ctx, "get", "-n", ns, "rp/"+name, "-o", "jsonpath={.status.proxyVersion}")
			if err == nil && got != want {
				err = fmt.Errorf("%s: status.proxyVersion %q, want %q", rp, got, want)
			}
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// paceWatch samples the RestProxies' Deployments during an upgrade: how
// many were rolling to the new image at once (their template has it, the
// rollout is not complete), and the order in which they started.
type paceWatch struct {
	s    *suite
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	max     int
	samples int
	started []string
	rolling map[string]bool // as of the last sample
	err     error
}

// rolloutSample is the jsonpath of one line per Deployment: its name, its
// proxy image and the numbers that say whether its rollout is complete.
const rolloutSample = `jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}|{.spec.template.spec.containers[0].image}|` +
	`{.metadata.generation}|{.status.observedGeneration}|{.spec.replicas}|{.status.replicas}|{.status.updatedReplicas}|{.status.availableReplicas}{"\n"}{end}`

func (s *suite) watchPace(ctx context.Context) *paceWatch {
	w := &paceWatch{s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			w.sample(ctx)
			select {
			case <-w.stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *paceWatch) sample(ctx context.Context) {
	out, err := w.s.c.kubectl(ctx, "get", "deployments", "-A", "-l", "app.kubernetes.io/name=restproxy", "-o", rolloutSample)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.err = err
		return
	}
	w.samples++
	w.rolling = map[string]bool{}
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 8 || f[1] != upgradeImage {
			continue
		}
		if !slices.Contains(w.started, f[0]) {
			w.started = append(w.started, f[0])
		}
		n := make([]int, 6)
		for i := range n {
			n[i], _ = strconv.Atoi(f[i+2]) // a count not yet reported is 0
		}
		generation, observed, want, replicas, updated, available := n[0], n[1], n[2], n[3], n[4], n[5]
		w.rolling[f[0]] = observed < generation || replicas != want || updated != want || available != want
	}
	rolling := 0
	for _, r := range w.rolling {
		if r {
			rolling++
		}
	}
	w.max = max(w.max, rolling)
}

// allRolled says whether every automatic RestProxy has the new image in
// its Deployment and completed that rollout, as of the last sample.
func (w *paceWatch) allRolled() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, rp := range automatic() {
		rolling, ok := w.rolling[rp]
		if !ok || rolling {
			return fmt.Errorf("%s has not rolled out %s yet (last sample error: %v)", rp, upgradeImage, w.err)
		}
	}
	return nil
}

func (w *paceWatch) halt() {
	close(w.stop)
	<-w.done
}

func (w *paceWatch) summary() string {
	return fmt.Sprintf("at most %d of %d RestProxies rolling at once in %d samples; started in the order %s",
		w.max, len(w.started), w.samples, strings.Join(w.started, ", "))
}
