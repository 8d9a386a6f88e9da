package controllers

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// IngressClasses are cluster-scoped and built in: only their existence is
// read, from a metadata-only cache.
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingressclasses,verbs=list;watch

// ingressClassIndex indexes RestProxies by spec.expose.ingress.className,
// so an IngressClass's creation finds the RestProxies waiting for it.
const ingressClassIndex = ".spec.expose.ingress.className"

// ingressClassOf is the IngressClass rp's Ingress names; "" for none (the
// cluster's default class applies, or there is no Ingress).
func ingressClassOf(rp *v1alpha1.RestProxy) string {
	if e := rp.Spec.Expose; e != nil && e.Ingress != nil {
		return e.Ingress.ClassName
	}
	return ""
}

// watchIngressClasses adds to b the watch that reconciles the RestProxies
// naming an IngressClass when it is created or deleted: their status says
// while it does not exist. Updates change nothing the status says. Under
// SkipIngressClassCheck it adds nothing: the watch would be forbidden.
func (r *RestProxyReconciler) watchIngressClasses(mgr ctrl.Manager, b *builder.Builder) (*builder.Builder, error) {
	if r.SkipIngressClassCheck {
		return b, nil
	}
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.RestProxy{}, ingressClassIndex, func(obj client.Object) []string {
		if class := ingressClassOf(obj.(*v1alpha1.RestProxy)); class != "" {
			return []string{class}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index RestProxies by IngressClass: %w", err)
	}
	existence := predicate.Funcs{
		UpdateFunc:  func(ctrlevent.UpdateEvent) bool { return false },
		GenericFunc: func(ctrlevent.GenericEvent) bool { return false },
	}
	return b.WatchesMetadata(&networkingv1.IngressClass{}, handler.EnqueueRequestsFromMapFunc(r.restProxiesForIngressClass),
		builder.WithPredicates(existence)), nil
}

// restProxiesForIngressClass maps an IngressClass to the RestProxies, in
// every watched namespace, whose Ingress names it.
func (r *RestProxyReconciler) restProxiesForIngressClass(ctx context.Context, class client.Object) []reconcile.Request {
	var list v1alpha1.RestProxyList
	if err := r.Client.List(ctx, &list, client.MatchingFields{ingressClassIndex: class.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list RestProxies naming IngressClass", "ingressClass", class.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, rp := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&rp)})
	}
	return reqs
}

// missingIngressClass says, when rp's Ingress names an IngressClass that
// does not exist, what that means; "" when it exists, when no class is
// named, or when the operator may not read IngressClasses. Kubernetes
// accepts such an Ingress, but no controller serves it.
func (r *RestProxyReconciler) missingIngressClass(ctx context.Context, rp *v1alpha1.RestProxy) (string, error) {
	name := ingressClassOf(rp)
	if name == "" || r.SkipIngressClassCheck {
		return "", nil
	}
	class := &metav1.PartialObjectMetadata{}
	class.SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind("IngressClass"))
	err := r.Client.Get(ctx, client.ObjectKey{Name: name}, class)
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("spec.expose.ingress.className names IngressClass %q, which does not exist: "+
			"no ingress controller will serve this Ingress until it does", name), nil
	case err != nil:
		return "", fmt.Errorf("read IngressClass %s: %w", name, err)
	}
	return "", nil
}
