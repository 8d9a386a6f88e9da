package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// checkSecrets reads every Secret key the RestProxy references and fails
// unless all of them exist: missing Secrets or keys are a *reconcileError
// whose reason is SecretNotFound (a whole Secret is missing) or
// SecretKeyNotFound, and whose message names each of them. The contents
// are not kept: nothing the operator builds depends on them, since the
// proxy re-reads every Secret it mounts (docs/configuration.md, "Files
// re-read while running"), so a rotation rolls no pod. The reader should
// be uncached: the operator keeps only the metadata of Secrets in memory.
func checkSecrets(ctx context.Context, reader client.Reader, rp *v1alpha1.RestProxy) error {
	var missing []string
	reason := ReasonSecretKeyNotFound
	for _, ref := range manifests.SecretRefs(rp) {
		var s corev1.Secret
		err := reader.Get(ctx, client.ObjectKey{Namespace: rp.Namespace, Name: ref.Name}, &s)
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, fmt.Sprintf("Secret %q does not exist", ref.Name))
			reason = ReasonSecretNotFound
			continue
		case err != nil:
			return &reconcileError{ReasonSecretReadFailed, fmt.Errorf("read Secret %q: %w", ref.Name, err)}
		}
		for _, key := range ref.Keys {
			if _, ok := s.Data[key]; !ok {
				missing = append(missing, fmt.Sprintf("Secret %q has no key %q", ref.Name, key))
			}
		}
	}
	if len(missing) > 0 {
		return &reconcileError{reason, fmt.Errorf("missing in namespace %s: %s; the proxy's Deployment waits for them, its other objects and its scale are kept up to date",
			rp.Namespace, strings.Join(missing, "; "))}
	}
	return nil
}

// missingSecrets says err is about Secrets or keys the RestProxy references
// but that do not exist: what needs them waits, the rest goes ahead.
func missingSecrets(err error) bool {
	var re *reconcileError
	return errors.As(err, &re) && (re.reason == ReasonSecretNotFound || re.reason == ReasonSecretKeyNotFound)
}

// withoutSecretDependents leaves out of desired what cannot be brought to
// the spec while a referenced Secret is missing: the Deployment (its pods
// mount the Secrets and would roll to a spec they cannot start with) and
// the config it would mount.
func withoutSecretDependents(desired []client.Object) []client.Object {
	var rest []client.Object
	for _, obj := range desired {
		switch obj.(type) {
		case *appsv1.Deployment, *corev1.ConfigMap:
			continue
		}
		rest = append(rest, obj)
	}
	return rest
}

// withoutDeployment leaves the Deployment out of desired: its rollout is
// held (holdRollout), and only its scale follows the spec meanwhile.
func withoutDeployment(desired []client.Object) []client.Object {
	var rest []client.Object
	for _, obj := range desired {
		if _, ok := obj.(*appsv1.Deployment); !ok {
			rest = append(rest, obj)
		}
	}
	return rest
}

// scaleDeployment brings the replicas of rp's existing Deployment to the
// spec through its scale subresource, leaving its pod template alone, and
// returns it (nil when there is none): scaling keeps working while a
// Secret is missing or a rollout is held. The next full apply takes the
// field back.
func (r *RestProxyReconciler) scaleDeployment(ctx context.Context, rp *v1alpha1.RestProxy) (*appsv1.Deployment, error) {
	dep := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(rp), dep)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read Deployment %s: %w", rp.Name, err)
	case !metav1.IsControlledBy(dep, rp):
		return nil, nil
	}
	want := manifests.Replicas(rp)
	if dep.Spec.Replicas != nil && *dep.Spec.Replicas == want {
		return dep, nil
	}
	scale := &autoscalingv1.Scale{}
	body := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, want))
	if err := r.Client.SubResource("scale").Patch(ctx, dep, body, client.WithSubResourceBody(scale), client.FieldOwner(FieldOwner)); err != nil {
		return nil, &reconcileError{ReasonApplyFailed, fmt.Errorf("scale Deployment %s to %d: %w", rp.Name, want, err)}
	}
	dep.Spec.Replicas = &want
	return dep, nil
}
