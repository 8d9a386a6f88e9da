package controllers

import (
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// TestCacheOptionsNamespaces: `restproxy operator --watch-namespaces` limits
// every informer to the namespaces named; none named watches all.
func TestCacheOptionsNamespaces(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	if got := CacheOptions(scheme, nil).DefaultNamespaces; got != nil {
		t.Errorf("no namespaces named: DefaultNamespaces = %v, want nil (all namespaces)", got)
	}
	got := slices.Sorted(maps.Keys(CacheOptions(scheme, []string{"tenant-b", "tenant-a"}).DefaultNamespaces))
	if want := []string{"tenant-a", "tenant-b"}; !slices.Equal(got, want) {
		t.Errorf("DefaultNamespaces = %v, want %v", got, want)
	}
}

// TestServedKinds: a cluster without the Prometheus operator's CRD runs the
// operator without ServiceMonitors; one lacking a built-in kind is an error
// at start, not a silently missing child.
func TestServedKinds(t *testing.T) {
	mapperWithout := func(skip schema.GroupVersionKind) meta.RESTMapper {
		m := meta.NewDefaultRESTMapper(nil)
		for _, gvk := range manifests.ManagedKinds() {
			if gvk != skip {
				m.Add(gvk, meta.RESTScopeNamespace)
			}
		}
		return m
	}
	served, err := lookupServedKinds(mapperWithout(manifests.ServiceMonitorGVK))
	if err != nil {
		t.Fatalf("without the ServiceMonitor CRD: %v", err)
	}
	for _, gvk := range manifests.ManagedKinds() {
		if want := gvk != manifests.ServiceMonitorGVK; served[gvk] != want {
			t.Errorf("served[%s] = %t, want %t", gvk.Kind, served[gvk], want)
		}
	}
	deployment := appsv1.SchemeGroupVersion.WithKind("Deployment")
	if _, err := lookupServedKinds(mapperWithout(deployment)); err == nil || !strings.Contains(err.Error(), "Deployment") {
		t.Errorf("without Deployments: error %v, want one naming Deployment", err)
	}
}
