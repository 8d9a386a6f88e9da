package controllers

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// TestMissingSecretHoldsBackOnlyTheDeployment: a spec change that
// references two Secrets not yet created leaves the running pods' template
// alone, names both in status, and still scales the Deployment and updates
// the other children; creating the Secrets applies the rest.
func TestMissingSecretHoldsBackOnlyTheDeployment(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	create(t, newSecret(ns, "kafka-creds", map[string]string{"password": "pw"}))
	rp := newRestProxy(ns, "p", withSASL("kafka-creds", "password"))
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	before := waitDeployment(t, rp, nil)

	patch(t, rp, func(rp *v1alpha1.RestProxy) {
		rp.Spec.Replicas = ptr.To[int32](3)
		rp.Spec.HTTP = &v1alpha1.HTTPSpec{Port: 8082, ManagementPort: 8081, TLS: &v1alpha1.HTTPTLSSpec{SecretName: "https-cert"}}
		rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationAPIKey,
			SecretRef: &v1alpha1.SecretKeySelector{Name: "api-keys", Key: "keys"}}
		rp.Spec.Template = &v1alpha1.TemplateSpec{Service: &v1alpha1.ServiceTemplate{
			Metadata: &v1alpha1.EmbeddedMetadata{Labels: map[string]string{"exposed": "yes"}}}}
	})
	got := waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonSecretNotFound)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `Secret "https-cert" does not exist`)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `Secret "api-keys" does not exist`)

	// Scaling and the Service's labels went ahead; the pods' template did not.
	dep := waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if r := ptr.Deref(dep.Spec.Replicas, 1); r != 3 {
			return fmt.Errorf("Deployment replicas %d, want 3 although a Secret is missing", r)
		}
		return nil
	})
	if a, b := podAnnotation(dep, manifests.ConfigHashAnnotation), podAnnotation(before, manifests.ConfigHashAnnotation); a != b {
		t.Errorf("the pod template's config changed (%s, was %s) while its Secrets are missing", a, b)
	}
	svc := &corev1.Service{}
	eventually(t, func() error {
		get(t, key, svc)
		if svc.Labels["exposed"] != "yes" {
			return fmt.Errorf("Service labels %v, want the template's exposed=yes", svc.Labels)
		}
		return nil
	})

	// The Secrets appear: the Deployment takes the whole spec.
	create(t, newSecret(ns, "https-cert", map[string]string{"tls.crt": "CERT", "tls.key": "KEY"}))
	create(t, newSecret(ns, "api-keys", map[string]string{"keys": "k1"}))
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		if podAnnotation(dep, manifests.ConfigHashAnnotation) == podAnnotation(before, manifests.ConfigHashAnnotation) {
			return fmt.Errorf("the pod template still has the old config")
		}
		if r := ptr.Deref(dep.Spec.Replicas, 1); r != 3 {
			return fmt.Errorf("Deployment replicas %d, want 3", r)
		}
		return nil
	})
}
