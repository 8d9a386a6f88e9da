package controllers

import (
	"maps"
	"slices"
	"testing"
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
