package manifests

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// defaultTargetCPU is the CPU utilisation the autoscaler aims for when the
// spec does not say (the CRD defaults it too).
const defaultTargetCPU int32 = 80

// HorizontalPodAutoscaler scales the RestProxy, or is nil without
// spec.autoscaling. Its target is the RestProxy's scale subresource, never the
// Deployment: the operator owns the Deployment's replicas, and an HPA writing
// them too would fight it on every reconcile.
func HorizontalPodAutoscaler(in Input) *autoscalingv2.HorizontalPodAutoscaler {
	rp := in.RestProxy
	a := rp.Spec.Autoscaling
	if a == nil {
		return nil
	}
	target := defaultTargetCPU
	if a.TargetCPUUtilizationPercentage != nil {
		target = *a.TargetCPUUtilizationPercentage
	}
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: objectMeta(rp, rp.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: v1alpha1.GroupVersion.String(),
				Kind:       "RestProxy",
				Name:       rp.Name,
			},
			MinReplicas: ptrTo(minReplicas(a)),
			MaxReplicas: max(a.MaxReplicas, minReplicas(a)),
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{
						Type:               autoscalingv2.UtilizationMetricType,
						AverageUtilization: &target,
					},
				},
			}},
		},
	}
}
