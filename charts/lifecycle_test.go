package charts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

const crdName = "restproxies.kafka.restproxy.dev"

// TestInstallUpgradeUninstall runs helm itself against the API server, as
// users do: install creates the CRD, upgrade changes the operator, and
// uninstall removes the operator but keeps the CRD and the RestProxies.
func TestInstallUpgradeUninstall(t *testing.T) {
	ctx := context.Background()
	const release, ns, tenant = "lifecycle", "restproxy-lifecycle", "tenant-lifecycle"
	// helm install refuses to take over a CRD another test applied.
	deleteCRD(t)
	restrictedNamespace(t, ns)
	ensureNamespace(t, tenant)
	helmRelease := func(args ...string) string {
		t.Helper()
		return string(helm(t, append(args, "--kubeconfig", adminKub, "--namespace", ns)...))
	}

	helmRelease("install", release, chartDir, "--set", "image.tag=v1", "--set", "maxConcurrentReconciles=3")
	operator := types.NamespacedName{Namespace: ns, Name: release + "-restproxy-operator"}
	wantImage(t, operator, "ghcr.io/restproxy-dev/restproxy:v1")
	if _, err := kubectl(nil, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crdName); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(nil, "apply", "--server-side", "--namespace", tenant, "--filename", sample); err != nil {
		t.Fatal(err)
	}

	// --reset-then-reuse-values, not --reuse-values: the latter also reuses the
	// old chart's defaults, so values a newer chart adds would be missing.
	helmRelease("upgrade", release, chartDir, "--reset-then-reuse-values", "--set", "image.tag=v2")
	wantImage(t, operator, "ghcr.io/restproxy-dev/restproxy:v2")
	wantArg(t, operator, "--max-concurrent-reconciles=3") // kept from the install

	out := helmRelease("uninstall", release)
	if !strings.Contains(out, crdName) {
		t.Errorf("helm uninstall does not say it kept the CRD:\n%s", out)
	}
	eventually(t, func() error {
		err := k8s.Get(ctx, operator, &appsv1.Deployment{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("operator Deployment after uninstall: %v, want NotFound", err)
		}
		return nil
	})
	kept := crd()
	if err := k8s.Get(ctx, client.ObjectKey{Name: crdName}, kept); err != nil {
		t.Errorf("CRD after helm uninstall: %v", err)
	} else if kept.GetDeletionTimestamp() != nil {
		t.Errorf("helm uninstall is deleting the CRD (since %v)", kept.GetDeletionTimestamp())
	}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: tenant, Name: "orders-minimal"}, &v1alpha1.RestProxy{}); err != nil {
		t.Errorf("RestProxy after helm uninstall: %v", err)
	}
}

// wantImage checks the operator Deployment runs image.
func wantImage(t *testing.T, key types.NamespacedName, image string) {
	t.Helper()
	var dep appsv1.Deployment
	if err := k8s.Get(context.Background(), key, &dep); err != nil {
		t.Fatalf("operator Deployment: %v", err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != image {
		t.Fatalf("operator image %q, want %q", got, image)
	}
}

// wantArg checks the operator Deployment passes arg to the operator.
func wantArg(t *testing.T, key types.NamespacedName, arg string) {
	t.Helper()
	var dep appsv1.Deployment
	if err := k8s.Get(context.Background(), key, &dep); err != nil {
		t.Fatalf("operator Deployment: %v", err)
	}
	if args := dep.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, arg) {
		t.Fatalf("operator args %v lack %s", args, arg)
	}
}

// deleteCRD deletes the RestProxy CRD, if any, and waits until it is gone.
func deleteCRD(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	obj := crd()
	obj.SetName(crdName)
	if err := k8s.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete CRD: %v", err)
	}
	eventually(t, func() error {
		err := k8s.Get(ctx, client.ObjectKey{Name: crdName}, crd())
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("CRD %s not deleted yet: %v", crdName, err)
		}
		return nil
	})
}

// crd is an empty CustomResourceDefinition; the suite's scheme lacks the
// apiextensions types.
func crd() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	return u
}
