package controllers

import (
	"context"
	"fmt"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// TestAutoscalingBeyondCPU: memory and the proxy's active streams as
// targets, with a scale-down window, reach an HPA the API server accepts;
// CPU is no target when others are and none is asked for.
func TestAutoscalingBeyondCPU(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}
		rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 6,
			TargetMemoryUtilizationPercentage: ptr.To[int32](75), TargetActiveStreamsPerPod: ptr.To[int32](200),
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](900)}}}
	})
	create(t, rp)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{}
	eventually(t, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(rp), hpa); err != nil {
			return err
		}
		m := hpa.Spec.Metrics
		if len(m) != 2 || m[0].Resource == nil || m[0].Resource.Name != corev1.ResourceMemory ||
			m[1].Pods == nil || m[1].Pods.Metric.Name != manifests.MetricActiveStreams || m[1].Pods.Target.AverageValue.Value() != 200 {
			return fmt.Errorf("HPA metrics %+v, want memory 75%% and %s 200 per pod", m, manifests.MetricActiveStreams)
		}
		if b := hpa.Spec.Behavior; b == nil || b.ScaleDown == nil || ptr.Deref(b.ScaleDown.StabilizationWindowSeconds, 0) != 900 {
			return fmt.Errorf("HPA behavior %+v, want a 900 s scale-down window", b)
		}
		return nil
	})
}
