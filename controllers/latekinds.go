package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// DefaultKindPollInterval is how often the operator asks the API server
// whether an optional kind it does not yet serve (a CRD installed after
// the operator started) has appeared.
const DefaultKindPollInterval = 30 * time.Second

// servedKinds says which managed kinds the cluster serves. Optional kinds
// (the ServiceMonitor) may start being served while the operator runs:
// lateKinds then marks them and starts their watch, without a restart.
type servedKinds struct {
	mu     sync.RWMutex
	served map[schema.GroupVersionKind]bool
}

func (s *servedKinds) has(gvk schema.GroupVersionKind) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.served[gvk]
}

func (s *servedKinds) missing() []schema.GroupVersionKind {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var missing []schema.GroupVersionKind
	for _, gvk := range manifests.ManagedKinds() {
		if !s.served[gvk] {
			missing = append(missing, gvk)
		}
	}
	return missing
}

func (s *servedKinds) add(gvk schema.GroupVersionKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served[gvk] = true
}

// lateKinds polls discovery (which every authenticated user may read, so
// it needs no permission on CRDs, also in namespaced mode) for the managed
// kinds not served when the operator started. When one appears it starts
// the controller's watch on it and reconciles every RestProxy, so those
// that asked for it get it. It stops once every kind is served.
type lateKinds struct {
	kinds      *servedKinds
	mapper     meta.RESTMapper
	controller controller.Controller
	cache      cache.Cache
	scheme     *runtime.Scheme
	reader     client.Reader
	// resync receives every RestProxy to reconcile once a kind appears.
	resync   chan<- ctrlevent.GenericEvent
	interval time.Duration
}

// Start implements manager.Runnable.
func (l *lateKinds) Start(ctx context.Context) error {
	ticker := time.NewTicker(l.interval)
	defer ticker.Stop()
	for len(l.kinds.missing()) > 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if err := l.check(ctx); err != nil {
			log.FromContext(ctx).Error(err, "Looking for kinds installed after the operator started")
		}
	}
	return nil
}

// check starts watching each missing kind that is now served, then
// reconciles every RestProxy.
func (l *lateKinds) check(ctx context.Context) error {
	appeared := false
	for _, gvk := range l.kinds.missing() {
		_, err := l.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case meta.IsNoMatchError(err):
			continue
		case err != nil:
			return fmt.Errorf("look up %s: %w", gvk, err)
		}
		owned := newObject(l.scheme, gvk)
		src := source.Kind(l.cache, owned, handler.EnqueueRequestForOwner(l.scheme, l.mapper, &v1alpha1.RestProxy{}, handler.OnlyControllerOwner()))
		if err := l.controller.Watch(src); err != nil {
			return fmt.Errorf("watch %s: %w", gvk, err)
		}
		// Only a synced watch sees what happens to the objects the resync
		// below creates: one deleted before its informer listed would
		// never be recreated.
		syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
		err = src.WaitForSync(syncCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("watch %s: %w", gvk, err)
		}
		l.kinds.add(gvk)
		log.FromContext(ctx).Info("Kind installed after the operator started is now served and watched", "kind", gvk.String())
		appeared = true
	}
	if !appeared {
		return nil
	}
	var all v1alpha1.RestProxyList
	if err := l.reader.List(ctx, &all, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list RestProxies: %w", err)
	}
	for i := range all.Items {
		key := &v1alpha1.RestProxy{}
		key.Namespace, key.Name = all.Items[i].Namespace, all.Items[i].Name
		select {
		case l.resync <- ctrlevent.GenericEvent{Object: key}:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}
