package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// maxPodProblems is how many distinct pod problems a condition message
// lists; the rest are counted.
const maxPodProblems = 3

// podProblem says in a few words what keeps pod from running and being
// ready, as kubectl describe would show it; "" when nothing visible does
// (it is starting, or fine).
func podProblem(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return "Unschedulable: " + firstLine(c.Message)
		}
	}
	statuses := slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses)
	for _, cs := range statuses {
		w := cs.State.Waiting
		if w == nil || w.Reason == "" || w.Reason == "ContainerCreating" || w.Reason == "PodInitializing" {
			continue
		}
		switch w.Reason {
		case "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull":
			return fmt.Sprintf("%s on image %s", w.Reason, cs.Image)
		case "CrashLoopBackOff":
			msg := fmt.Sprintf("CrashLoopBackOff: container %s restarted %d times", cs.Name, cs.RestartCount)
			if t := cs.LastTerminationState.Terminated; t != nil {
				msg += fmt.Sprintf(", last exit code %d", t.ExitCode)
				// The proxy's last log line, as the container's
				// terminationMessagePolicy FallbackToLogsOnError keeps it.
				if m := firstLine(t.Message); m != "" {
					msg += ": " + m
				}
			}
			return msg
		default:
			if m := firstLine(w.Message); m != "" {
				return fmt.Sprintf("%s: container %s: %s", w.Reason, cs.Name, m)
			}
			return fmt.Sprintf("%s: container %s", w.Reason, cs.Name)
		}
	}
	return ""
}

// podProblems lists the distinct problems of pods, sorted, at most
// maxPodProblems of them and a count of the rest; "" when none has one.
func podProblems(pods []corev1.Pod) string {
	var problems []string
	for i := range pods {
		if p := podProblem(&pods[i]); p != "" && !slices.Contains(problems, p) {
			problems = append(problems, p)
		}
	}
	slices.Sort(problems)
	if len(problems) > maxPodProblems {
		more := len(problems) - maxPodProblems
		problems = append(problems[:maxPodProblems], fmt.Sprintf("and %d more", more))
	}
	return strings.Join(problems, "; ")
}

// firstLine is the first line of s, at most 200 bytes: enough to name a
// cause, short enough for a condition message.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// readPodProblems summarises the problems of rp's pods, read from the
// cache (which holds only the operator's labelled pods).
func readPodProblems(ctx context.Context, c client.Reader, rp *v1alpha1.RestProxy) (string, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(rp.Namespace), client.MatchingLabels(manifests.SelectorLabels(rp))); err != nil {
		return "", fmt.Errorf("list pods of RestProxy %s: %w", rp.Name, err)
	}
	return podProblems(pods.Items), nil
}

// podProblemChanged passes a pod event only when what podProblem says of
// it changes: pods change status often, and only that reaches status.
var podProblemChanged = predicate.Funcs{
	CreateFunc:  func(e ctrlevent.CreateEvent) bool { return podProblem(e.Object.(*corev1.Pod)) != "" },
	DeleteFunc:  func(ctrlevent.DeleteEvent) bool { return true },
	GenericFunc: func(ctrlevent.GenericEvent) bool { return false },
	UpdateFunc: func(e ctrlevent.UpdateEvent) bool {
		return podProblem(e.ObjectOld.(*corev1.Pod)) != podProblem(e.ObjectNew.(*corev1.Pod))
	},
}

// restProxyOfPod maps a proxy pod to its RestProxy by its instance label.
func restProxyOfPod(_ context.Context, pod client.Object) []reconcile.Request {
	name := pod.GetLabels()[manifests.InstanceLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: pod.GetNamespace(), Name: name}}}
}
