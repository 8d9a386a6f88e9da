package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/restproxy-dev/restproxy-operator/controllers"
)

// defaultProxyImage is the proxy image when neither --proxy-image nor
// RESTPROXY_PROXY_IMAGE says otherwise. Deployments set one of them to the
// operator's own image (the binary is the same), so operator and proxies
// upgrade together.
const defaultProxyImage = "ghcr.io/restproxy-dev/restproxy:latest"

// operatorOptions are the flags of `restproxy operator`.
type operatorOptions struct {
	kubeconfig              string
	metricsAddr             string
	metricsSecure           bool
	probeAddr               string
	leaderElect             bool
	leaderElectionID        string
	leaderElectionNamespace string
	proxyImage              string
	watchNamespaces         string
	maxConcurrentReconciles int
	logLevel                string
	logFormat               string
}

// runOperator runs the controller manager until ctx ends (SIGTERM).
func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o operatorOptions
	fs := newFlagSet("operator", "[flags]", stderr)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` to reach the API server; empty: KUBECONFIG, then the in-cluster service account")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "`address` of the metrics endpoint; \"0\" disables it")
	fs.BoolVar(&o.metricsSecure, "metrics-secure", true, "serve metrics over HTTPS, only to callers the API server authenticates and authorises (get /metrics)")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "`address` of /healthz and /readyz; \"0\" disables them")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader, so only one of several operator replicas reconciles")
	fs.StringVar(&o.leaderElectionID, "leader-election-id", "restproxy-operator.kafka.restproxy.dev", "`name` of the Lease the replicas compete for")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "`namespace` of the Lease; empty: the operator's own namespace (in cluster)")
	fs.StringVar(&o.proxyImage, "proxy-image", envOr("RESTPROXY_PROXY_IMAGE", defaultProxyImage), "proxy `image` for RestProxies that name none; RESTPROXY_PROXY_IMAGE, when set, changes this default")
	fs.StringVar(&o.watchNamespaces, "watch-namespaces", "", "comma-separated `namespaces` to watch; empty: all")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 2, "RestProxies reconciled at once")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "json", "log `format`: json or text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	if o.proxyImage == "" {
		return fmt.Errorf("--proxy-image is empty: RestProxies without spec.image would have no image")
	}
	if o.maxConcurrentReconciles < 1 {
		return fmt.Errorf("--max-concurrent-reconciles %d: need at least 1", o.maxConcurrentReconciles)
	}
	ctrl.SetLogger(logger)
	klog.SetLogger(logger) // client-go's own logs, e.g. leader election

	cfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := newManager(cfg, o)
	if err != nil {
		return err
	}
	logger.Info("Starting operator", "proxyImage", o.proxyImage, "watchNamespaces", o.watchNamespaces, "leaderElect", o.leaderElect)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// newManager is the controller manager with the RestProxy controller and
// its health checks registered.
func newManager(cfg *rest.Config, o operatorOptions) (ctrl.Manager, error) {
	scheme, err := controllers.NewScheme()
	if err != nil {
		return nil, err
	}
	metrics := metricsserver.Options{BindAddress: o.metricsAddr, SecureServing: o.metricsSecure}
	if o.metricsSecure {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controllers.CacheOptions(scheme, splitList(o.watchNamespaces)),
		Metrics:                 metrics,
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        o.leaderElectionID,
		LeaderElectionNamespace: o.leaderElectionNamespace,
		// The process exits right after the manager stops, so handing the
		// Lease over at once is safe and speeds up a rolling upgrade.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	r := &controllers.RestProxyReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  scheme,
		Recorder:                mgr.GetEventRecorder("restproxy-operator"),
		DefaultImage:            o.proxyImage,
		MaxConcurrentReconciles: o.maxConcurrentReconciles,
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up RestProxy controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add readiness check: %w", err)
	}
	return mgr, nil
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

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
