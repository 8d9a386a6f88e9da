package controllers

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// DefaultLeaderElectionID is the name of the Lease operator replicas
// compete for, unless told otherwise.
const DefaultLeaderElectionID = "restproxy-operator.kafka.restproxy.dev"

// ManagerOptions are the settings of the operator's manager: what the
// flags of `restproxy operator` say. They live here, not in main, so the
// chart's tests run the operator wired exactly as the binary is.
type ManagerOptions struct {
	// MetricsAddr is the metrics endpoint's address; "0" disables it.
	MetricsAddr string
	// MetricsSecure serves metrics over HTTPS, only to callers the API
	// server authenticates and authorises.
	MetricsSecure bool
	// ProbeAddr is the address of /healthz and /readyz; "0" disables them.
	ProbeAddr string

	LeaderElect bool
	// LeaderElectionID names the Lease; empty: DefaultLeaderElectionID.
	LeaderElectionID string
	// LeaderElectionNamespace holds the Lease; empty: the operator's own
	// namespace (in cluster).
	LeaderElectionNamespace string

	// Proxies are the operator-wide settings of proxy pods: the image of
	// RestProxies that name none, the Secrets that pull it, and the
	// namespaces that may reach the management port (empty: everyone).
	Proxies ProxyDefaults
	// WatchNamespaces limits what the operator sees; empty watches all.
	// Set, it also means the operator's permissions are Roles in these
	// namespaces (the chart's namespaced mode), so it does not check that
	// the IngressClass a RestProxy names exists (SkipIngressClassCheck).
	WatchNamespaces []string
	// Pace is how much happens at once: reconciles, rollouts after an
	// upgrade, and how often to look for a CRD installed after the start.
	Pace Pace

	// Logger is the manager's; unset: controller-runtime's global one.
	Logger logr.Logger
	// SkipNameValidation lets one process run several managers (tests):
	// otherwise the controller's name must be unique in the process.
	SkipNameValidation bool
}

// NewManager is the operator's controller manager: the RestProxy
// controller and the health checks registered, not yet started.
func NewManager(cfg *rest.Config, o ManagerOptions) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	metrics := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.MetricsSecure}
	if o.MetricsSecure {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	leaderElectionID := o.LeaderElectionID
	if leaderElectionID == "" {
		leaderElectionID = DefaultLeaderElectionID
	}
	opts := ctrl.Options{
		Scheme:                  scheme,
		Logger:                  o.Logger,
		Cache:                   CacheOptions(scheme, o.WatchNamespaces),
		Metrics:                 metrics,
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// The process exits right after the manager stops, so handing the
		// Lease over at once is safe and speeds up a rolling upgrade.
		LeaderElectionReleaseOnCancel: true,
	}
	if o.SkipNameValidation {
		opts.Controller.SkipNameValidation = ptr.To(true)
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	r := &RestProxyReconciler{
		Client:                mgr.GetClient(),
		APIReader:             mgr.GetAPIReader(),
		Scheme:                scheme,
		Recorder:              mgr.GetEventRecorder("restproxy-operator"),
		Proxies:               o.Proxies,
		SkipIngressClassCheck: len(o.WatchNamespaces) > 0,
		Pace:                  o.Pace,
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

// ProxyDefaults are the operator-wide settings of proxy pods.
type ProxyDefaults struct {
	// Image is the proxy image when spec.image is empty.
	Image string
	// ImagePullSecrets name the pull Secrets of the proxy pods when
	// spec.template.pod.imagePullSecrets names none.
	ImagePullSecrets []string
	// ManagementNamespaces may reach the management port of proxies whose
	// NetworkPolicy names no managementFrom.
	ManagementNamespaces []string
}

// Pace is how much the operator does at once.
type Pace struct {
	// MaxConcurrentReconciles of different RestProxies; 0 means 1.
	MaxConcurrentReconciles int
	// MaxConcurrentRollouts bounds how many RestProxies roll to a changed
	// Proxies.Image at once: a count or a percentage of all RestProxies.
	// Zero value: DefaultMaxConcurrentRollouts.
	MaxConcurrentRollouts intstr.IntOrString
	// KindPollInterval is how often the operator looks for an optional kind
	// (a CRD) installed after it started; 0 means DefaultKindPollInterval.
	KindPollInterval time.Duration
}
