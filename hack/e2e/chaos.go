package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The chaos scenarios run against the minimal RestProxy (three pods by
// then), each on a topic of its own, with clients that retry
// (deliverers): every 200 must be in Kafka at its offset, every other
// report a clean error, and every value delivered in the end.
const (
	killTopic   = "e2e-kill"
	outageTopic = "e2e-outage"
	drainTopic  = "e2e-drain"
	slowTopic   = "e2e-slow"
	// chaosTable is the nftables table of the broker outage, the run's own.
	chaosTable = "restproxy-e2e-chaos"
)

// killProxyPod opens 8 long streams through the Service and kills with
// SIGKILL the proxy process of the pod that serves most of them: no
// drain, no last report. The streams on that pod break; their clients
// send again what got no 200, through the other pods.
func (s *suite) killProxyPod(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, killTopic)
	if err != nil {
		return err
	}
	// Streams of 20 s (a record a millisecond), killed about a second in.
	d := deliverAll(ctx, url, "kill", 8, 20000, 20000, time.Millisecond)
	defer d.halt()
	if err := d.waitReports(ctx, 8*500); err != nil {
		return err
	}
	var pod string
	var pid int
	if err := poll(ctx, 10*time.Second, func() (err error) {
		pod, pid, err = s.busiestProxy(ctx, tenantNS, minimalName)
		return err
	}); err != nil {
		return err
	}
	fmt.Printf("    kill -9 %d, the proxy of pod %s, %s after the streams started, %d reports read\n",
		pid, pod, time.Since(d.started).Round(100*time.Millisecond), d.reports.Load())
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 %d: %w", pid, err)
	}
	if err := d.wait(ctx, 180*time.Second); err != nil {
		return err
	}
	fmt.Printf("    %s\n", d.summary())
	twice, err := d.checkDelivered(ctx, s.brokerAddr(), killTopic, 3)
	if err != nil {
		return err
	}
	fmt.Printf("    %d values stored twice (their report was lost with the pod)\n", twice)
	if d.broken == 0 {
		return fmt.Errorf("no stream broke: the kill hit none of them")
	}
	restarts, err := s.c.kubectl(ctx, "get", "pod", "-n", tenantNS, pod, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
	if err == nil && restarts == "0" {
		err = fmt.Errorf("pod %s reports no restart after its proxy was killed", pod)
	}
	if err != nil {
		return err
	}
	return s.waitReady(ctx, tenantNS, minimalName, 3)
}

// busiestProxy finds the pod of a RestProxy with the most established
// produce connections (kube-proxy's conntrack entries) and the host pid of
// its proxy process.
func (s *suite) busiestProxy(ctx context.Context, ns, name string) (string, int, error) {
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.status.containerStatuses[0].containerID} {.spec.containers[0].ports[?(@.name=="http")].containerPort}{"\n"}{end}`)
	if err != nil {
		return "", 0, err
	}
	conns, err := exec.CommandContext(ctx, "conntrack", "-L", "-p", "tcp", "--state", "ESTABLISHED").Output()
	if err != nil {
		return "", 0, fmt.Errorf("conntrack -L: %w", err)
	}
	best, bestCount, container := "", -1, ""
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) != 4 {
			return "", 0, fmt.Errorf("pod line %q: want name, IP, container ID and port", line)
		}
		// The reply direction of a connection to the pod: from its IP and port.
		re := regexp.MustCompile(`src=` + regexp.QuoteMeta(f[1]) + ` dst=\S+ sport=` + f[3] + ` `)
		if n := len(re.FindAll(conns, -1)); n > bestCount {
			best, bestCount, container = f[0], n, strings.TrimPrefix(f[2], "containerd://")
		}
	}
	if bestCount <= 0 {
		return "", 0, fmt.Errorf("no pod of %s/%s has an established produce connection", ns, name)
	}
	pid, err := s.c.taskPid(ctx, container)
	return best, pid, err
}

// taskPid is the host pid of a running container's process.
func (c *cluster) taskPid(ctx context.Context, container string) (int, error) {
	out, err := exec.CommandContext(ctx, "ctr", "--address", c.containerdSock(), "--namespace", "k8s.io", "tasks", "ls").Output()
	if err != nil {
		return 0, fmt.Errorf("ctr tasks ls: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == container && f[2] == "RUNNING" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("container %s is not a running task", container)
}

// brokerOutage drops the broker's port to the pods for 10 s with an
// nftables table of the run's own while clients stream, then restores it:
// the proxies recover by themselves, without a restart.
func (s *suite) brokerOutage(ctx context.Context) error {
	url, err := s.serviceURL(ctx, tenantNS, minimalName, outageTopic)
	if err != nil {
		return err
	}
	before, err := s.podStates(ctx, tenantNS, minimalName)
	if err != nil {
		return err
	}
	d := deliverAll(ctx, url, "outage", 4, 10000, 1000, 2*time.Millisecond)
	defer d.halt()
	if err := d.waitReports(ctx, 2000); err != nil {
		return err
	}
	// Pods reach the node address through the bridge; the harness's own
	// connections (over lo) keep working.
	rules := fmt.Sprintf("table inet %s {\n chain input {\n  type filter hook input priority -10;\n  iifname != \"lo\" ip daddr %s tcp dport %s drop\n }\n}\n",
		chaosTable, nodeIP, brokerPort)
	if err := nft(ctx, rules, "-f", "-"); err != nil {
		return err
	}
	cut := time.Now()
	defer nft(context.Background(), "", "delete", "table", "inet", chaosTable) //nolint:errcheck // restored below; this is for an early return
	select {
	case <-time.After(10 * time.Second): // the fault's length, not a wait for a condition
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := nft(ctx, "", "delete", "table", "inet", chaosTable); err != nil {
		return err
	}
	fmt.Printf("    broker unreachable for %s\n", time.Since(cut).Round(100*time.Millisecond))
	if err := d.wait(ctx, 180*time.Second); err != nil {
		return err
	}
	fmt.Printf("    %s\n", d.summary())
	if _, err := d.checkDelivered(ctx, s.brokerAddr(), outageTopic, 3); err != nil {
		return err
	}
	after, err := s.podStates(ctx, tenantNS, minimalName)
	if err == nil && !slices.Equal(before, after) {
		err = fmt.Errorf("pods (uid/restarts) %v before the outage, %v after: want them untouched", before, after)
	}
	return err
}

// podStates lists a RestProxy's pods as uid/restartCount, sorted.
func (s *suite) podStates(ctx context.Context, ns, name string) ([]string, error) {
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name,
		"-o", `jsonpath={range .items[*]}{.metadata.uid}/{.status.containerStatuses[0].restartCount}{" "}{end}`)
	states := strings.Fields(out)
	slices.Sort(states)
	return states, err
}
