package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// gatewayAPIVersion is the Gateway API release whose HTTPRoute CRD the
// tests install, from the module's own CRD files.
const gatewayAPIVersion = "v1.6.3"

// gatewayAPICRD is the path of the Gateway API's standard HTTPRoute CRD in
// the module cache, downloading the module (not a dependency of the
// operator: it builds HTTPRoutes as unstructured) if need be.
func gatewayAPICRD(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/gateway-api@"+gatewayAPIVersion).Output()
	if err != nil {
		t.Fatalf("download the Gateway API module %s: %v", gatewayAPIVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download -json: %v\n%s", err, out)
	}
	return filepath.Join(mod.Dir, "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml")
}

// TestLateCRDIsWatchedWithoutRestart runs the operator against an API
// server of its own that serves no ServiceMonitors, PodMonitors, HTTPRoutes
// or Certificates: a RestProxy asking for three of them, and another asking
// for a PodMonitor (the CRD refuses both monitors in one), say so in status;
// once the CRDs are installed (the Gateway API's from its module, stand-ins
// for the others), the running operator creates them and watches them (a
// deleted one comes back), without a restart.
func TestLateCRDIsWatchedWithoutRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	assets, err := envtestAssets()
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start a second envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := NewManager(cfg, ManagerOptions{
		MetricsAddr: "0", ProbeAddr: "0", Proxies: ProxyDefaults{Image: testImage},
		Pace:   Pace{MaxConcurrentReconciles: 1, KindPollInterval: 100 * time.Millisecond},
		Logger: logr.Discard(), SkipNameValidation: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	mgrCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant"}}); err != nil {
		t.Fatal(err)
	}
	rp := newRestProxy("tenant", "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
		rp.Spec.Expose = &v1alpha1.ExposeSpec{
			HTTPRoute: &v1alpha1.HTTPRouteExposeSpec{
				ParentRefs: []v1alpha1.GatewayParentRef{{Name: "public", Namespace: "gateways"}}, Hostnames: []string{"p.example.com"}},
			Ingress: &v1alpha1.IngressExposeSpec{Host: "p.example.com", TLSSecretName: "p-public",
				IssuerRef: &v1alpha1.IssuerReference{Name: "letsencrypt", Kind: "ClusterIssuer"}},
		}
	})
	if err := c.Create(ctx, rp); err != nil {
		t.Fatal(err)
	}
	podMonitored := newRestProxy("tenant", "q", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics = &v1alpha1.MetricsSpec{PodMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
	})
	if err := c.Create(ctx, podMonitored); err != nil {
		t.Fatal(err)
	}
	degradedOf := func(rp *v1alpha1.RestProxy, reason, mentions string) func() error {
		return func() error {
			got := &v1alpha1.RestProxy{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(rp), got); err != nil {
				return err
			}
			d := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionDegraded)
			if d == nil || d.Reason != reason || !strings.Contains(d.Message, mentions) || d.ObservedGeneration != got.Generation {
				return fmt.Errorf("Degraded = %+v, want reason %s mentioning %q", d, reason, mentions)
			}
			return nil
		}
	}
	degraded := func(reason, mentions string) func() error { return degradedOf(rp, reason, mentions) }
	eventually(t, degraded(ReasonKindNotInstalled, "ServiceMonitor monitoring.coreos.com/v1"))
	eventually(t, degraded(ReasonKindNotInstalled, "HTTPRoute gateway.networking.k8s.io/v1"))
	eventually(t, degraded(ReasonKindNotInstalled, "Certificate cert-manager.io/v1"))
	eventually(t, degradedOf(podMonitored, ReasonKindNotInstalled, "spec.metrics.podMonitor.enabled is set, but the cluster does not serve PodMonitor monitoring.coreos.com/v1"))

	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join("..", "hack", "testdata", "servicemonitor-crd.yaml"), gatewayAPICRD(t),
			filepath.Join("..", "hack", "testdata", "certificate-crd.yaml"), filepath.Join("..", "hack", "testdata", "podmonitor-crd.yaml")},
		ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatalf("install the ServiceMonitor, PodMonitor, HTTPRoute and Certificate CRDs: %v", err)
	}
	cert := &unstructured.Unstructured{}
	cert.SetGroupVersionKind(manifests.CertificateGVK)
	eventually(t, func() error { return c.Get(ctx, client.ObjectKeyFromObject(rp), cert) })
	if name, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName"); name != "p-public" {
		t.Errorf("Certificate secretName %q, want the Ingress's p-public", name)
	}
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(manifests.HTTPRouteGVK)
	eventually(t, func() error { return c.Get(ctx, client.ObjectKeyFromObject(rp), route) })
	if owner := metav1.GetControllerOf(route); owner == nil || owner.Name != "p" {
		t.Errorf("HTTPRoute controller %+v, want the RestProxy", owner)
	}
	sm := &unstructured.Unstructured{}
	sm.SetGroupVersionKind(manifests.ServiceMonitorGVK)
	eventually(t, func() error { return c.Get(ctx, client.ObjectKeyFromObject(rp), sm) })
	eventually(t, degraded(ReasonReconciled, ""))
	pm := &unstructured.Unstructured{}
	pm.SetGroupVersionKind(manifests.PodMonitorGVK)
	eventually(t, func() error { return c.Get(ctx, client.ObjectKeyFromObject(podMonitored), pm) })
	eventually(t, degradedOf(podMonitored, ReasonReconciled, ""))
	if err := c.Get(ctx, client.ObjectKeyFromObject(rp), pm); !apierrors.IsNotFound(err) {
		t.Errorf("a PodMonitor for the RestProxy that asked for a ServiceMonitor: %v", err)
	}

	// Watched: a deleted ServiceMonitor or PodMonitor comes back.
	for _, obj := range []*unstructured.Unstructured{sm, pm} {
		uid := obj.GetUID()
		if err := c.Delete(ctx, obj); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
				return err
			}
			if obj.GetUID() == uid {
				return fmt.Errorf("%s still the deleted one", obj.GetKind())
			}
			return nil
		})
	}
}
