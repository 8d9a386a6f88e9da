package manifests

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PodDisruptionBudget keeps node drains from taking every proxy pod at once,
// or nil when there is none to have. Unless spec.podDisruptionBudget.enabled
// says, a budget exists when the Deployment is asked for more than one pod
// (Replicas: spec.replicas, which the autoscaler writes, within its bounds):
// the design's "on when replicas > 1", read the same with or without
// autoscaling, so replicas: 2 always has a budget. Under an autoscaler whose
// floor is 1 the budget follows its scaling between one pod and more; that
// costs nothing, since with one pod the default maxUnavailable of 1 would
// allow the eviction anyway.
func PodDisruptionBudget(in Input) *policyv1.PodDisruptionBudget {
	rp := in.RestProxy
	spec := rp.Spec.PodDisruptionBudget
	if !pdbEnabled(in) {
		return nil
	}
	maxUnavailable := intstr.FromInt32(1)
	// A pod that is not ready serves nothing, so evicting it costs nothing;
	// counting it would let one crash-looping pod block every node drain.
	alwaysAllow := policyv1.AlwaysAllow
	if spec != nil && spec.MaxUnavailable != nil {
		maxUnavailable = *spec.MaxUnavailable
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: objectMeta(rp, rp.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable:             &maxUnavailable,
			Selector:                   &metav1.LabelSelector{MatchLabels: SelectorLabels(rp)},
			UnhealthyPodEvictionPolicy: &alwaysAllow,
		},
	}
}

func pdbEnabled(in Input) bool {
	rp := in.RestProxy
	if spec := rp.Spec.PodDisruptionBudget; spec != nil && spec.Enabled != nil {
		return *spec.Enabled
	}
	return Replicas(rp) > 1
}
