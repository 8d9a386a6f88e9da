package controllers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// writeCounter counts the write requests a client sends to the API server,
// per namespace and per "verb kind" (apply Deployment, patch
// RestProxy/status), whether the API server accepts them or not: a no-op
// apply and a conflicting status patch are requests all the same.
type writeCounter struct {
	mu          sync.Mutex
	byNamespace map[string]map[string]int
}

func newWriteCounter() *writeCounter {
	return &writeCounter{byNamespace: map[string]map[string]int{}}
}

func (w *writeCounter) add(namespace, verb, kind string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byNamespace[namespace] == nil {
		w.byNamespace[namespace] = map[string]int{}
	}
	w.byNamespace[namespace][verb+" "+kind]++
}

// in returns the counts of namespace ns by verb and kind, and their total.
func (w *writeCounter) in(ns string) (map[string]int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	counts := maps.Clone(w.byNamespace[ns])
	total := 0
	for _, n := range counts {
		total += n
	}
	return counts, total
}

// describe lists counts in a stable order, for failure messages.
func describe(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// countingClient is the manager's client with every write counted before
// it is sent: instrumentation around the real client, which still talks
// to the API server.
type countingClient struct {
	client.Client
	counts *writeCounter
}

// countWrites wraps c; it is the manager's NewClient with counting added.
func countWrites(c client.Client, counts *writeCounter) client.Client {
	return countingClient{Client: c, counts: counts}
}

func (c countingClient) kind(obj runtime.Object) string {
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

func (c countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.counts.add(obj.GetNamespace(), "create", c.kind(obj))
	return c.Client.Create(ctx, obj, opts...)
}

func (c countingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	c.counts.add(obj.GetNamespace(), "update", c.kind(obj))
	return c.Client.Update(ctx, obj, opts...)
}

func (c countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.counts.add(obj.GetNamespace(), "patch", c.kind(obj))
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.counts.add(obj.GetNamespace(), "delete", c.kind(obj))
	return c.Client.Delete(ctx, obj, opts...)
}

func (c countingClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	c.counts.add(obj.GetNamespace(), "deletecollection", c.kind(obj))
	return c.Client.DeleteAllOf(ctx, obj, opts...)
}

func (c countingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	ns, kind := "", fmt.Sprintf("%T", obj)
	// client.ApplyConfigurationFromUnstructured, which the operator uses.
	if u, ok := obj.(interface {
		GetNamespace() string
		GetKind() string
	}); ok {
		ns, kind = u.GetNamespace(), u.GetKind()
	}
	c.counts.add(ns, "apply", kind)
	return c.Client.Apply(ctx, obj, opts...)
}

func (c countingClient) Status() client.SubResourceWriter {
	return c.SubResource("status")
}

func (c countingClient) SubResource(name string) client.SubResourceClient {
	return countingSubResource{SubResourceClient: c.Client.SubResource(name), parent: c, name: name}
}

// countingSubResource counts the writes to one subresource.
type countingSubResource struct {
	client.SubResourceClient
	parent countingClient
	name   string
}

func (s countingSubResource) add(obj client.Object, verb string) {
	s.parent.counts.add(obj.GetNamespace(), verb, s.parent.kind(obj)+"/"+s.name)
}

func (s countingSubResource) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	s.add(obj, "create")
	return s.SubResourceClient.Create(ctx, obj, sub, opts...)
}

func (s countingSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.add(obj, "update")
	return s.SubResourceClient.Update(ctx, obj, opts...)
}

func (s countingSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	s.add(obj, "patch")
	return s.SubResourceClient.Patch(ctx, obj, patch, opts...)
}

func (s countingSubResource) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	s.parent.counts.add("", "apply", fmt.Sprintf("%T/%s", obj, s.name))
	return s.SubResourceClient.Apply(ctx, obj, opts...)
}
