package controllers

import (
	"context"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// TestPodMonitorFollowsItsSwitch: the PodMonitor, served here by a stand-in
// CRD that prunes unknown fields, is created with its endpoint intact,
// owned, and pruned when a spec change swaps it for a ServiceMonitor.
func TestPodMonitorFollowsItsSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics = &v1alpha1.MetricsSpec{PodMonitor: &v1alpha1.MonitorSpec{Enabled: true, Interval: "15s"}}
	})
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	pm := &unstructured.Unstructured{}
	pm.SetGroupVersionKind(manifests.PodMonitorGVK)
	eventually(t, func() error { return k8s.Get(ctx, key, pm) })
	if owner := metav1.GetControllerOf(pm); owner == nil || owner.UID != rp.UID {
		t.Errorf("PodMonitor controller reference %+v, want the RestProxy", owner)
	}
	// Stored as written: a field the CRD does not know would be pruned.
	eps, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
	want := []any{map[string]any{"port": "management", "path": "/metrics", "scheme": "http", "interval": "15s",
		"relabelings": []any{map[string]any{"action": "replace",
			"sourceLabels": []any{"__meta_kubernetes_pod_label_app_kubernetes_io_instance"}, "targetLabel": "service"}}}}
	if !reflect.DeepEqual(eps, want) {
		t.Errorf("stored podMetricsEndpoints %v, want %v", eps, want)
	}
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)

	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		rp.Spec.Metrics.PodMonitor.Enabled = false
		rp.Spec.Metrics.ServiceMonitor = &v1alpha1.MonitorSpec{Enabled: true}
	})
	waitGone(t, pm)
	sm := &unstructured.Unstructured{}
	sm.SetGroupVersionKind(manifests.ServiceMonitorGVK)
	eventually(t, func() error { return k8s.Get(ctx, key, sm) })
}
