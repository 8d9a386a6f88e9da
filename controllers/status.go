package controllers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// Condition reasons. They are part of the API: users and alerts match on them.
const (
	ReasonReconciled                = "Reconciled"
	ReasonPaused                    = "Paused"
	ReasonNotPaused                 = "NotPaused"
	ReasonSecretNotFound            = "SecretNotFound"
	ReasonSecretKeyNotFound         = "SecretKeyNotFound"
	ReasonSecretReadFailed          = "SecretReadFailed"
	ReasonBuildFailed               = "BuildFailed"
	ReasonApplyFailed               = "ApplyFailed"
	ReasonPruneFailed               = "PruneFailed"
	ReasonNameConflict              = "NameConflict"
	ReasonKindNotInstalled          = "KindNotInstalled"
	ReasonIngressClassNotFound      = "IngressClassNotFound"
	ReasonIssuerUnreachable         = "IssuerUnreachable"
	ReasonSchemaRegistryUnreachable = "SchemaRegistryUnreachable"
	ReasonUpgradeHeld               = "UpgradeHeld"
	ReasonReconcileFailed           = "ReconcileFailed"
	ReasonDeploymentNotFound        = "DeploymentNotFound"
	ReasonDeploymentAvailable       = "DeploymentAvailable"
	ReasonDeploymentUnavailable     = "DeploymentUnavailable"
	ReasonDeploymentStatusUnknown   = "DeploymentStatusUnknown"
	ReasonRolloutInProgress         = "RolloutInProgress"
	ReasonRolloutComplete           = "RolloutComplete"
	ReasonProgressDeadlineExceeded  = "ProgressDeadlineExceeded"
	ReasonReady                     = "Ready"
)

// outcome is what one reconcile did: the part of the status that does not
// come from observing objects.
type outcome struct {
	// paused: the paused annotation stopped the reconcile before it touched
	// any child.
	paused bool
	// err is why the children could not be brought to the spec; nil when
	// they were applied and pruned. A *reconcileError carries the condition
	// reason.
	err error
	// upgradeHeld: an operator upgrade changes the pods, and the
	// Deployment keeps its template until rolloutPace admits the RestProxy
	// (or, under upgradePolicy Manual, until the spec changes).
	upgradeHeld bool
	// manual: upgradeHeld is upgradePolicy Manual's doing.
	manual bool
	// notInstalled describes each object the spec asks for whose kind the
	// cluster does not serve (its CRD is not installed): everything else
	// was applied, and the object follows once the kind appears.
	notInstalled []string
}

// reconcileError is a failure with the condition reason users see for it.
type reconcileError struct {
	reason string
	err    error
}

func (e *reconcileError) Error() string { return e.err.Error() }
func (e *reconcileError) Unwrap() error { return e.err }

// reasonOf is the condition reason for a reconcile failure.
func reasonOf(err error) string {
	var re *reconcileError
	if errors.As(err, &re) {
		return re.reason
	}
	return ReasonReconcileFailed
}

// observation is what the reconciler saw of the world, besides the
// RestProxy itself.
type observation struct {
	// deployment is the proxy's Deployment as last read or applied; nil when
	// it does not exist.
	deployment *appsv1.Deployment
	// url is the produce API's in-cluster URL and selector the pods' label
	// selector in string form (for the scale subresource).
	url, selector string
	// podProblems says what keeps pods from running while a rollout is
	// not complete (podProblems); "" when nothing visible does.
	podProblems string
	// missingIngressClass says that the IngressClass the Ingress names
	// does not exist (missingIngressClass); "" when it does or none is named.
	missingIngressClass string
	// unreachableIssuer says that the JWT issuer the proxy fetches keys
	// from does not answer the operator (issuerChecks); "" when it does or
	// there is none to check.
	unreachableIssuer string
	// unreachableRegistry says that none of the Schema Registry URLs
	// answers the operator (registryChecks); "" when one does or there is
	// no registry.
	unreachableRegistry string
}

// computeStatus is the one place status is decided: a pure function of the
// RestProxy (its previous status keeps the conditions' transition times),
// what was observed, and what the reconcile did. now stamps the conditions
// that change status, and nothing else, so an unchanged world gives an
// identical status and no write.
func computeStatus(rp *v1alpha1.RestProxy, obs observation, out outcome, now metav1.Time) v1alpha1.RestProxyStatus {
	st := *rp.Status.DeepCopy()
	gen := rp.Generation
	dep := obs.deployment

	st.URL = obs.url
	st.Selector = obs.selector
	st.Replicas, st.ReadyReplicas, st.UpdatedReplicas = 0, 0, 0
	if dep != nil {
		st.Replicas = dep.Status.Replicas
		st.ReadyReplicas = dep.Status.ReadyReplicas
		st.UpdatedReplicas = dep.Status.UpdatedReplicas
		// During a rollout the pods run two versions: the last complete
		// one stands until every pod runs the new one.
		if rolledOut(dep) {
			st.ProxyVersion = manifests.ImageVersion(manifests.RunningImage(dep))
		}
	}

	set := func(c metav1.Condition) {
		c.ObservedGeneration = gen
		c.LastTransitionTime = now
		meta.SetStatusCondition(&st.Conditions, c)
	}
	set(pausedCondition(out))
	if !out.paused {
		// While paused nothing was attempted, so the last verdict on whether
		// the spec can be brought about stands.
		set(degradedCondition(out, obs))
	}
	set(availableCondition(dep))
	set(heldUpgrade(progressingCondition(dep, obs.podProblems), out))
	set(readyCondition(out, dep, obs))

	if !out.paused && out.err == nil {
		st.ObservedGeneration = gen
	}
	return st
}

func pausedCondition(out outcome) metav1.Condition {
	if out.paused {
		return metav1.Condition{Type: v1alpha1.ConditionPaused, Status: metav1.ConditionTrue, Reason: ReasonPaused,
			Message: fmt.Sprintf("annotation %s is \"true\": the operator changes nothing that belongs to this RestProxy", v1alpha1.PausedAnnotation)}
	}
	return metav1.Condition{Type: v1alpha1.ConditionPaused, Status: metav1.ConditionFalse, Reason: ReasonNotPaused,
		Message: "the operator reconciles this RestProxy"}
}

// degradedCondition: a failure, else what the spec asks for but the cluster
// lacks (a kind, the Ingress's class) or cannot reach (the JWT issuer,
// the Schema Registry):
// everything else was applied. The reason is that of the first such note.
func degradedCondition(out outcome, obs observation) metav1.Condition {
	if out.err != nil {
		return metav1.Condition{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: reasonOf(out.err), Message: out.err.Error()}
	}
	notes := slices.Clone(out.notInstalled)
	reason := ReasonKindNotInstalled
	for _, n := range []struct{ reason, note string }{
		{ReasonIngressClassNotFound, obs.missingIngressClass},
		{ReasonIssuerUnreachable, obs.unreachableIssuer},
		{ReasonSchemaRegistryUnreachable, obs.unreachableRegistry},
	} {
		if n.note == "" {
			continue
		}
		if len(notes) == 0 {
			reason = n.reason
		}
		notes = append(notes, n.note)
	}
	if len(notes) > 0 {
		return metav1.Condition{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: reason, Message: strings.Join(notes, "; ")}
	}
	return metav1.Condition{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionFalse, Reason: ReasonReconciled,
		Message: "every object of the RestProxy matches its spec"}
}

func availableCondition(dep *appsv1.Deployment) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionAvailable}
	if dep == nil {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonDeploymentNotFound, "the proxy's Deployment does not exist"
		return c
	}
	dc := deploymentCondition(dep, appsv1.DeploymentAvailable)
	switch {
	case dc == nil:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, ReasonDeploymentStatusUnknown, "the Deployment reports no availability yet"
	case dc.Status == corev1.ConditionTrue:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonDeploymentAvailable, dc.Message
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonDeploymentUnavailable, dc.Message
	}
	if c.Message == "" {
		c.Message = fmt.Sprintf("%d of %d pods available", dep.Status.AvailableReplicas, desiredReplicas(dep))
	}
	return c
}

func progressingCondition(dep *appsv1.Deployment, problems string) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionProgressing}
	switch {
	case dep == nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonDeploymentNotFound, "the proxy's Deployment does not exist"
	case stalled(dep):
		c.Status, c.Reason = metav1.ConditionFalse, ReasonProgressDeadlineExceeded
		c.Message = withPodProblems(deploymentCondition(dep, appsv1.DeploymentProgressing).Message, problems)
	case rolledOut(dep):
		c.Status, c.Reason = metav1.ConditionFalse, ReasonRolloutComplete
		c.Message = fmt.Sprintf("%d of %d pods run the current template", dep.Status.UpdatedReplicas, desiredReplicas(dep))
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonRolloutInProgress, withPodProblems(rolloutProgress(dep), problems)
	}
	return c
}

// heldUpgrade says on a settled Progressing condition that an operator
// upgrade waits to roll the pods, and why.
func heldUpgrade(c metav1.Condition, out outcome) metav1.Condition {
	if !out.upgradeHeld || c.Reason != ReasonRolloutComplete {
		return c
	}
	c.Reason = ReasonUpgradeHeld
	c.Message = "an upgrade of the operator changes the pods; they roll when a slot frees up (--max-concurrent-rollouts)"
	if out.manual {
		c.Message = "an upgrade of the operator changes the pods; spec.upgradePolicy is Manual, so they roll with the next change of the spec"
	}
	return c
}

// withPodProblems adds to a rollout's message what keeps its pods back.
func withPodProblems(msg, problems string) string {
	if problems == "" {
		return msg
	}
	return msg + "; pods: " + problems
}

// readyCondition summarises: the spec was brought about and every desired
// pod of the current template is available. A Schema Registry that cannot
// be reached leaves it True, since the pods serve every record that needs
// no uncached schema, and its message says so (README "Schema Registry").
func readyCondition(out outcome, dep *appsv1.Deployment, obs observation) metav1.Condition {
	url, problems := obs.url, obs.podProblems
	c := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case out.paused:
		c.Reason, c.Message = ReasonPaused, "reconciling is paused by annotation "+v1alpha1.PausedAnnotation
	case out.err != nil:
		c.Reason, c.Message = reasonOf(out.err), out.err.Error()
	case dep == nil:
		c.Reason, c.Message = ReasonDeploymentNotFound, "the proxy's Deployment does not exist"
	case stalled(dep):
		c.Reason, c.Message = ReasonProgressDeadlineExceeded, withPodProblems(deploymentCondition(dep, appsv1.DeploymentProgressing).Message, problems)
	case !rolledOut(dep):
		c.Reason, c.Message = ReasonRolloutInProgress, withPodProblems(rolloutProgress(dep), problems)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, ReasonReady
		c.Message = fmt.Sprintf("%d of %d pods ready, serving at %s", dep.Status.ReadyReplicas, desiredReplicas(dep), url)
		if obs.unreachableRegistry != "" {
			c.Message += "; " + obs.unreachableRegistry
		}
	}
	return c
}

// rolledOut: the Deployment controller has seen the current spec and every
// desired pod runs the current template and is available, with no old pod
// left.
func rolledOut(dep *appsv1.Deployment) bool {
	want := desiredReplicas(dep)
	s := dep.Status
	return s.ObservedGeneration >= dep.Generation &&
		s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want
}

func stalled(dep *appsv1.Deployment) bool {
	dc := deploymentCondition(dep, appsv1.DeploymentProgressing)
	return dc != nil && dc.Status == corev1.ConditionFalse && dc.Reason == "ProgressDeadlineExceeded"
}

func rolloutProgress(dep *appsv1.Deployment) string {
	if dep.Status.ObservedGeneration < dep.Generation {
		return "the Deployment controller has not yet seen the current pod template"
	}
	return fmt.Sprintf("%d of %d pods updated, %d available, %d in total",
		dep.Status.UpdatedReplicas, desiredReplicas(dep), dep.Status.AvailableReplicas, dep.Status.Replicas)
}

func desiredReplicas(dep *appsv1.Deployment) int32 {
	if dep.Spec.Replicas == nil {
		return 1 // the API server's default
	}
	return *dep.Spec.Replicas
}

func deploymentCondition(dep *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range dep.Status.Conditions {
		if dep.Status.Conditions[i].Type == t {
			return &dep.Status.Conditions[i]
		}
	}
	return nil
}
