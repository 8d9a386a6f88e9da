package manifests

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Ingress routes spec.expose.ingress.host to the produce port of the
// Service, or is nil without spec.expose.ingress. All paths go to the
// proxy: its API is under /v3 and it answers 404 for the rest itself.
func Ingress(in Input) *networkingv1.Ingress {
	rp := in.RestProxy
	e := rp.Spec.Expose
	if e == nil || e.Ingress == nil {
		return nil
	}
	spec := e.Ingress
	meta := objectMeta(rp, rp.Name)
	meta.Annotations = withUserMetadata(nil, spec.Annotations)
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: meta,
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: spec.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     "/",
						PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: rp.Name,
							Port: networkingv1.ServiceBackendPort{Name: PortNameHTTP},
						}},
					}},
				}},
			}},
		},
	}
	if spec.ClassName != "" {
		ing.Spec.IngressClassName = ptrTo(spec.ClassName)
	}
	if spec.TLSSecretName != "" {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{spec.Host}, SecretName: spec.TLSSecretName}}
	}
	return ing
}
