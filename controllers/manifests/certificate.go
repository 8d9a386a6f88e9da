package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CertificateGVK is cert-manager's Certificate, built as unstructured so
// the operator does not depend on cert-manager's Go module.
var CertificateGVK = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}

// Certificate has cert-manager issue the Ingress's certificate for its host
// into its TLS Secret, or is nil unless spec.expose.ingress.issuerRef is
// set and the cluster serves the kind.
func Certificate(in Input) *unstructured.Unstructured {
	rp := in.RestProxy
	e := rp.Spec.Expose
	if !in.CertificateCRD || e == nil || e.Ingress == nil || e.Ingress.IssuerRef == nil || e.Ingress.TLSSecretName == "" {
		return nil
	}
	ing := e.Ingress
	issuer := map[string]any{"name": ing.IssuerRef.Name, "kind": "Issuer", "group": "cert-manager.io"}
	if ing.IssuerRef.Kind != "" {
		issuer["kind"] = ing.IssuerRef.Kind
	}
	if ing.IssuerRef.Group != "" {
		issuer["group"] = ing.IssuerRef.Group
	}
	cert := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"secretName": ing.TLSSecretName,
		"dnsNames":   []any{ing.Host},
		"issuerRef":  issuer,
	}}}
	cert.SetGroupVersionKind(CertificateGVK)
	cert.SetName(rp.Name)
	cert.SetNamespace(rp.Namespace)
	cert.SetLabels(Labels(rp))
	return cert
}
