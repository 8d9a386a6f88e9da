package controllers

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestSecretCacheHoldsNoAnnotations: the operator's cache, as CacheOptions
// configures it, keeps of a Secret only the metadata the watch needs: no
// data, no last-applied-configuration (a copy of the data), no managed
// fields.
func TestSecretCacheHoldsNoAnnotations(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := newNamespace(t)
	secret := newSecret(ns, "applied", map[string]string{"password": "s3cret"})
	secret.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"password":"czNjcmV0"}}`}
	secret.Labels = map[string]string{"team": "orders"}
	create(t, secret)

	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(adminREST, CacheOptions(scheme, []string{ns}))
	if err != nil {
		t.Fatalf("new cache: %v", err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("cache did not sync")
	}
	cached := &metav1.PartialObjectMetadata{}
	cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	eventually(t, func() error { return c.Get(ctx, client.ObjectKeyFromObject(secret), cached) })
	if len(cached.Annotations) != 0 || len(cached.ManagedFields) != 0 {
		t.Errorf("cached Secret metadata has annotations %v and %d managed fields entries, want none", cached.Annotations, len(cached.ManagedFields))
	}
	if cached.Name != "applied" || cached.Labels["team"] != "orders" {
		t.Errorf("cached Secret metadata lost its name or labels: %+v", cached.ObjectMeta)
	}
}
