package controllers

import (
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// deployment is a Deployment of want replicas at generation 2 whose status
// the options then shape.
func deployment(want int32, opts ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 2},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(want)},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// rolled is a Deployment status where the rollout is done: every pod
// updated, ready and available.
func rolled(d *appsv1.Deployment) {
	n := *d.Spec.Replicas
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Message: "Deployment has minimum availability."}},
	}
}

func TestComputeStatus(t *testing.T) {
	missing := &reconcileError{ReasonSecretNotFound, errors.New(`Secret "creds" (namespace ns) referenced by the RestProxy does not exist`)}
	tests := []struct {
		name string
		dep  *appsv1.Deployment
		out  outcome
		// want: condition type → status and reason.
		want               map[string]string
		observedGeneration int64
		readyReplicas      int32
	}{
		{
			name: "rolled out and available is ready",
			dep:  deployment(2, rolled),
			want: map[string]string{
				"Ready": "True/Ready", "Available": "True/DeploymentAvailable", "Progressing": "False/RolloutComplete",
				"Degraded": "False/Reconciled", "Paused": "False/NotPaused",
			},
			observedGeneration: 3, readyReplicas: 2,
		},
		{
			name: "just applied: the Deployment controller has not answered",
			dep:  deployment(1),
			want: map[string]string{
				"Ready": "False/RolloutInProgress", "Available": "Unknown/DeploymentStatusUnknown", "Progressing": "True/RolloutInProgress",
				"Degraded": "False/Reconciled",
			},
			observedGeneration: 3,
		},
		{
			name: "new template half rolled out",
			dep: deployment(2, rolled, func(d *appsv1.Deployment) {
				d.Status.UpdatedReplicas, d.Status.Replicas = 1, 3
			}),
			want:               map[string]string{"Ready": "False/RolloutInProgress", "Available": "True/DeploymentAvailable", "Progressing": "True/RolloutInProgress"},
			observedGeneration: 3, readyReplicas: 2,
		},
		{
			name:               "Deployment controller behind the spec",
			dep:                deployment(2, rolled, func(d *appsv1.Deployment) { d.Status.ObservedGeneration = 1 }),
			want:               map[string]string{"Ready": "False/RolloutInProgress", "Progressing": "True/RolloutInProgress"},
			observedGeneration: 3, readyReplicas: 2,
		},
		{
			name: "stalled rollout",
			dep: deployment(1, rolled, func(d *appsv1.Deployment) {
				d.Status.UpdatedReplicas = 0
				d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
					Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "ReplicaSet p-1 has timed out progressing."})
			}),
			want:               map[string]string{"Ready": "False/ProgressDeadlineExceeded", "Progressing": "False/ProgressDeadlineExceeded"},
			observedGeneration: 3, readyReplicas: 1,
		},
		{
			name: "unavailable",
			dep: deployment(1, rolled, func(d *appsv1.Deployment) {
				d.Status.Conditions[0].Status = corev1.ConditionFalse
			}),
			want:               map[string]string{"Available": "False/DeploymentUnavailable"},
			observedGeneration: 3, readyReplicas: 1,
		},
		{
			name: "missing Secret: degraded, not ready, generation not observed",
			dep:  deployment(1, rolled),
			out:  outcome{err: missing},
			want: map[string]string{
				"Ready": "False/SecretNotFound", "Degraded": "True/SecretNotFound", "Available": "True/DeploymentAvailable",
			},
			observedGeneration: 1, readyReplicas: 1,
		},
		{
			name: "missing Secret before any Deployment",
			out:  outcome{err: missing},
			want: map[string]string{
				"Ready": "False/SecretNotFound", "Available": "False/DeploymentNotFound", "Progressing": "False/DeploymentNotFound",
			},
			observedGeneration: 1,
		},
		{
			name:               "an error without a reason is a generic failure",
			dep:                deployment(1, rolled),
			out:                outcome{err: errors.New("etcd went away")},
			want:               map[string]string{"Ready": "False/ReconcileFailed", "Degraded": "True/ReconcileFailed"},
			observedGeneration: 1, readyReplicas: 1,
		},
		{
			name:               "paused keeps the last Degraded verdict and generation",
			dep:                deployment(1, rolled),
			out:                outcome{paused: true},
			want:               map[string]string{"Paused": "True/Paused", "Ready": "False/Paused", "Degraded": "True/SecretNotFound"},
			observedGeneration: 1, readyReplicas: 1,
		},
		{
			name:               "zero replicas rolled out is ready",
			dep:                deployment(0, rolled),
			want:               map[string]string{"Ready": "True/Ready"},
			observedGeneration: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Generation: 3}}
			rp.Status.ObservedGeneration = 1
			rp.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionTrue, Reason: ReasonSecretNotFound, ObservedGeneration: 1}}
			obs := observation{deployment: tt.dep, url: "http://p.ns.svc:8082", selector: "app=x"}
			got := computeStatus(rp, obs, tt.out, metav1.Now())

			for typ, want := range tt.want {
				c := meta.FindStatusCondition(got.Conditions, typ)
				if c == nil {
					t.Errorf("condition %s missing; got %+v", typ, got.Conditions)
					continue
				}
				if g := string(c.Status) + "/" + c.Reason; g != want {
					t.Errorf("condition %s = %s (%q), want %s", typ, g, c.Message, want)
				}
				if c.ObservedGeneration != 3 && typ != v1alpha1.ConditionDegraded {
					t.Errorf("condition %s observedGeneration = %d, want 3", typ, c.ObservedGeneration)
				}
			}
			if got.ObservedGeneration != tt.observedGeneration {
				t.Errorf("observedGeneration = %d, want %d", got.ObservedGeneration, tt.observedGeneration)
			}
			if got.ReadyReplicas != tt.readyReplicas {
				t.Errorf("readyReplicas = %d, want %d", got.ReadyReplicas, tt.readyReplicas)
			}
			if got.URL != obs.url || got.Selector != obs.selector {
				t.Errorf("url, selector = %q, %q; want %q, %q", got.URL, got.Selector, obs.url, obs.selector)
			}
		})
	}
}

// TestComputeStatusIsStable proves the property "no write when unchanged"
// rests on: computing the status again from its own result, later, gives
// the same status, transition times included.
func TestComputeStatusIsStable(t *testing.T) {
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Generation: 1}}
	obs := observation{deployment: deployment(1, rolled), url: "http://p.ns.svc:8082"}
	first := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rp.Status = computeStatus(rp, obs, outcome{}, first)

	again := computeStatus(rp, obs, outcome{}, metav1.NewTime(first.Add(time.Hour)))
	for _, c := range again.Conditions {
		if !c.LastTransitionTime.Equal(&first) {
			t.Errorf("condition %s lastTransitionTime = %v, want the first %v", c.Type, c.LastTransitionTime, first)
		}
	}
	if len(again.Conditions) != 5 {
		t.Errorf("got %d conditions, want 5 (Paused, Degraded, Available, Progressing, Ready)", len(again.Conditions))
	}

	// A transition moves only the condition that changed.
	later := metav1.NewTime(first.Add(2 * time.Hour))
	paused := computeStatus(rp, obs, outcome{paused: true}, later)
	for _, c := range paused.Conditions {
		changed := c.Type == v1alpha1.ConditionPaused || c.Type == v1alpha1.ConditionReady
		if got := c.LastTransitionTime.Equal(&later); got != changed {
			t.Errorf("condition %s lastTransitionTime = %v; moved = %v, want %v", c.Type, c.LastTransitionTime, got, changed)
		}
	}
}

func TestTransitionEvents(t *testing.T) {
	cond := func(typ string, s metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: typ + " " + reason}
	}
	status := func(gen int64, cs ...metav1.Condition) *v1alpha1.RestProxyStatus {
		return &v1alpha1.RestProxyStatus{ObservedGeneration: gen, Conditions: cs}
	}
	notReady := cond("Ready", metav1.ConditionFalse, "RolloutInProgress")
	ready := cond("Ready", metav1.ConditionTrue, "Ready")
	healthy := cond("Degraded", metav1.ConditionFalse, "Reconciled")
	noSecret := cond("Degraded", metav1.ConditionTrue, ReasonSecretNotFound)
	noKey := cond("Degraded", metav1.ConditionTrue, ReasonSecretKeyNotFound)
	tests := []struct {
		name          string
		before, after *v1alpha1.RestProxyStatus
		want          string // reasons, comma-separated
	}{
		{"first successful reconcile", status(0), status(1, healthy, notReady), "Created"},
		{"nothing changed", status(1, healthy, ready), status(1, healthy, ready), ""},
		{"became ready", status(1, healthy, notReady), status(1, healthy, ready), "Ready"},
		{"Secret went missing", status(1, healthy, ready), status(1, noSecret, notReady), "SecretNotFound"},
		{"still missing", status(1, noSecret), status(1, noSecret), ""},
		{"a different problem", status(1, noSecret), status(1, noKey), "SecretKeyNotFound"},
		{"recovered", status(1, noSecret, notReady), status(2, healthy, notReady), "Recovered"},
		{"missing from the start", status(0), status(0, noSecret), "SecretNotFound"},
		{"paused", status(1, cond("Paused", metav1.ConditionFalse, "NotPaused")), status(1, cond("Paused", metav1.ConditionTrue, "Paused")), "Paused"},
		{"resumed", status(1, cond("Paused", metav1.ConditionTrue, "Paused")), status(1, cond("Paused", metav1.ConditionFalse, "NotPaused")), "Resumed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reasons []string
			for _, e := range transitionEvents(tt.before, tt.after) {
				reasons = append(reasons, e.reason)
				if e.note == "" {
					t.Errorf("event %s has no note", e.reason)
				}
			}
			if got := strings.Join(reasons, ","); got != tt.want {
				t.Errorf("events %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&reconcileError{ReasonSecretNotFound, errors.New("x")}, false},
		{&reconcileError{ReasonSecretKeyNotFound, errors.New("x")}, false},
		{&reconcileError{ReasonBuildFailed, errors.New("x")}, false},
		{&reconcileError{ReasonApplyFailed, errors.New("x")}, true},
		{errors.New("connection refused"), true},
	} {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%s: %v) = %v, want %v", reasonOf(tt.err), tt.err, got, tt.want)
		}
	}
}
