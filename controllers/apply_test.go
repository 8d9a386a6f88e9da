package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// TestApplyConfiguration: the operator claims exactly the fields it sets,
// plus its controller reference, and nothing the API server owns.
func TestApplyConfiguration(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: types.UID("uid-1")}}
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "proxy", Image: "img"}},
				Volumes:    []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}},
		},
		Status: appsv1.DeploymentStatus{Replicas: 7},
	}
	u, err := applyConfiguration(scheme, rp, dep)
	if err != nil {
		t.Fatal(err)
	}

	if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "status"); found {
		t.Errorf("status is in the apply configuration: the API server owns it")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "creationTimestamp"); found {
		t.Errorf("metadata.creationTimestamp is in the apply configuration")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "template", "metadata", "creationTimestamp"); found {
		t.Errorf("the pod template's creationTimestamp is in the apply configuration")
	}
	// Zero values the builders did not set are not claimed (empty structs
	// are: JSON cannot tell them from set ones, and emptyDir: {} must stay).
	for _, field := range []string{"minReadySeconds", "paused", "revisionHistoryLimit"} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", field); found {
			t.Errorf("spec.%s, never set, is claimed", field)
		}
	}
	if replicas, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); replicas != 2 {
		t.Errorf("spec.replicas = %d (as int64), want 2", replicas)
	}
	vols, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "volumes")
	if len(vols) != 1 || vols[0].(map[string]any)["emptyDir"] == nil {
		t.Errorf("volumes = %v, want the emptyDir volume kept although it is empty", vols)
	}
	owners := u.GetOwnerReferences()
	if len(owners) != 1 || owners[0].UID != rp.UID || !ptr.Deref(owners[0].Controller, false) || owners[0].Kind != "RestProxy" {
		t.Errorf("ownerReferences = %+v, want the RestProxy as controller", owners)
	}
	if dep.OwnerReferences != nil {
		t.Errorf("the builders' object was modified")
	}
	if u.GroupVersionKind() != appsv1.SchemeGroupVersion.WithKind("Deployment") {
		t.Errorf("kind %v, want apps/v1 Deployment", u.GroupVersionKind())
	}
}

// TestChildLabelsSelectEveryChild: the cache keeps only objects with
// childLabels, so every child the builders label must carry them.
func TestChildLabelsSelectEveryChild(t *testing.T) {
	rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	if !labels.SelectorFromSet(childLabels).Matches(labels.Set(manifests.Labels(rp))) {
		t.Errorf("the cache's child selector %v does not match the children's labels %v", childLabels, manifests.Labels(rp))
	}
}
