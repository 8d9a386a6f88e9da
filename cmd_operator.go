package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/restproxy-dev/restproxy-operator/controllers"
)

// defaultProxyImage is the proxy image when neither --proxy-image nor
// RESTPROXY_PROXY_IMAGE says otherwise. Deployments set one of them to the
// operator's own image (the binary is the same), so operator and proxies
// upgrade together.
const defaultProxyImage = "ghcr.io/restproxy-dev/restproxy:latest"

// operatorOptions are the flags of `restproxy operator`: the manager's
// settings, and how to connect and log.
type operatorOptions struct {
	manager         controllers.ManagerOptions
	watchNamespaces string // comma-separated: manager.WatchNamespaces
	// proxyPullSecrets is comma-separated: manager.ProxyImagePullSecrets
	proxyPullSecrets string
	// managementNamespaces is comma-separated: manager.Proxies.ManagementNamespaces
	managementNamespaces string
	// maxConcurrentRollouts: manager.MaxConcurrentRollouts, "3" or "5%"
	maxConcurrentRollouts string
	kubeconfig            string
	logLevel              string
	logFormat             string
}

// runOperator runs the controller manager until ctx ends (SIGTERM).
func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o operatorOptions
	fs := newFlagSet("operator", "[flags]", stderr)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` to reach the API server; empty: KUBECONFIG, then the in-cluster service account")
	m := &o.manager
	fs.StringVar(&m.MetricsAddr, "metrics-bind-address", ":8080", "`address` of the metrics endpoint; \"0\" disables it")
	fs.BoolVar(&m.MetricsSecure, "metrics-secure", true, "serve metrics over HTTPS, only to callers the API server authenticates and authorises (get /metrics)")
	fs.StringVar(&m.ProbeAddr, "health-probe-bind-address", ":8081", "`address` of /healthz and /readyz; \"0\" disables them")
	fs.BoolVar(&m.LeaderElect, "leader-elect", false, "elect a leader, so only one of several operator replicas reconciles")
	fs.StringVar(&m.LeaderElectionID, "leader-election-id", controllers.DefaultLeaderElectionID, "`name` of the Lease the replicas compete for")
	fs.StringVar(&m.LeaderElectionNamespace, "leader-election-namespace", "", "`namespace` of the Lease; empty: the operator's own namespace (in cluster)")
	fs.StringVar(&m.Proxies.Image, "proxy-image", envOr("RESTPROXY_PROXY_IMAGE", defaultProxyImage), "proxy `image` for RestProxies that name none; RESTPROXY_PROXY_IMAGE, when set, changes this default")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "comma-separated `namespaces` to watch; empty: all")
	fs.StringVar(&o.managementNamespaces, "management-namespaces", defaultManagementNamespaces(),
		"comma-separated `namespaces` whose pods may reach the proxies' management port (metrics) under a RestProxy's NetworkPolicy without managementFrom; default: the operator's own (POD_NAMESPACE) and monitoring")
	fs.StringVar(&o.proxyPullSecrets, "proxy-image-pull-secrets", "", "comma-separated `names` of Secrets, in each RestProxy's namespace, that pull proxy images when spec.template.pod.imagePullSecrets names none")
	fs.IntVar(&m.Pace.MaxConcurrentReconciles, "max-concurrent-reconciles", 2, "RestProxies reconciled at once")
	fs.StringVar(&o.maxConcurrentRollouts, "max-concurrent-rollouts", controllers.DefaultMaxConcurrentRollouts.String(),
		"RestProxies that roll to a new --proxy-image at once: a `count` or a percentage of all RestProxies (rounded down, at least 1); the next starts when one is available")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "json", "log `format`: json or text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	if m.Proxies.Image == "" {
		return fmt.Errorf("--proxy-image is empty: RestProxies without spec.image would have no image")
	}
	if m.Pace.MaxConcurrentReconciles < 1 {
		return fmt.Errorf("--max-concurrent-reconciles %d: need at least 1", m.Pace.MaxConcurrentReconciles)
	}
	if m.Pace.MaxConcurrentRollouts, err = parseRollouts(o.maxConcurrentRollouts); err != nil {
		return err
	}
	m.WatchNamespaces = splitList(o.watchNamespaces)
	m.Proxies.ImagePullSecrets = splitList(o.proxyPullSecrets)
	m.Proxies.ManagementNamespaces = splitList(o.managementNamespaces)
	ctrl.SetLogger(logger)
	klog.SetLogger(logger) // client-go's own logs, e.g. leader election

	cfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := controllers.NewManager(cfg, o.manager)
	if err != nil {
		return err
	}
	logger.Info("Starting operator", "proxyImage", m.Proxies.Image, "watchNamespaces", m.WatchNamespaces, "leaderElect", m.LeaderElect)
	return startManager(ctx, mgr)
}

// startManager runs mgr until ctx ends, exporting its reconcile spans when
// the environment asks for it (startOperatorTracing).
func startManager(ctx context.Context, mgr ctrl.Manager) error {
	stopTracing, err := startOperatorTracing(ctx)
	if err != nil {
		return err
	}
	defer stopTracing()
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// restConfig reaches the API server through kubeconfig when given, else as
// controller-runtime does (KUBECONFIG, in-cluster, ~/.kube/config).
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("find the API server (set --kubeconfig or KUBECONFIG outside a cluster): %w", err)
	}
	return cfg, nil
}

// newLogger logs through slog, in the operator's own choice of format.
func newLogger(w io.Writer, level, format string) (logr.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return logr.Logger{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return logr.FromSlogHandler(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return logr.FromSlogHandler(slog.NewTextHandler(w, opts)), nil
	}
	return logr.Logger{}, fmt.Errorf("--log-format %q: want json or text", format)
}

// parseRollouts reads --max-concurrent-rollouts: a positive count, or a
// percentage from 1% to 100%.
func parseRollouts(s string) (intstr.IntOrString, error) {
	bad := fmt.Errorf("--max-concurrent-rollouts %q: want a count of at least 1 or a percentage such as 5%%", s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(pct)
		if err != nil || n < 1 || n > 100 {
			return intstr.IntOrString{}, bad
		}
		return intstr.FromString(s), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return intstr.IntOrString{}, bad
	}
	return intstr.FromInt(n), nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// defaultManagementNamespaces is the operator's own namespace (the
// manifests set POD_NAMESPACE) and monitoring, where Prometheus usually runs.
func defaultManagementNamespaces() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" && ns != "monitoring" {
		return ns + ",monitoring"
	}
	return "monitoring"
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
