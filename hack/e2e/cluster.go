package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// The cluster's fixed addresses. The node address is one of our own on lo:
// the kubelet refuses a loopback node IP, and nothing here may use the
// machine's real interface. Pods live on a bridge of their own and nothing
// is masqueraded; a packet to a Service address that kube-proxy did not
// rewrite is rejected (containServices), so no packet leaves the machine.
const (
	nodeName    = "e2e-node"
	nodeIP      = "10.250.0.10"
	serviceCIDR = "10.96.0.0/24"
	serviceIP   = "10.96.0.1" // the kubernetes Service, first of serviceCIDR
	podCIDR     = "10.244.0.0/24"
	clusterCIDR = "10.244.0.0/16"
	bridgeName  = "e2ebr0"
	apiServer   = "https://" + nodeIP + ":6443"
)

// cluster is a single-node Kubernetes cluster run from binaries: containerd
// and runc from Debian, the rest built from Go sources.
type cluster struct {
	work   string // the run's directory: configs, PKI, state, logs
	k8sBin string // etcd, kube-*, kubelet, kubectl
	procs  []*proc
}

// proc is one control-plane or node process, logging to logs/<name>.log.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

func (c *cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.work}, elem...)...)
}

func (c *cluster) logPath(name string) string { return c.path("logs", name+".log") }

func (c *cluster) containerdSock() string { return c.path("run", "containerd", "containerd.sock") }

// up writes the PKI and configs and starts every component in dependency
// order, each waited for before the next needs it.
func (c *cluster) up(ctx context.Context) error {
	for _, d := range []string{"logs", "pids", "conf", "cni/net.d", "run"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	if err := writePKI(c.path("pki"), pkiOptions{NodeIP: nodeIP, NodeName: nodeName, ServiceIP: serviceIP}); err != nil {
		return err
	}
	if err := c.writeConfigs(); err != nil {
		return err
	}
	if err := run(ctx, "ip", "addr", "add", nodeIP+"/32", "dev", "lo"); err != nil {
		return err
	}
	if err := containServices(ctx); err != nil {
		return err
	}
	if err := c.start("containerd", "containerd", "--config", c.path("conf", "containerd.toml")); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "containerd", 30*time.Second, func() error {
		return c.ctr(ctx, "version")
	}); err != nil {
		return err
	}
	if err := c.start("etcd", c.bin("etcd"), "--name", "e2e", "--data-dir", c.path("run", "etcd"),
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "e2e=http://127.0.0.1:2380", "--listen-metrics-urls", "", "--log-level", "warn"); err != nil {
		return err
	}
	pki := func(f string) string { return c.path("pki", f) }
	if err := c.start("kube-apiserver", c.bin("kube-apiserver"),
		"--etcd-servers=http://127.0.0.1:2379",
		"--bind-address="+nodeIP, "--advertise-address="+nodeIP, "--secure-port=6443",
		"--tls-cert-file="+pki("apiserver.crt"), "--tls-private-key-file="+pki("apiserver.key"),
		"--client-ca-file="+pki("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki("sa.pub"), "--service-account-signing-key-file="+pki("sa.key"),
		"--service-cluster-ip-range="+serviceCIDR,
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--kubelet-client-certificate="+pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key="+pki("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP",
	); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "kube-apiserver", 90*time.Second, func() error {
		_, err := c.kubectl(ctx, "get", "--raw", "/readyz")
		return err
	}); err != nil {
		return err
	}
	if err := c.start("kube-controller-manager", c.bin("kube-controller-manager"), append(c.kubeconfigFlags("controller-manager"),
		"--bind-address=127.0.0.1", "--leader-elect=false",
		"--service-account-private-key-file="+pki("sa.key"), "--root-ca-file="+pki("ca.crt"),
		"--cluster-signing-cert-file="+pki("ca.crt"), "--cluster-signing-key-file="+pki("ca.key"),
		"--use-service-account-credentials=true",
		"--service-cluster-ip-range="+serviceCIDR, "--allocate-node-cidrs=true",
		"--cluster-cidr="+clusterCIDR, "--node-cidr-mask-size=24",
	)...); err != nil {
		return err
	}
	if err := c.start("kube-scheduler", c.bin("kube-scheduler"), append(c.kubeconfigFlags("scheduler"),
		"--bind-address=127.0.0.1", "--leader-elect=false",
	)...); err != nil {
		return err
	}
	if err := c.start("kubelet", c.bin("kubelet"),
		"--config="+c.path("conf", "kubelet.yaml"),
		"--kubeconfig="+c.path("pki", "kubelet.kubeconfig"),
		"--root-dir="+c.path("run", "kubelet"),
		"--hostname-override="+nodeName, "--node-ip="+nodeIP,
	); err != nil {
		return err
	}
	if err := c.start("kube-proxy", c.bin("kube-proxy"), "--config="+c.path("conf", "kube-proxy.yaml")); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "kubelet", 90*time.Second, func() error {
		out, err := c.kubectl(ctx, "get", "node", nodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err == nil && out != "True" {
			err = fmt.Errorf("node %s Ready is %q", nodeName, out)
		}
		return err
	}); err != nil {
		return err
	}
	// Pods of a namespace can be created only once its default
	// ServiceAccount exists.
	return c.waitFor(ctx, "kube-controller-manager", 60*time.Second, func() error {
		_, err := c.kubectl(ctx, "get", "serviceaccount", "default", "-n", "default")
		return err
	})
}

func (c *cluster) bin(name string) string { return filepath.Join(c.k8sBin, name) }

// kubeconfigFlags are a controller's kubeconfig flags: one identity for its
// API client and for checking who calls its own secure port.
func (c *cluster) kubeconfigFlags(component string) []string {
	kc := c.path("pki", component+".kubeconfig")
	return []string{"--kubeconfig=" + kc, "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc}
}

// start runs a component in its own process group (a Ctrl-C at the terminal
// reaches only the harness, which stops the components in order), logging
// to logs/<name>.log, its pid in pids/<name> for a later run's clean-up.
func (c *cluster) start(name, path string, args ...string) error {
	logf, err := os.Create(c.logPath(name))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.work
	// PATH for containerd's shims and runc, and the kubelet's and
	// kube-proxy's iptables and conntrack.
	cmd.Env = append(os.Environ(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	c.procs = append(c.procs, p)
	return os.WriteFile(c.path("pids", name), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
}

// waitFor polls check until it passes, the component named exits (its log's
// tail is then in the error), or the timeout runs out.
func (c *cluster) waitFor(ctx context.Context, component string, timeout time.Duration, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var p *proc
	for _, q := range c.procs {
		if q.name == component {
			p = q
		}
	}
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		var exited <-chan struct{}
		if p != nil {
			exited = p.done
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited (%v); the end of its log:\n%s", component, p.err, tail(c.logPath(component), 30))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v; the end of its log:\n%s", component, timeout, last, tail(c.logPath(component), 30))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// exited names the components that have stopped running.
func (c *cluster) exited() []string {
	var out []string
	for _, p := range c.procs {
		select {
		case <-p.done:
			out = append(out, p.name)
		default:
		}
	}
	return out
}

// kubectl runs kubectl as the cluster admin and returns its trimmed stdout.
func (c *cluster) kubectl(ctx context.Context, args ...string) (string, error) {
	return c.kubectlIn(ctx, nil, args...)
}

// kubectlIn is kubectl with stdin.
func (c *cluster) kubectlIn(ctx context.Context, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin("kubectl"), append([]string{"--kubeconfig", c.kubeconfig()}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (c *cluster) kubeconfig() string { return c.path("pki", "admin.kubeconfig") }

// ctr runs containerd's client against the cluster's containerd, in the
// namespace the CRI uses.
func (c *cluster) ctr(ctx context.Context, args ...string) error {
	return run(ctx, "ctr", append([]string{"--address", c.containerdSock(), "--namespace", "k8s.io"}, args...)...)
}

// run runs a command, its combined output in the error when it fails.
func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// stop ends the components in the reverse order of their start: SIGTERM,
// then SIGKILL for one that has not exited within its grace.
func (c *cluster) stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("%s ignored SIGTERM for 15s and was killed", p.name))
		}
		_ = os.Remove(c.path("pids", p.name))
	}
	c.procs = nil
	return errors.Join(errs...)
}

// writeConfigs writes containerd's, the CNI's, the kubelet's and
// kube-proxy's configuration. The settings these machines need are marked.
func (c *cluster) writeConfigs() error {
	data := map[string]string{
		"Work": c.work, "NodeIP": nodeIP, "NodeName": nodeName, "PodCIDR": podCIDR,
		"ClusterCIDR": clusterCIDR, "Bridge": bridgeName,
	}
	for file, text := range map[string]string{
		"conf/containerd.toml":      containerdConfig,
		"cni/net.d/10-e2e.conflist": cniConfig,
		"conf/kubelet.yaml":         kubeletConfig,
		"conf/kube-proxy.yaml":      kubeProxyConfig,
	} {
		var buf bytes.Buffer
		if err := template.Must(template.New(file).Parse(text)).Execute(&buf, data); err != nil {
			return err
		}
		if err := os.WriteFile(c.path(file), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig is for Debian's containerd 1.6. restrict_oom_score_adj is
// required here: root lacks CAP_SYS_RESOURCE, so runc cannot lower a
// sandbox's oom_score_adj below containerd's own and every pod would fail.
const containerdConfig = `version = 2
root = "{{.Work}}/run/containerd/root"
state = "{{.Work}}/run/containerd/state"
[grpc]
  address = "{{.Work}}/run/containerd/containerd.sock"
[ttrpc]
  address = "{{.Work}}/run/containerd/containerd.sock.ttrpc"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "localhost/pause:e2e"
    netns_mounts_under_state_dir = true
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "{{.Work}}/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "{{.Work}}/run/containerd/opt"
`

// cniConfig is a bridge with no masquerading: nothing leaves the node.
const cniConfig = `{"cniVersion":"0.4.0","name":"e2e","plugins":[
 {"type":"bridge","bridge":"{{.Bridge}}","isGateway":true,"ipMasq":false,"hairpinMode":true,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"{{.PodCIDR}}"}]],"routes":[{"dst":"0.0.0.0/0"}],
          "dataDir":"{{.Work}}/run/cni-ipam"}},
 {"type":"portmap","capabilities":{"portMappings":true}}]}
`

// kubeletConfig: failCgroupV1 false is required on these cgroup v1 hosts;
// the paths keep the kubelet's files under the run's directory. A sync
// period of 10 s (default 1 min) brings a rotated Secret into its pods'
// volumes within seconds, so the rotation scenario waits little.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://{{.Work}}/run/containerd/containerd.sock
address: {{.NodeIP}}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: {{.Work}}/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: ""
failSwapOn: false
protectKernelDefaults: false
podLogsDir: {{.Work}}/run/pod-logs
volumePluginDir: {{.Work}}/run/kubelet-volume-plugins
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
maxPods: 50
serializeImagePulls: false
syncFrequency: 10s
`

// kubeProxyConfig leaves the host's conntrack sysctls and route_localnet
// alone and answers node ports only on the node address.
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: {{.NodeName}}
bindAddress: {{.NodeIP}}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: {{.ClusterCIDR}}
nodePortAddresses: ["{{.NodeIP}}/32"]
clientConnection:
  kubeconfig: {{.Work}}/pki/kube-proxy.kubeconfig
iptables:
  localhostNodePorts: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`
