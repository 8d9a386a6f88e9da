package manifests

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// The well-known labels every child carries.
const (
	labelName      = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	labelComponent = "app.kubernetes.io/component"
	labelManagedBy = "app.kubernetes.io/managed-by"
)

// InstanceLabel holds the RestProxy's name on every child and pod.
const InstanceLabel = labelInstance

// Labels are put on every child of rp, so `kubectl get all -l
// app.kubernetes.io/instance=<name>` finds them all.
func Labels(rp *v1alpha1.RestProxy) map[string]string {
	labels := SelectorLabels(rp)
	labels[labelComponent] = "produce-proxy"
	labels[labelManagedBy] = "restproxy-operator"
	return labels
}

// SelectorLabels select rp's pods. They are only the name and the instance,
// because a Deployment's selector is immutable: any label added here later
// would force deleting and recreating every Deployment.
func SelectorLabels(rp *v1alpha1.RestProxy) map[string]string {
	return map[string]string{
		labelName:     "restproxy",
		labelInstance: rp.Name,
	}
}

// withUserMetadata merges labels or annotations from the template under
// ours: a user may add keys, but may not override the operator's own (a
// changed selector label would orphan the pods, a changed hash would hide a
// needed roll).
func withUserMetadata(ours, user map[string]string) map[string]string {
	if len(ours) == 0 && len(user) == 0 {
		return nil
	}
	out := make(map[string]string, len(ours)+len(user))
	maps.Copy(out, user)
	maps.Copy(out, ours)
	return out
}

// objectMeta is the metadata every child starts from.
func objectMeta(rp *v1alpha1.RestProxy, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: rp.Namespace, Labels: Labels(rp)}
}
