package manifests

import (
	"reflect"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestPodDisruptionBudget(t *testing.T) {
	tests := []struct {
		name        string
		replicas    *int32
		autoscaling *v1alpha1.AutoscalingSpec
		pdb         *v1alpha1.PodDisruptionBudgetSpec
		want        *intstr.IntOrString // nil: no budget
	}{
		{"one replica: none", ptrTo[int32](1), nil, nil, nil},
		{"replicas absent: none", nil, nil, nil, nil},
		{"two replicas: on by default", ptrTo[int32](2), nil, nil, ptrTo(intstr.FromInt32(1))},
		{"enabled unset, maxUnavailable set", ptrTo[int32](3), nil, &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptrTo(intstr.FromInt32(2))}, ptrTo(intstr.FromInt32(2))},
		{"disabled with many replicas", ptrTo[int32](5), nil, &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptrTo(false)}, nil},
		{"enabled with one replica", ptrTo[int32](1), nil, &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptrTo(true)}, ptrTo(intstr.FromInt32(1))},
		{"enabled, percentage", ptrTo[int32](4), nil, &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptrTo(true), MaxUnavailable: ptrTo(intstr.FromString("25%"))}, ptrTo(intstr.FromString("25%"))},
		// Under autoscaling the count the Deployment gets decides, as without.
		{"autoscaling, two replicas: on", ptrTo[int32](2), &v1alpha1.AutoscalingSpec{MaxReplicas: 5}, nil, ptrTo(intstr.FromInt32(1))},
		{"autoscaling scaled down to one: none", ptrTo[int32](1), &v1alpha1.AutoscalingSpec{MaxReplicas: 5}, nil, nil},
		{"autoscaling floor 2 lifts one replica: on", ptrTo[int32](1), &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](2), MaxReplicas: 5}, nil, ptrTo(intstr.FromInt32(1))},
		{"autoscaling ceiling 1 caps three replicas: none", ptrTo[int32](3), &v1alpha1.AutoscalingSpec{MaxReplicas: 1}, nil, nil},
		{"autoscaling, disabled with many replicas", ptrTo[int32](4), &v1alpha1.AutoscalingSpec{MaxReplicas: 5}, &v1alpha1.PodDisruptionBudgetSpec{Enabled: ptrTo(false)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Replicas, rp.Spec.Autoscaling, rp.Spec.PodDisruptionBudget = tt.replicas, tt.autoscaling, tt.pdb
			got := PodDisruptionBudget(input(rp))
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got a budget %+v; want none", got.Spec)
				}
				return
			}
			if got == nil {
				t.Fatalf("no budget; want one")
			}
			if got.APIVersion != "policy/v1" || got.Kind != "PodDisruptionBudget" || got.Name != "orders" || got.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", got.APIVersion, got.Kind, got.Namespace, got.Name)
			}
			if *got.Spec.MaxUnavailable != *tt.want {
				t.Errorf("maxUnavailable = %s; want %s", got.Spec.MaxUnavailable.String(), tt.want.String())
			}
			if p := got.Spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
				t.Errorf("unhealthyPodEvictionPolicy = %v; want AlwaysAllow", p)
			}
			if got.Spec.MinAvailable != nil {
				t.Errorf("minAvailable set; only one of the two may be")
			}
			if !reflect.DeepEqual(got.Spec.Selector.MatchLabels, SelectorLabels(rp)) {
				t.Errorf("selector = %v", got.Spec.Selector.MatchLabels)
			}
		})
	}
}
