package manifests

import "github.com/restproxy-dev/restproxy-operator/api/v1alpha1"

// Replicas is the Deployment's replica count.
//
// With autoscaling the HorizontalPodAutoscaler's target is the RestProxy (its
// scale subresource), so the HPA writes spec.replicas and this count carries
// it to the Deployment: the operator stays the Deployment's only writer of
// spec.replicas under server-side apply, and leaving the field out would both
// cut the HPA off from the pods and, the moment autoscaling is switched on,
// make the API server drop the field the operator used to own and reset it
// to 1. The count is clamped to [minReplicas, maxReplicas] so the pods are
// right before the HPA first acts.
func Replicas(rp *v1alpha1.RestProxy) int32 {
	n := int32(1)
	if rp.Spec.Replicas != nil {
		n = *rp.Spec.Replicas
	}
	if a := rp.Spec.Autoscaling; a != nil {
		n = max(n, minReplicas(a))
		n = min(n, max(a.MaxReplicas, minReplicas(a)))
	}
	return n
}

// minReplicas is the autoscaler's floor; the HPA itself defaults it to 1.
func minReplicas(a *v1alpha1.AutoscalingSpec) int32 {
	if a.MinReplicas != nil {
		return *a.MinReplicas
	}
	return 1
}
