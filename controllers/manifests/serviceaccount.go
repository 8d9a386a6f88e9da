package manifests

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServiceAccount gives the proxy pods their own identity, with no API token:
// the proxy never talks to the API server, so a mounted token would only be
// something to steal.
func ServiceAccount(in Input) *corev1.ServiceAccount {
	rp := in.RestProxy
	automount := false
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   objectMeta(rp, rp.Name),
		AutomountServiceAccountToken: &automount,
	}
}
