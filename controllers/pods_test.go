package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

func waiting(reason, message string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "proxy", Image: "reg/restproxy:v9",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}
}

func TestPodProblem(t *testing.T) {
	crashing := waiting("CrashLoopBackOff", "back-off 40s restarting failed container")
	crashing.RestartCount = 4
	crashing.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1,
		Message: "config /etc/restproxy/config/restproxy.yaml: kafka.clientId: must not be empty\nmore"}
	tests := []struct {
		name string
		pod  corev1.Pod
		want string
	}{
		{"running", corev1.Pod{}, ""},
		{"starting", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ContainerCreating", "")}}}, ""},
		{"unschedulable", corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: "0/3 nodes are available: 3 Insufficient cpu.",
		}}}}, "Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."},
		{"image pull", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ImagePullBackOff", "Back-off pulling image")}}},
			"ImagePullBackOff on image reg/restproxy:v9"},
		{"crash loop", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{crashing}}},
			"CrashLoopBackOff: container proxy restarted 4 times, last exit code 1: config /etc/restproxy/config/restproxy.yaml: kafka.clientId: must not be empty"},
		{"config error", corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("CreateContainerConfigError", `secret "x" not found`)}}},
			`CreateContainerConfigError: container proxy: secret "x" not found`},
	}
	for _, tt := range tests {
		if got := podProblem(&tt.pod); got != tt.want {
			t.Errorf("%s: podProblem = %q, want %q", tt.name, got, tt.want)
		}
	}

	pull := corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ImagePullBackOff", "")}}}
	var many []corev1.Pod
	for _, reason := range []string{"A", "B", "C", "D", "E"} {
		many = append(many, corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting(reason, "")}}})
	}
	if got := podProblems([]corev1.Pod{pull, pull, {}}); got != "ImagePullBackOff on image reg/restproxy:v9" {
		t.Errorf("podProblems of two alike = %q, want it once", got)
	}
	if got := podProblems(many); got != "A: container proxy; B: container proxy; C: container proxy; and 2 more" {
		t.Errorf("podProblems of five = %q", got)
	}
}

// TestStuckRolloutNamesThePodsProblem: the Deployment gets the progress
// deadline (default 180 s), and what keeps a pod from running reaches the
// Progressing and Ready messages, in envtest from a pod whose status the
// test writes as the kubelet would.
func TestStuckRolloutNamesThePodsProblem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p")
	create(t, rp)
	dep := waitDeployment(t, rp, nil)
	if got := ptr.Deref(dep.Spec.ProgressDeadlineSeconds, 0); got != 180 {
		t.Errorf("progressDeadlineSeconds %d, want the default 180", got)
	}

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p-abc12", Labels: dep.Spec.Template.Labels},
		Spec:       *dep.Spec.Template.Spec.DeepCopy(),
	}
	create(t, pod)
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: manifests.ContainerName, Image: testImage,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}},
	}}
	if err := k8s.Status().Update(ctx, pod); err != nil {
		t.Fatalf("write pod status: %v", err)
	}
	want := "ImagePullBackOff on image " + testImage
	eventually(t, func() error {
		got := &v1alpha1.RestProxy{}
		get(t, client.ObjectKeyFromObject(rp), got)
		for _, typ := range []string{v1alpha1.ConditionProgressing, v1alpha1.ConditionReady} {
			if c := meta.FindStatusCondition(got.Status.Conditions, typ); c == nil || !strings.Contains(c.Message, want) {
				return fmt.Errorf("condition %s = %+v, want its message to name %q", typ, c, want)
			}
		}
		return nil
	})

	patch(t, rp, func(rp *v1alpha1.RestProxy) { rp.Spec.ProgressDeadlineSeconds = ptr.To[int32](60) })
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if got := ptr.Deref(dep.Spec.ProgressDeadlineSeconds, 0); got != 60 {
			return fmt.Errorf("progressDeadlineSeconds %d, want the spec's 60", got)
		}
		return nil
	})
}

// TestStalledRolloutMessageNamesPodProblems: past the progress deadline,
// Progressing and Ready say why, not only that.
func TestStalledRolloutMessageNamesPodProblems(t *testing.T) {
	dep := deployment(1, rolled, func(d *appsv1.Deployment) {
		d.Status.UpdatedReplicas = 0
		d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "ReplicaSet p-1 has timed out progressing."})
	})
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 1}}
	st := computeStatus(rp, observation{deployment: dep, podProblems: "Unschedulable: 0/3 nodes are available"}, outcome{}, metav1.Now())
	for _, typ := range []string{v1alpha1.ConditionProgressing, v1alpha1.ConditionReady} {
		c := meta.FindStatusCondition(st.Conditions, typ)
		if c == nil || c.Reason != ReasonProgressDeadlineExceeded ||
			c.Message != "ReplicaSet p-1 has timed out progressing.; pods: Unschedulable: 0/3 nodes are available" {
			t.Errorf("condition %s = %+v", typ, c)
		}
	}
}
