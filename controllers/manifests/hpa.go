package manifests

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// defaultTargetCPU is the CPU utilisation the autoscaler aims for when the
// spec sets no target at all.
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
			Metrics:     metrics(a),
			Behavior:    a.Behavior.DeepCopy(),
		},
	}
}

// Pods metrics of the proxy, as a metrics adapter serves its Prometheus
// gauges through the custom metrics API.
const (
	MetricActiveStreams   = "restproxy_active_streams"
	MetricInFlightRecords = "restproxy_in_flight_records"
)

// metrics are the autoscaler's targets, in a fixed order: CPU, memory,
// active streams, in-flight records.
func metrics(a *v1alpha1.AutoscalingSpec) []autoscalingv2.MetricSpec {
	var out []autoscalingv2.MetricSpec
	utilization := func(name corev1.ResourceName, percent int32) {
		out = append(out, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: name, Target: autoscalingv2.MetricTarget{
				Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptrTo(percent),
			}},
		})
	}
	perPod := func(name string, value *int32) {
		if value == nil {
			return
		}
		out = append(out, autoscalingv2.MetricSpec{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: name},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: resource.NewQuantity(int64(*value), resource.DecimalSI)},
			},
		})
	}
	if a.CPUTargeted() {
		target := defaultTargetCPU
		if a.TargetCPUUtilizationPercentage != nil {
			target = *a.TargetCPUUtilizationPercentage
		}
		utilization(corev1.ResourceCPU, target)
	}
	if a.TargetMemoryUtilizationPercentage != nil {
		utilization(corev1.ResourceMemory, *a.TargetMemoryUtilizationPercentage)
	}
	perPod(MetricActiveStreams, a.TargetActiveStreamsPerPod)
	perPod(MetricInFlightRecords, a.TargetInFlightRecordsPerPod)
	return out
}
