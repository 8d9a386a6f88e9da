package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// event is one Kubernetes Event about a RestProxy.
type event struct {
	eventType, reason, action, note string
}

// transitionEvents lists the events a status change is worth: only
// transitions, so a reconcile that changes nothing says nothing. It is pure;
// the reconciler emits the events once the new status is written.
func transitionEvents(before, after *v1alpha1.RestProxyStatus) []event {
	var evs []event
	if before.ObservedGeneration == 0 && after.ObservedGeneration != 0 {
		evs = append(evs, event{corev1.EventTypeNormal, "Created", "Apply", "created the proxy's objects"})
	}
	if became(before, after, v1alpha1.ConditionPaused, metav1.ConditionTrue) {
		evs = append(evs, event{corev1.EventTypeNormal, "Paused", "Reconcile", "reconciling paused by annotation " + v1alpha1.PausedAnnotation})
	}
	if left(before, after, v1alpha1.ConditionPaused, metav1.ConditionTrue) {
		evs = append(evs, event{corev1.EventTypeNormal, "Resumed", "Reconcile", "reconciling resumed"})
	}
	if c := meta.FindStatusCondition(after.Conditions, v1alpha1.ConditionDegraded); c != nil {
		old := meta.FindStatusCondition(before.Conditions, v1alpha1.ConditionDegraded)
		switch {
		case c.Status == metav1.ConditionTrue && (old == nil || old.Status != c.Status || old.Reason != c.Reason):
			// A new reason is a new problem (the Secret now exists but lacks the key).
			evs = append(evs, event{corev1.EventTypeWarning, c.Reason, "Reconcile", c.Message})
		case c.Status != metav1.ConditionTrue && old != nil && old.Status == metav1.ConditionTrue:
			evs = append(evs, event{corev1.EventTypeNormal, "Recovered", "Reconcile", "the spec is brought about again"})
		}
	}
	if became(before, after, v1alpha1.ConditionReady, metav1.ConditionTrue) {
		c := meta.FindStatusCondition(after.Conditions, v1alpha1.ConditionReady)
		evs = append(evs, event{corev1.EventTypeNormal, "Ready", "Reconcile", c.Message})
	}
	return evs
}

// became: condition t has status s after and had not before.
func became(before, after *v1alpha1.RestProxyStatus, t string, s metav1.ConditionStatus) bool {
	return hasStatus(after, t, s) && !hasStatus(before, t, s)
}

// left: condition t had status s before and has not after.
func left(before, after *v1alpha1.RestProxyStatus, t string, s metav1.ConditionStatus) bool {
	return hasStatus(before, t, s) && !hasStatus(after, t, s)
}

func hasStatus(st *v1alpha1.RestProxyStatus, t string, s metav1.ConditionStatus) bool {
	c := meta.FindStatusCondition(st.Conditions, t)
	return c != nil && c.Status == s
}
