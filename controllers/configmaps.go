package controllers

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// configMapsInUse names the config ConfigMaps that rp's pods may still
// read: those mounted by its Deployment's current template (which the
// Deployment controller may not have turned into a ReplicaSet yet) and by
// every ReplicaSet of that Deployment, old ones included, so a pod of an
// older ReplicaSet that restarts finds its file and `kubectl rollout undo`
// works while the Deployment keeps the revision. Pruning spares them: an
// old config is deleted only once the Deployment controller has deleted
// the last ReplicaSet that mounts it (revisionHistoryLimit).
func configMapsInUse(ctx context.Context, cache client.Reader, rp *v1alpha1.RestProxy) (map[string]bool, error) {
	inUse := map[string]bool{}
	dep := &appsv1.Deployment{}
	err := cache.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: rp.Name}, dep)
	switch {
	case client.IgnoreNotFound(err) != nil:
		return nil, fmt.Errorf("read Deployment %s: %w", rp.Name, err)
	case err == nil && metav1.IsControlledBy(dep, rp):
		inUse[manifests.MountedConfigMap(&dep.Spec.Template.Spec)] = true
	}
	var sets appsv1.ReplicaSetList
	if err := cache.List(ctx, &sets, client.InNamespace(rp.Namespace), client.MatchingLabels(manifests.SelectorLabels(rp))); err != nil {
		return nil, fmt.Errorf("list ReplicaSets: %w", err)
	}
	for i := range sets.Items {
		rs := &sets.Items[i]
		if owner := metav1.GetControllerOf(rs); owner == nil || owner.Kind != "Deployment" || owner.Name != rp.Name {
			continue
		}
		inUse[manifests.MountedConfigMap(&rs.Spec.Template.Spec)] = true
	}
	delete(inUse, "")
	return inUse, nil
}
