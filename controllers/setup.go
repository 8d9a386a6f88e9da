package controllers

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/applyconfigurations"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// secretRefsIndex indexes RestProxies by the names of the Secrets they
// reference, so a Secret's change finds its RestProxies without a scan.
const secretRefsIndex = ".spec.secretRefs"

// NewScheme registers the kinds the operator reads and writes: the
// built-in ones and RestProxy.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("register built-in kinds: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("register %s: %w", v1alpha1.GroupVersion, err)
	}
	return s, nil
}

// SetupWithManager registers the controller and its watches with mgr.
func (r *RestProxyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.setupWithManager(mgr, traced(r))
}

// setupWithManager lets tests wrap the reconciler the controller runs.
func (r *RestProxyReconciler) setupWithManager(mgr ctrl.Manager, rec reconcile.Reconciler) error {
	served, err := r.prepare(mgr)
	if err != nil {
		return err
	}
	resync := make(chan ctrlevent.GenericEvent)
	b, err := r.watchIngressClasses(mgr, r.watches(mgr, resync))
	if err != nil {
		return err
	}
	for _, gvk := range manifests.ManagedKinds() {
		if !served[gvk] {
			continue
		}
		// No predicate: a Deployment's status changes drive readiness.
		b = b.Owns(newObject(r.Scheme, gvk))
	}
	c, err := b.Build(rec)
	if err != nil {
		return err
	}
	interval := r.Pace.KindPollInterval
	if interval <= 0 {
		interval = DefaultKindPollInterval
	}
	return mgr.Add(&lateKinds{
		kinds: r.kinds, mapper: mgr.GetRESTMapper(), controller: c, cache: mgr.GetCache(),
		scheme: r.Scheme, reader: r.Client, resync: resync, interval: interval,
	})
}

// prepare sets up what reconciles use besides the client: the kinds the
// cluster serves (returned too), the type converter, the cache, the rollout
// pace and the index of RestProxies by the Secrets they reference.
func (r *RestProxyReconciler) prepare(mgr ctrl.Manager) (map[schema.GroupVersionKind]bool, error) {
	served, err := lookupServedKinds(mgr.GetRESTMapper())
	if err != nil {
		return nil, err
	}
	r.kinds = &servedKinds{served: served}
	r.types = applyconfigurations.NewTypeConverter(r.Scheme)
	r.cache = mgr.GetCache()
	r.reach = newReachability()
	maxRollouts := r.Pace.MaxConcurrentRollouts
	if maxRollouts == (intstr.IntOrString{}) {
		maxRollouts = DefaultMaxConcurrentRollouts
	}
	if _, err := limitFor(maxRollouts, 1); err != nil {
		return nil, err
	}
	r.pace = newRolloutPace(maxRollouts)

	err = mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.RestProxy{}, secretRefsIndex, func(obj client.Object) []string {
		var names []string
		for _, ref := range manifests.SecretRefs(obj.(*v1alpha1.RestProxy)) {
			names = append(names, ref.Name)
		}
		return names
	})
	if err != nil {
		return nil, fmt.Errorf("index RestProxies by Secret: %w", err)
	}
	return served, nil
}

// watches is the controller's builder with what it watches besides the
// kinds it owns; resync receives every RestProxy once a late kind appears.
func (r *RestProxyReconciler) watches(mgr ctrl.Manager, resync chan ctrlevent.GenericEvent) *builder.Builder {
	return ctrl.NewControllerManagedBy(mgr).
		Named("restproxy").
		// Status writes change neither generation nor annotations, so the
		// controller does not wake itself up.
		For(&v1alpha1.RestProxy{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// Only the metadata of Secrets is cached: enough to notice a change,
		// which may make a missing Secret or key appear (or go). A rotation
		// is reconciled too, and rolls nothing: the proxy re-reads the files.
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.restProxiesForSecret)).
		// A deleted ReplicaSet may free the last use of an old config
		// ConfigMap, which the reconcile then prunes (configMapsInUse).
		Watches(&appsv1.ReplicaSet{}, handler.EnqueueRequestsFromMapFunc(restProxyOfReplicaSet),
			builder.WithPredicates(predicate.Funcs{
				CreateFunc:  func(ctrlevent.CreateEvent) bool { return false },
				UpdateFunc:  func(ctrlevent.UpdateEvent) bool { return false },
				GenericFunc: func(ctrlevent.GenericEvent) bool { return false },
			})).
		// What keeps a proxy pod from running, for the conditions' messages.
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(restProxyOfPod), builder.WithPredicates(podProblemChanged)).
		// RestProxies waiting for a rollout slot, woken when one frees up.
		WatchesRawSource(source.Channel(r.pace.wake, &handler.EnqueueRequestForObject{})).
		// Every RestProxy, once a kind installed after the start is served.
		WatchesRawSource(source.Channel(resync, &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Pace.MaxConcurrentReconciles})
}

// restProxyOfReplicaSet maps a ReplicaSet of a proxy Deployment to its
// RestProxy: the Deployment and the RestProxy share the name.
func restProxyOfReplicaSet(_ context.Context, rs client.Object) []reconcile.Request {
	owner := metav1.GetControllerOf(rs)
	if owner == nil || owner.Kind != "Deployment" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: rs.GetNamespace(), Name: owner.Name}}}
}

// restProxiesForSecret maps a Secret to the RestProxies in its namespace
// that reference it.
func (r *RestProxyReconciler) restProxiesForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var list v1alpha1.RestProxyList
	if err := r.Client.List(ctx, &list, client.InNamespace(secret.GetNamespace()), client.MatchingFields{secretRefsIndex: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list RestProxies referencing Secret", "secret", client.ObjectKeyFromObject(secret))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, rp := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rp)})
	}
	return reqs
}

// lookupServedKinds asks the API server which managed kinds it serves;
// only the optional ones (the ServiceMonitor CRD) may be missing.
func lookupServedKinds(mapper meta.RESTMapper) (map[schema.GroupVersionKind]bool, error) {
	served := make(map[schema.GroupVersionKind]bool)
	for _, gvk := range manifests.ManagedKinds() {
		_, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case err == nil:
			served[gvk] = true
		case meta.IsNoMatchError(err) && slices.Contains(manifests.OptionalKinds(), gvk):
		default:
			return nil, fmt.Errorf("look up %s: %w", gvk, err)
		}
	}
	return served, nil
}

// newObject is an empty object of kind gvk: typed when the scheme knows it.
func newObject(scheme *runtime.Scheme, gvk schema.GroupVersionKind) client.Object {
	if obj, err := scheme.New(gvk); err == nil {
		return obj.(client.Object)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// stripSecretMetadata drops from a cached Secret's metadata what can be
// large and what the operator never reads: annotations (kubectl's
// last-applied-configuration holds the whole Secret, data included) and
// managed fields.
func stripSecretMetadata(in any) (any, error) {
	if obj, err := meta.Accessor(in); err == nil {
		obj.SetAnnotations(nil)
		obj.SetManagedFields(nil)
	}
	return in, nil
}

// childLabels select the children of every RestProxy: the selector label
// they all share (the instance label differs per RestProxy).
var childLabels = labels.Set{"app.kubernetes.io/name": "restproxy"}

// CacheOptions keep in memory only what the operator works on: RestProxies,
// and of each child kind only the objects the operator made, not every
// ConfigMap and Service in the cluster. Empty namespaces watch all.
func CacheOptions(scheme *runtime.Scheme, namespaces []string) cache.Options {
	opts := cache.Options{ByObject: map[client.Object]cache.ByObject{}}
	for _, gvk := range manifests.ManagedKinds() {
		if obj, err := scheme.New(gvk); err == nil {
			opts.ByObject[obj.(client.Object)] = cache.ByObject{Label: labels.SelectorFromSet(childLabels)}
		}
	}
	// Secrets are watched as metadata only (their names find the RestProxies
	// that use them); of that, only what the watch needs is kept.
	opts.ByObject[&corev1.Secret{}] = cache.ByObject{Transform: stripSecretMetadata}
	// The proxy Deployments' ReplicaSets and pods carry the pod template's labels.
	opts.ByObject[&appsv1.ReplicaSet{}] = cache.ByObject{Label: labels.SelectorFromSet(childLabels)}
	opts.ByObject[&corev1.Pod{}] = cache.ByObject{Label: labels.SelectorFromSet(childLabels)}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = make(map[string]cache.Config, len(namespaces))
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}
