package controllers

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// FieldOwner is the field manager of everything the operator applies. One
// owner for every object, so server-side apply removes a field the operator
// stops sending and leaves alone the fields others set (kubectl rollout
// restart's pod-template annotation, an HPA's writes).
const FieldOwner = "restproxy-operator"

// applier server-side applies the desired children of a RestProxy, and
// skips the request for each child whose stored state already is what the
// apply would make it: a resync of unchanged RestProxies writes nothing.
type applier struct {
	// client applies and deletes children.
	client client.Client
	// cache reads them: the manager's cache, which the Owns watches fill,
	// including the ServiceMonitors that client would read from the API
	// server (the operator may only list and watch them).
	cache client.Reader
	// reader reads from the API server what the cache cannot hold: objects
	// without the operator's labels, whose names a child would take.
	reader client.Reader
	scheme *runtime.Scheme
	// types compares stored and desired objects as server-side apply does;
	// nil applies every child every time.
	types managedfields.TypeConverter
}

// applyChildren applies each desired object, controlled by rp, unless the
// cache shows it unchanged, and returns the Deployment as the API server
// answered it or as the cache holds it (the freshest view for status).
func (a *applier) applyChildren(ctx context.Context, rp *v1alpha1.RestProxy, desired []client.Object) (*appsv1.Deployment, error) {
	var dep *appsv1.Deployment
	for _, obj := range desired {
		u, err := applyConfiguration(a.scheme, rp, obj)
		if err != nil {
			return nil, err
		}
		current, err := a.unchanged(ctx, u)
		if err != nil {
			return nil, err
		}
		isDeployment := u.GroupVersionKind() == appsv1.SchemeGroupVersion.WithKind("Deployment")
		if current != nil {
			if isDeployment {
				dep = current.(*appsv1.Deployment)
			}
			continue
		}
		if err := a.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return nil, &reconcileError{ReasonApplyFailed, fmt.Errorf("apply %s %s: %w", u.GetKind(), u.GetName(), err)}
		}
		if isDeployment {
			dep = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, dep); err != nil {
				return nil, fmt.Errorf("read applied Deployment %s: %w", u.GetName(), err)
			}
		}
	}
	return dep, nil
}

// unchanged returns the stored object when applying u would change
// nothing, and nil when u must be applied: the object is absent, or
// differs in a field the operator owns. Kinds in the scheme are read from
// the cache and compared field by field (appliedUnchanged); others (the
// ServiceMonitor) are read from the API server and compared by the hash
// of the operator's intent (hashUnchanged). A stale cache only costs an
// apply: the watch event that brings it up to date reconciles again.
func (a *applier) unchanged(ctx context.Context, u *unstructured.Unstructured) (client.Object, error) {
	if a.types == nil {
		return nil, nil
	}
	typed, err := a.scheme.New(u.GroupVersionKind())
	if err != nil {
		if err := stampAppliedHash(u); err != nil {
			return nil, err
		}
		current := &unstructured.Unstructured{}
		current.SetGroupVersionKind(u.GroupVersionKind())
		if ok, err := a.get(ctx, u, current); !ok || err != nil || !hashUnchanged(current, u) {
			return nil, err
		}
		return current, nil
	}
	current := typed.(client.Object)
	if ok, err := a.get(ctx, u, current); !ok || err != nil {
		return nil, err
	}
	same, err := appliedUnchanged(a.types, current, u)
	if err != nil {
		// Comparing is an optimisation: when it cannot be done, apply.
		log.FromContext(ctx).V(1).Info("Cannot compare with the stored object, applying", "kind", u.GetKind(), "name", u.GetName(), "error", err.Error())
		return nil, nil
	}
	if !same {
		return nil, nil
	}
	return current, nil
}

// get reads the stored version of u into obj; ok is false when there is none.
func (a *applier) get(ctx context.Context, u *unstructured.Unstructured, obj client.Object) (ok bool, err error) {
	err = a.cache.Get(ctx, client.ObjectKeyFromObject(u), obj)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, &reconcileError{ReasonApplyFailed, fmt.Errorf("read %s %s: %w", u.GetKind(), u.GetName(), err)}
	}
	return true, nil
}

// applyConfiguration turns a desired object into the apply configuration
// the operator owns: its JSON form (so omitempty and omitzero drop unset
// fields, which the operator must not claim), with a controller owner
// reference, and without what the API server owns (status,
// creationTimestamp) or nulls (which apply would read as "remove").
func applyConfiguration(scheme *runtime.Scheme, rp *v1alpha1.RestProxy, obj client.Object) (*unstructured.Unstructured, error) {
	obj = obj.DeepCopyObject().(client.Object)
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, fmt.Errorf("kind of %T %s: %w", obj, obj.GetName(), err)
	}
	if err := controllerutil.SetControllerReference(rp, obj, scheme); err != nil {
		return nil, fmt.Errorf("own %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	var content map[string]any
	// utiljson keeps integers as int64, as unstructured objects require.
	if err := utiljson.Unmarshal(data, &content); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	delete(content, "status")
	if md, ok := content["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	dropNulls(content)
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// dropNulls removes null values from maps, recursively.
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

// pruneChildren deletes the objects of the managed kinds that rp controls
// but that are no longer desired: switching a feature off removes its
// object. Kinds the cluster does not serve are skipped, and so are config
// ConfigMaps that pods may still read (configMapsInUse).
func (a *applier) pruneChildren(ctx context.Context, rp *v1alpha1.RestProxy, desired []client.Object, served func(schema.GroupVersionKind) bool) error {
	keep := make(map[schema.GroupKind]map[string]bool)
	for _, obj := range desired {
		gvk, err := apiutil.GVKForObject(obj, a.scheme)
		if err != nil {
			return fmt.Errorf("kind of %T %s: %w", obj, obj.GetName(), err)
		}
		if keep[gvk.GroupKind()] == nil {
			keep[gvk.GroupKind()] = make(map[string]bool)
		}
		keep[gvk.GroupKind()][obj.GetName()] = true
	}
	inUse, err := configMapsInUse(ctx, a.cache, rp)
	if err != nil {
		return &reconcileError{ReasonPruneFailed, err}
	}
	configMaps := corev1.SchemeGroupVersion.WithKind("ConfigMap").GroupKind()
	if keep[configMaps] == nil {
		keep[configMaps] = make(map[string]bool)
	}
	for name := range inUse {
		keep[configMaps][name] = true
	}
	for _, gvk := range manifests.ManagedKinds() {
		if !served(gvk) {
			continue
		}
		children, err := listControlled(ctx, a.cache, a.scheme, gvk, rp)
		if err != nil {
			return &reconcileError{ReasonPruneFailed, err}
		}
		for _, obj := range children {
			if keep[gvk.GroupKind()][obj.GetName()] {
				continue
			}
			uid := obj.GetUID()
			if err := a.client.Delete(ctx, obj, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
				return &reconcileError{ReasonPruneFailed, fmt.Errorf("delete %s %s: %w", gvk.Kind, obj.GetName(), err)}
			}
		}
	}
	return nil
}

// listControlled lists the objects of one kind in rp's namespace that carry
// its selector labels and that it controls, from the informers the
// controller's Owns watches keep: kinds in the scheme typed, others (the
// ServiceMonitor) as unstructured.
func listControlled(ctx context.Context, c client.Reader, scheme *runtime.Scheme, gvk schema.GroupVersionKind, rp *v1alpha1.RestProxy) ([]client.Object, error) {
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	var list client.ObjectList
	if typed, err := scheme.New(listGVK); err == nil {
		list = typed.(client.ObjectList)
	} else {
		u := &unstructured.UnstructuredList{}
		u.SetGroupVersionKind(listGVK)
		list = u
	}
	if err := c.List(ctx, list, client.InNamespace(rp.Namespace), client.MatchingLabels(manifests.SelectorLabels(rp))); err != nil {
		return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	var controlled []client.Object
	for _, item := range items {
		obj, ok := item.(client.Object)
		if ok && metav1.IsControlledBy(obj, rp) {
			controlled = append(controlled, obj)
		}
	}
	return controlled, nil
}
