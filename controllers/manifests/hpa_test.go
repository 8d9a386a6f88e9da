package manifests

import (
	"fmt"
	"reflect"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestHorizontalPodAutoscaler(t *testing.T) {
	tests := []struct {
		name                string
		autoscaling         *v1alpha1.AutoscalingSpec
		wantMin, wantMax    int32
		wantCPU             int32
		wantNoAutoscalerObj bool
	}{
		{"absent", nil, 0, 0, 0, true},
		{"defaults", &v1alpha1.AutoscalingSpec{MaxReplicas: 4}, 1, 4, 80, false},
		{"all set", &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](2), MaxReplicas: 10, TargetCPUUtilizationPercentage: ptrTo[int32](60)}, 2, 10, 60, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Autoscaling = tt.autoscaling
			h := HorizontalPodAutoscaler(input(rp))
			if tt.wantNoAutoscalerObj {
				if h != nil {
					t.Fatalf("got an HPA without spec.autoscaling")
				}
				return
			}
			if h == nil {
				t.Fatalf("no HPA")
			}
			if h.APIVersion != "autoscaling/v2" || h.Kind != "HorizontalPodAutoscaler" || h.Name != "orders" || h.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", h.APIVersion, h.Kind, h.Namespace, h.Name)
			}
			ref := h.Spec.ScaleTargetRef
			want := autoscalingv2.CrossVersionObjectReference{APIVersion: "kafka.restproxy.dev/v1alpha1", Kind: "RestProxy", Name: "orders"}
			if ref != want {
				t.Errorf("scaleTargetRef = %+v; want the RestProxy %+v", ref, want)
			}
			if *h.Spec.MinReplicas != tt.wantMin || h.Spec.MaxReplicas != tt.wantMax {
				t.Errorf("min/max = %d/%d; want %d/%d", *h.Spec.MinReplicas, h.Spec.MaxReplicas, tt.wantMin, tt.wantMax)
			}
			if len(h.Spec.Metrics) != 1 || h.Spec.Behavior != nil {
				t.Fatalf("metrics = %+v; want one CPU metric", h.Spec.Metrics)
			}
			m := h.Spec.Metrics[0]
			if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource.Name != corev1.ResourceCPU ||
				m.Resource.Target.Type != autoscalingv2.UtilizationMetricType || *m.Resource.Target.AverageUtilization != tt.wantCPU {
				t.Errorf("metric = %+v target %+v; want CPU utilization %d", m.Resource, m.Resource.Target, tt.wantCPU)
			}
		})
	}
}

// TestHorizontalPodAutoscalerTargets: memory and the proxy's pods metrics
// join CPU, which stays the target only when set or alone, and behavior
// is passed on.
func TestHorizontalPodAutoscalerTargets(t *testing.T) {
	h := HorizontalPodAutoscaler(input(full()))
	var got []string
	for _, m := range h.Spec.Metrics {
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			got = append(got, fmt.Sprintf("%s=%d%%", m.Resource.Name, *m.Resource.Target.AverageUtilization))
		case autoscalingv2.PodsMetricSourceType:
			got = append(got, fmt.Sprintf("%s=%s/pod", m.Pods.Metric.Name, m.Pods.Target.AverageValue))
		}
	}
	want := []string{"cpu=70%", "memory=85%", "restproxy_active_streams=150/pod", "restproxy_in_flight_records=5k/pod"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
	if b := h.Spec.Behavior; b == nil || b.ScaleDown == nil || *b.ScaleDown.StabilizationWindowSeconds != 600 {
		t.Errorf("behavior = %+v, want the spec's", b)
	}

	rp := minimal()
	rp.Spec.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 5, TargetActiveStreamsPerPod: ptrTo[int32](100)}
	if ms := HorizontalPodAutoscaler(input(rp)).Spec.Metrics; len(ms) != 1 || ms[0].Type != autoscalingv2.PodsMetricSourceType {
		t.Errorf("metrics = %+v, want only the streams target: CPU is not targeted unless set or alone", ms)
	}
}
