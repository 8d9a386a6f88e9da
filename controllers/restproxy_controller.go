// Package controllers holds the RestProxy reconciler: it checks that the
// Secrets a RestProxy references exist, resolves the RestProxy into an
// input value, applies the objects the pure builders in
// controllers/manifests make of it, prunes those no longer wanted, and
// writes the status computed from what it saw.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// Least privilege: exactly what Reconcile and its watches use. RestProxies
// and children are read from the cache (list, watch); Secrets are read one
// by one from the API server, and so is a child the cache lacks (get), to
// be sure its name is not taken by an object of someone else's. Children are written only
// by server-side apply (patch; create when absent) and pruned by delete,
// never updated; while a Secret is missing, a Deployment is scaled through
// its scale subresource (patch). restproxies/finalizers update lets the owner references
// block deletion where OwnerReferencesPermissionEnforcement is on. The
// envtest suite runs the manager with the role generated from these markers
// and that admission plugin on, so a missing verb fails it.
//
// +kubebuilder:rbac:groups=kafka.restproxy.dev,resources=restproxies,verbs=list;watch
// +kubebuilder:rbac:groups=kafka.restproxy.dev,resources=restproxies/status,verbs=patch
// +kubebuilder:rbac:groups=kafka.restproxy.dev,resources=restproxies/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps;services;serviceaccounts,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments/scale,verbs=patch
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=list;watch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies;ingresses,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=servicemonitors;podmonitors,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=gateway.networking.k8s.io,resources=httproutes,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// RestProxyReconciler brings each RestProxy's children to its spec.
type RestProxyReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads Secrets from the API server: the cache keeps only
	// their metadata, so tenants' credentials are not held in memory.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	// Recorder emits events.k8s.io Events on status transitions.
	Recorder events.EventRecorder
	// Proxies are what every proxy pod gets unless its RestProxy says.
	Proxies ProxyDefaults
	// SkipIngressClassCheck: the operator may not read IngressClasses,
	// which are cluster-scoped, because its permissions are Roles in the
	// watched namespaces. Status then never says that the class named by
	// spec.expose.ingress.className does not exist.
	SkipIngressClassCheck bool
	// Pace sets how much happens at once.
	Pace Pace
	// reach checks the JWT issuers and Schema Registries RestProxies
	// name; set up with served. Without it, nothing is checked.
	reach *reachability

	// pace admits RestProxies to roll to a changed Proxies.Image; set up
	// with served. Without it they all roll at once.
	pace *rolloutPace

	// kinds says which managed kinds the cluster serves; set up when the
	// controller starts, and by lateKinds when a CRD is installed later.
	kinds *servedKinds
	// types lets a reconcile compare a child in the cache with its desired
	// form and skip applying it when unchanged; set up with served. Without
	// it every child is applied on every reconcile.
	types managedfields.TypeConverter
	// cache is the manager's cache, which Client reads typed objects from;
	// read directly, it serves unstructured ones too. Set up with served;
	// without it, Client reads.
	cache client.Reader
}

// Reconcile runs the whole loop for one RestProxy: children first, then the
// status, written in one place.
func (r *RestProxyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rp := &v1alpha1.RestProxy{}
	if err := r.Client.Get(ctx, req.NamespacedName, rp); err != nil {
		if apierrors.IsNotFound(err) {
			restProxyConditions.forget(req.NamespacedName)
			if r.pace != nil {
				r.pace.forget(req.NamespacedName)
			}
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !rp.DeletionTimestamp.IsZero() {
		restProxyConditions.forget(req.NamespacedName)
		return ctrl.Result{}, nil // garbage collection removes the children
	}

	out, dep := r.reconcileChildren(ctx, rp)
	obs, err := r.observe(ctx, rp, dep)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !out.paused {
		r.observeRollout(rp, obs.deployment)
	}
	status := computeStatus(rp, obs, out, metav1.NewTime(time.Now().Truncate(time.Second)))
	if err := r.writeStatus(ctx, rp, status); err != nil {
		if apierrors.IsConflict(err) {
			// The cache had not yet seen the last status write; try again
			// once it has rather than stamp transitions from a stale base.
			log.FromContext(ctx).V(1).Info("Status write conflicted, retrying", "resourceVersion", rp.ResourceVersion)
			return ctrl.Result{RequeueAfter: time.Second}, nil
		}
		// Deleted meanwhile: nothing left to report on.
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// What is stored now, for the alerts and the dashboard.
	restProxyConditions.set(req.NamespacedName, status.Conditions)
	if out.err != nil && retryable(out.err) {
		return ctrl.Result{}, out.err
	}
	if out.err != nil {
		log.FromContext(ctx).Info("RestProxy cannot be reconciled until its input changes", "reason", reasonOf(out.err), "message", out.err.Error())
	}
	if reasonOf(out.err) == ReasonNameConflict {
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	if out.upgradeHeld {
		return ctrl.Result{RequeueAfter: heldRetry}, nil
	}
	if obs.unreachableIssuer != "" || obs.unreachableRegistry != "" {
		return ctrl.Result{RequeueAfter: recheckAfter}, nil
	}
	return ctrl.Result{}, nil
}

// reconcileChildren resolves the input, builds the desired objects, applies
// them and prunes the rest. It returns what happened and the Deployment as
// applied (nil when nothing was applied).
//
// A missing Secret or key holds back only what needs it: the Deployment
// and its config keep the last good input, so the running pods keep
// serving with a config and Secrets that agree, while every other child is
// applied (the Service's labels, the autoscaler, the budget) and the
// Deployment still follows spec.replicas. Status names each missing object.
func (r *RestProxyReconciler) reconcileChildren(ctx context.Context, rp *v1alpha1.RestProxy) (outcome, *appsv1.Deployment) {
	if rp.Annotations[v1alpha1.PausedAnnotation] == "true" {
		return outcome{paused: true}, nil
	}
	secretsErr := checkSecrets(ctx, r.APIReader, rp)
	if secretsErr != nil && !missingSecrets(secretsErr) {
		return outcome{err: secretsErr}, nil
	}
	desired, err := manifests.Build(manifests.Input{
		RestProxy:            rp.DeepCopy(),
		DefaultImage:         r.Proxies.Image,
		ImagePullSecrets:     localRefs(r.Proxies.ImagePullSecrets),
		ManagementNamespaces: r.Proxies.ManagementNamespaces,
		ServiceMonitorCRD:    r.served(manifests.ServiceMonitorGVK),
		PodMonitorCRD:        r.served(manifests.PodMonitorGVK),
		HTTPRouteCRD:         r.served(manifests.HTTPRouteGVK),
		CertificateCRD:       r.served(manifests.CertificateGVK),
	})
	if err != nil {
		return outcome{err: &reconcileError{ReasonBuildFailed, fmt.Errorf("build the objects of RestProxy %s: %w", rp.Name, err)}}, nil
	}
	reader := r.cache
	if reader == nil {
		reader = r.Client
	}
	a := &applier{client: r.Client, cache: reader, reader: r.APIReader, scheme: r.Scheme, types: r.types}
	// Nothing is applied while a name is taken: the children belong
	// together (the pods would run as someone else's ServiceAccount).
	if err := a.nameConflicts(ctx, rp, desired); err != nil {
		return outcome{err: err}, nil
	}
	held, err := r.holdRollout(ctx, rp, desired)
	if err != nil {
		return outcome{err: err}, nil
	}
	toApply := desired
	switch {
	case secretsErr != nil:
		toApply = withoutSecretDependents(desired)
	case held:
		toApply = withoutDeployment(desired)
	}
	dep, err := a.applyChildren(ctx, rp, toApply)
	if err != nil {
		return outcome{err: err}, nil
	}
	if secretsErr != nil || held {
		if dep, err = r.scaleDeployment(ctx, rp); err != nil {
			return outcome{err: err}, nil
		}
	}
	if err := a.pruneChildren(ctx, rp, desired, r.served); err != nil {
		return outcome{err: err}, dep
	}
	return outcome{err: secretsErr, upgradeHeld: held, manual: held && rp.Spec.UpgradePolicy == v1alpha1.UpgradePolicyManual,
		notInstalled: r.notInstalled(rp)}, dep
}

// notInstalled describes what rp asks for but the cluster cannot hold yet.
func (r *RestProxyReconciler) notInstalled(rp *v1alpha1.RestProxy) []string {
	var notes []string
	missing := func(field string, gvk schema.GroupVersionKind, from string) {
		notes = append(notes, fmt.Sprintf("%s is set, but the cluster does not serve %s %s (its CRD, from %s, is not installed): "+
			"the %s is created once it is, without a restart of the operator", field, gvk.Kind, gvk.GroupVersion(), from, gvk.Kind))
	}
	if m := rp.Spec.Metrics; m != nil && m.ServiceMonitor != nil && m.ServiceMonitor.Enabled && !r.served(manifests.ServiceMonitorGVK) {
		missing("spec.metrics.serviceMonitor.enabled", manifests.ServiceMonitorGVK, "the Prometheus operator")
	}
	if m := rp.Spec.Metrics; m != nil && m.PodMonitor != nil && m.PodMonitor.Enabled && !r.served(manifests.PodMonitorGVK) {
		missing("spec.metrics.podMonitor.enabled", manifests.PodMonitorGVK, "the Prometheus operator")
	}
	if e := rp.Spec.Expose; e != nil && e.HTTPRoute != nil && !r.served(manifests.HTTPRouteGVK) {
		missing("spec.expose.httpRoute", manifests.HTTPRouteGVK, "the Gateway API")
	}
	if e := rp.Spec.Expose; e != nil && e.Ingress != nil && e.Ingress.IssuerRef != nil && !r.served(manifests.CertificateGVK) {
		missing("spec.expose.ingress.issuerRef", manifests.CertificateGVK, "cert-manager")
	}
	return notes
}

func localRefs(names []string) []corev1.LocalObjectReference {
	var refs []corev1.LocalObjectReference
	for _, n := range names {
		refs = append(refs, corev1.LocalObjectReference{Name: n})
	}
	return refs
}

// served says whether the cluster serves gvk, as far as the set-up and
// lateKinds found out; before set-up, nothing.
func (r *RestProxyReconciler) served(gvk schema.GroupVersionKind) bool {
	return r.kinds != nil && r.kinds.has(gvk)
}

// observe gathers what status needs besides the RestProxy: the Deployment
// (from the cache when this reconcile did not apply it), URL and selector,
// and whether the Ingress's class exists.
func (r *RestProxyReconciler) observe(ctx context.Context, rp *v1alpha1.RestProxy, dep *appsv1.Deployment) (observation, error) {
	if dep == nil {
		dep = &appsv1.Deployment{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: rp.Name}, dep)
		switch {
		case apierrors.IsNotFound(err):
			dep = nil
		case err != nil:
			return observation{}, fmt.Errorf("read Deployment %s: %w", rp.Name, err)
		case !metav1.IsControlledBy(dep, rp):
			dep = nil // someone else's Deployment of the same name says nothing about us
		}
	}
	var problems string
	if dep != nil && !rolledOut(dep) {
		var err error
		if problems, err = readPodProblems(ctx, r.Client, rp); err != nil {
			return observation{}, err
		}
	}
	obs := observation{
		podProblems: problems,
		deployment:  dep,
		url:         manifests.URL(rp),
		selector:    labels.SelectorFromSet(manifests.SelectorLabels(rp)).String(),
	}
	var err error
	obs.missingIngressClass, err = r.missingIngressClass(ctx, rp)
	if r.reach != nil {
		obs.unreachableIssuer = r.reach.issuers.unreachable(ctx, rp)
		obs.unreachableRegistry = r.reach.registries.unreachable(ctx, rp)
	}
	return obs, err
}

// writeStatus writes status through the status subresource when it differs
// from what is stored, and then emits the events of its transitions. The
// merge patch carries the resourceVersion it was computed from, so a status
// computed from a stale cache is refused rather than stored, and each
// transition is announced once.
func (r *RestProxyReconciler) writeStatus(ctx context.Context, rp *v1alpha1.RestProxy, status v1alpha1.RestProxyStatus) error {
	if equality.Semantic.DeepEqual(rp.Status, status) {
		return nil
	}
	before := rp.Status
	patch := client.MergeFromWithOptions(rp.DeepCopy(), client.MergeFromWithOptimisticLock{})
	rp.Status = status
	if err := r.Client.Status().Patch(ctx, rp, patch); err != nil {
		return fmt.Errorf("write status of RestProxy %s: %w", rp.Name, err)
	}
	for _, e := range transitionEvents(&before, &status) {
		r.Recorder.Eventf(rp, nil, e.eventType, e.reason, e.action, "%s", e.note)
	}
	return nil
}

// retryable: trying again unchanged may succeed (an API error), unlike a
// missing Secret, whose watch brings the RestProxy back once it appears, or
// a spec the builders refuse.
func retryable(err error) bool {
	var re *reconcileError
	if !errors.As(err, &re) {
		return true
	}
	switch re.reason {
	case ReasonSecretNotFound, ReasonSecretKeyNotFound, ReasonBuildFailed, ReasonNameConflict:
		return false
	}
	return true
}

var _ reconcile.Reconciler = &RestProxyReconciler{}
