package controllers

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// TestPortablePodsReachTheDeployment: a pod security context without IDs
// (for OpenShift to assign), envFrom and an extra volume and mount are
// applied, and the API server accepts the Deployment.
func TestPortablePodsReachTheDeployment(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Template = &v1alpha1.TemplateSpec{
			Pod: &v1alpha1.PodTemplate{
				SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				Volumes: []v1alpha1.Volume{{Name: "scratch", EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
			Container: &v1alpha1.ContainerTemplate{
				EnvFrom:      []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "env"}, Optional: ptr.To(true)}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/tmp"}},
			},
		}
	})
	create(t, rp)
	waitDeployment(t, rp, func(dep *appsv1.Deployment) error {
		pod := dep.Spec.Template.Spec
		if sc := pod.SecurityContext; sc == nil || sc.RunAsUser != nil || sc.FSGroup != nil || !ptr.Deref(sc.RunAsNonRoot, false) {
			return fmt.Errorf("pod securityContext %+v, want the template's, without IDs", sc)
		}
		c := pod.Containers[0]
		if len(c.EnvFrom) != 1 || pod.Volumes[len(pod.Volumes)-1].Name != "scratch" || c.VolumeMounts[len(c.VolumeMounts)-1].MountPath != "/tmp" {
			return fmt.Errorf("envFrom %v, volumes %v, mounts %v: want the template's", c.EnvFrom, pod.Volumes, c.VolumeMounts)
		}
		return nil
	})
}
