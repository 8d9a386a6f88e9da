package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
)

// The names the scenarios use.
const (
	image         = "localhost/restproxy:e2e"
	upgradeImage  = "localhost/restproxy:e2e2" // the same binary under a second tag: an operator upgrade
	pauseImage    = "localhost/pause:e2e"
	operatorNS    = "restproxy-system"
	release       = "restproxy-operator"
	tenantNS      = "tenant-a"
	minimalName   = "orders-minimal" // config/samples' minimal RestProxy
	securedNS     = "tenant-b"
	securedName   = "orders"
	brokerPort    = "9092"
	streamTopic   = "e2e-stream" // one partition: a total order to check
	rolloutTopic  = "e2e-rollout"
	allowedTopic  = "orders"
	disallowTopic = "payments"
	crdName       = "restproxies.kafka.restproxy.dev"
)

// suite holds what the scenarios share.
type suite struct {
	o      options
	c      *cluster
	broker *devbroker.Broker
	// manualPods are the pod UIDs of the Manual RestProxy before the
	// operator's upgrade.
	manualPods []string
	// edge is the RestProxy served over HTTPS on a node port.
	edge *edgeTLS
}

func (s *suite) brokerAddr() string { return nodeIP + ":" + brokerPort }

// images builds the proxy and pause images without a container engine and
// imports them into the cluster's containerd.
func (s *suite) images(ctx context.Context) error {
	dir := s.c.path("images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, img := range []struct{ tag, user, binary string }{
		{image, "65532:65532", s.o.restproxy},
		{upgradeImage, "65532:65532", s.o.restproxy},
		{pauseImage, "65535:65535", s.o.pause},
	} {
		tar := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(img.tag)+".tar")
		if err := run(ctx, s.o.mkimg, "-tag", img.tag, "-user", img.user, "-out", tar, img.binary); err != nil {
			return err
		}
		if err := s.c.ctr(ctx, "images", "import", tar); err != nil {
			return err
		}
	}
	return nil
}

// startBroker runs a Kafka-protocol broker (kfake, as restproxy dev does)
// in this process, on the node address so that pods reach it through the
// bridge; the harness reads records back through it with its own client.
func (s *suite) startBroker(context.Context) error {
	b, err := devbroker.Start(s.brokerAddr(), map[string]int32{
		streamTopic: 1, rolloutTopic: 3, upgradeTopic: 3, allowedTopic: 1, disallowTopic: 1,
		killTopic: 3, outageTopic: 3, drainTopic: 3, slowTopic: 3, ssoTopic: 1,
	})
	if err != nil {
		return err
	}
	s.broker = b
	return nil
}

func (s *suite) stopBroker() {
	if s.broker != nil {
		s.broker.Close()
		s.broker = nil
	}
}

// installOperator installs the chart as a platform team would, with the
// locally imported image, and waits for the operator's pod to be Ready.
func (s *suite) installOperator(ctx context.Context) error {
	if _, err := s.helm(ctx, "install", release, s.o.chart, "--namespace", operatorNS, "--create-namespace",
		"--set", "image.repository=localhost/restproxy", "--set", "image.tag=e2e", "--set", "image.pullPolicy=Never",
		"--set", fmt.Sprintf("maxConcurrentRollouts=%d", upgradePace),
		"--wait", "--timeout", "3m"); err != nil {
		return err
	}
	if _, err := s.c.kubectl(ctx, "wait", "pods", "-n", operatorNS, "-l", "app.kubernetes.io/name=restproxy-operator",
		"--for=condition=Ready", "--timeout=120s"); err != nil {
		return err
	}
	out, err := s.c.kubectl(ctx, "get", "pods", "-n", operatorNS, "-o", "jsonpath={.items[*].spec.containers[*].image}")
	if err != nil {
		return err
	}
	if out != image {
		return fmt.Errorf("the operator's pods run %q, want %q", out, image)
	}
	return nil
}

func (s *suite) helm(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.o.helm, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.c.kubeconfig(),
		"HELM_CACHE_HOME="+s.c.path("helm", "cache"), "HELM_CONFIG_HOME="+s.c.path("helm", "config"),
		"HELM_DATA_HOME="+s.c.path("helm", "data"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("helm %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// minimalReady applies config/samples' minimal RestProxy, its Kafka
// address pointed at the broker (the cluster runs no DNS), and waits for
// it to be Ready with its pods on the proxy image.
func (s *suite) minimalReady(ctx context.Context) error {
	sample, err := os.ReadFile(filepath.Join(s.o.samples, "kafka_v1alpha1_restproxy_minimal.yaml"))
	if err != nil {
		return err
	}
	const sampleBootstrap = "kafka-bootstrap.kafka.svc:9092"
	if !bytes.Contains(sample, []byte(sampleBootstrap)) {
		return fmt.Errorf("the minimal sample no longer names %s: update the e2e harness", sampleBootstrap)
	}
	sample = bytes.ReplaceAll(sample, []byte(sampleBootstrap), []byte(s.brokerAddr()))
	if _, err := s.c.kubectl(ctx, "create", "namespace", tenantNS); err != nil {
		return err
	}
	if _, err := s.c.kubectlIn(ctx, sample, "apply", "-n", tenantNS, "-f", "-"); err != nil {
		return err
	}
	if err := s.waitReady(ctx, tenantNS, minimalName, 1); err != nil {
		return err
	}
	images, err := s.c.kubectl(ctx, "get", "pods", "-n", tenantNS, "-l", "app.kubernetes.io/instance="+minimalName,
		"-o", "jsonpath={.items[*].spec.containers[*].image}")
	if err != nil {
		return err
	}
	if images != image {
		return fmt.Errorf("the proxy pods run %q, want %q", images, image)
	}
	return nil
}

// waitReady waits for kubectl wait --for=condition=Ready on the RestProxy
// and for that many Ready pods.
func (s *suite) waitReady(ctx context.Context, ns, name string, pods int) error {
	if _, err := s.c.kubectl(ctx, "wait", "-n", ns, "rp/"+name, "--for=condition=Ready", "--timeout=180s"); err != nil {
		return err
	}
	return poll(ctx, 120*time.Second, func() error {
		out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance="+name,
			"-o", `jsonpath={range .items[*]}{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		if err != nil {
			return err
		}
		ready := strings.Count(" "+out, " /True")
		if ready != pods || len(strings.Fields(out)) != pods {
			return fmt.Errorf("pods of %s/%s (deletion/Ready): %q, want %d Ready and no others", ns, name, out, pods)
		}
		return nil
	})
}

// serviceURL is the produce URL of a topic through a RestProxy's ClusterIP
// Service, which the host reaches through kube-proxy's rules.
func (s *suite) serviceURL(ctx context.Context, ns, name, topic string) (string, error) {
	out, err := s.c.kubectl(ctx, "get", "service", "-n", ns, name,
		"-o", `jsonpath={.spec.clusterIP} {.spec.ports[?(@.name=="http")].port}`)
	if err != nil {
		return "", err
	}
	ip, port, ok := strings.Cut(out, " ")
	if !ok || ip == "" || port == "" {
		return "", fmt.Errorf("service %s/%s: no cluster IP and http port in %q", ns, name, out)
	}
	// kube-proxy programs a Service's endpoints a moment after its pods are
	// Ready. Until it has, a packet to the cluster IP is not rewritten to a
	// pod's address and is refused (containServices): nothing is sent
	// before the Service's rule is in the nat table.
	addr := net.JoinHostPort(ip, port)
	if err := poll(ctx, 60*time.Second, func() error {
		if err := serviceProgrammed(ctx, ip, port); err != nil {
			return err
		}
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	}); err != nil {
		return "", fmt.Errorf("service %s/%s: %w", ns, name, err)
	}
	return fmt.Sprintf("http://%s/v3/clusters/e2e/topics/%s/records", addr, topic), nil
}

// serviceProgrammed reports whether kube-proxy (iptables mode) has a rule
// sending ip:port to the Service's endpoints.
func serviceProgrammed(ctx context.Context, ip, port string) error {
	out, err := exec.CommandContext(ctx, "iptables-save", "-t", "nat").Output()
	if err != nil {
		return fmt.Errorf("iptables-save -t nat: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "-d "+ip+"/32") && strings.Contains(line, "--dport "+port) && strings.Contains(line, "-j KUBE-SVC-") {
			return nil
		}
	}
	return fmt.Errorf("kube-proxy has no rule for %s:%s yet", ip, port)
}

// scale scales the RestProxy through its scale subresource.
func (s *suite) scale(ctx context.Context) error {
	if _, err := s.c.kubectl(ctx, "scale", "-n", tenantNS, "rp/"+minimalName, "--replicas=3"); err != nil {
		return err
	}
	if err := s.waitReady(ctx, tenantNS, minimalName, 3); err != nil {
		return err
	}
	ready, err := s.c.kubectl(ctx, "get", "deployment", "-n", tenantNS, minimalName, "-o", "jsonpath={.status.readyReplicas}")
	if err != nil {
		return err
	}
	if ready != "3" {
		return fmt.Errorf("deployment %s/%s has %s ready replicas, want 3", tenantNS, minimalName, ready)
	}
	return nil
}

// configMapName is the ConfigMap the minimal RestProxy's Deployment mounts
// now: each rendered config is a ConfigMap named by its hash.
func (s *suite) configMapName(ctx context.Context) (string, error) {
	name, err := s.c.kubectl(ctx, "get", "deployment", "-n", tenantNS, minimalName,
		"-o", "jsonpath={.spec.template.spec.volumes[0].configMap.name}")
	if err == nil && !strings.HasPrefix(name, minimalName+"-config-") {
		err = fmt.Errorf("the Deployment's first volume is ConfigMap %q, want %s-config-<hash>", name, minimalName)
	}
	return name, err
}

// deleteCollects deletes the RestProxy and waits for the garbage collector
// to remove what it owned.
func (s *suite) deleteCollects(ctx context.Context) error {
	config, err := s.configMapName(ctx)
	if err != nil {
		return err
	}
	owned := []string{"deployment/" + minimalName, "service/" + minimalName, "configmap/" + config}
	out, err := s.c.kubectl(ctx, append([]string{"get", "-n", tenantNS, "-o", "jsonpath={range .items[*]}{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {end}"}, owned...)...)
	if err != nil {
		return err
	}
	if want := strings.Repeat("RestProxy/"+minimalName+" ", len(owned)); out+" " != want {
		return fmt.Errorf("owners of %s before the delete: %q, want each owned by RestProxy/%s", strings.Join(owned, ", "), out, minimalName)
	}
	if _, err := s.c.kubectl(ctx, "delete", "-n", tenantNS, "rp/"+minimalName, "--wait=true", "--timeout=60s"); err != nil {
		return err
	}
	return poll(ctx, 120*time.Second, func() error {
		out, err := s.c.kubectl(ctx, append([]string{"get", "-n", tenantNS, "--ignore-not-found", "-o", "name"}, owned...)...)
		if err != nil {
			return err
		}
		if out != "" {
			return fmt.Errorf("still there after the RestProxy was deleted: %s", strings.ReplaceAll(out, "\n", ", "))
		}
		return nil
	})
}

// uninstall removes the release: the operator goes, the CRD (and with it
// every RestProxy) stays.
func (s *suite) uninstall(ctx context.Context) error {
	if _, err := s.helm(ctx, "uninstall", release, "--namespace", operatorNS, "--wait", "--timeout", "2m"); err != nil {
		return err
	}
	if err := poll(ctx, 60*time.Second, func() error {
		out, err := s.c.kubectl(ctx, "get", "deployments,pods", "-n", operatorNS, "-o", "name")
		if err == nil && out != "" {
			err = fmt.Errorf("still there after helm uninstall: %s", strings.ReplaceAll(out, "\n", ", "))
		}
		return err
	}); err != nil {
		return err
	}
	if _, err := s.c.kubectl(ctx, "get", "crd", crdName); err != nil {
		return fmt.Errorf("helm uninstall removed the CRD: %w", err)
	}
	// The secured RestProxy is kept with the CRD.
	if _, err := s.c.kubectl(ctx, "get", "-n", securedNS, "rp/"+securedName); err != nil {
		return fmt.Errorf("a RestProxy did not survive helm uninstall: %w", err)
	}
	return nil
}

// dumpLogs prints, after a failed step, what shows why: the pods and recent
// events, and the logs of the operator and of every proxy pod.
func (s *suite) dumpLogs(cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fmt.Printf("\n=== LOGS after: %v\n", cause)
	if exited := s.c.exited(); len(exited) > 0 {
		for _, name := range exited {
			fmt.Printf("--- %s exited; the end of its log:\n%s\n", name, tail(s.c.logPath(name), 40))
		}
	}
	for _, args := range [][]string{
		{"get", "pods", "-A", "-o", "wide"},
		{"get", "restproxies", "-A", "-o", "wide"},
		{"get", "events", "-A", "--sort-by=.lastTimestamp"},
		{"logs", "-n", operatorNS, "-l", "app.kubernetes.io/name=restproxy-operator", "--tail=60", "--all-containers"},
		{"logs", "-n", tenantNS, "-l", "app.kubernetes.io/name=restproxy", "--tail=40", "--prefix"},
		{"logs", "-n", securedNS, "-l", "app.kubernetes.io/name=restproxy", "--tail=40", "--prefix"},
	} {
		out, err := s.c.kubectl(ctx, args...)
		if err != nil {
			out = err.Error()
		}
		fmt.Printf("--- kubectl %s\n%s\n", strings.Join(args, " "), out)
	}
	s.dumpPreviousLogs(ctx)
	fmt.Printf("(component logs: %s)\n", s.c.path("logs"))
}

// dumpPreviousLogs prints the end of the log of every proxy container that
// was restarted: a crash's last words are in the container before.
func (s *suite) dumpPreviousLogs(ctx context.Context) {
	for _, ns := range []string{tenantNS, securedNS} {
		out, err := s.c.kubectl(ctx, "get", "pods", "-n", ns, "-l", "app.kubernetes.io/name=restproxy", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[0].restartCount}{"\n"}{end}`)
		if err != nil {
			fmt.Printf("--- restarted containers of %s: %v\n", ns, err)
			continue
		}
		for line := range strings.Lines(out) {
			f := strings.Fields(line)
			if len(f) != 2 || f[1] == "0" {
				continue
			}
			args := []string{"logs", "-n", ns, f[0], "--previous", "--tail=60"}
			prev, err := s.c.kubectl(ctx, args...)
			if err != nil {
				prev = err.Error()
			}
			fmt.Printf("--- kubectl %s (%s restarts)\n%s\n", strings.Join(args, " "), f[1], prev)
		}
	}
}

// poll calls f until it returns nil or timeout passes, returning f's last
// error then.
func poll(ctx context.Context, timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %w", timeout, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
