package manifests

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestIngress(t *testing.T) {
	if Ingress(input(minimal())) != nil {
		t.Errorf("an Ingress without spec.expose.ingress")
	}
	rp := full()
	ing := Ingress(input(rp))
	if ing == nil || ing.Name != "orders" || ing.Namespace != "tenant-a" || ing.Kind != "Ingress" {
		t.Fatalf("Ingress = %+v", ing)
	}
	if ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "nginx" {
		t.Errorf("ingressClassName = %v, want nginx", ing.Spec.IngressClassName)
	}
	rule := ing.Spec.Rules[0]
	backend := rule.HTTP.Paths[0].Backend.Service
	if rule.Host != "orders.kafka.example.com" || rule.HTTP.Paths[0].Path != "/" || backend.Name != "orders" || backend.Port.Name != PortNameHTTP {
		t.Errorf("rule = %+v, backend %+v; want the host's / to the Service's http port", rule, backend)
	}
	if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "orders-public-tls" || ing.Spec.TLS[0].Hosts[0] != rule.Host {
		t.Errorf("tls = %+v", ing.Spec.TLS)
	}
	if ing.Annotations["nginx.ingress.kubernetes.io/backend-protocol"] != "HTTPS" {
		t.Errorf("annotations = %v", ing.Annotations)
	}
	if got := URL(rp); got != "https://orders.kafka.example.com" {
		t.Errorf("URL = %q, want the Ingress host", got)
	}
	if got := URL(minimal()); got != ServiceURL(minimal()) {
		t.Errorf("URL without exposure = %q, want the in-cluster %q", got, ServiceURL(minimal()))
	}
}

func TestServiceExposureKnobs(t *testing.T) {
	svc := Service(input(full()))
	if len(svc.Spec.LoadBalancerSourceRanges) != 1 || svc.Spec.LoadBalancerSourceRanges[0] != "10.0.0.0/8" ||
		svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("service spec = %+v, want the spec's source ranges and Local", svc.Spec)
	}
	if s := Service(input(minimal())); s.Spec.LoadBalancerSourceRanges != nil || s.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("minimal service spec = %+v, want no exposure knobs", s.Spec)
	}
}

func TestHTTPRoute(t *testing.T) {
	in := input(full())
	route := HTTPRoute(in)
	if route == nil || route.GroupVersionKind() != HTTPRouteGVK || route.GetName() != "orders" || route.GetNamespace() != "tenant-a" {
		t.Fatalf("HTTPRoute = %+v", route)
	}
	spec := route.Object["spec"].(map[string]any)
	parent := spec["parentRefs"].([]any)[0].(map[string]any)
	backend := spec["rules"].([]any)[0].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
	if parent["name"] != "public" || parent["namespace"] != "gateways" || parent["sectionName"] != "https" ||
		spec["hostnames"].([]any)[0] != "orders.kafka.example.com" || backend["name"] != "orders" || backend["port"] != int64(9443) {
		t.Errorf("spec = %v; want the spec's parent and hostname, backed by the Service's produce port", spec)
	}
	in.HTTPRouteCRD = false
	if HTTPRoute(in) != nil {
		t.Errorf("an HTTPRoute although the cluster does not serve the kind")
	}
}

func TestCertificate(t *testing.T) {
	in := input(full())
	cert := Certificate(in)
	if cert == nil || cert.GroupVersionKind() != CertificateGVK || cert.GetName() != "orders" {
		t.Fatalf("Certificate = %+v", cert)
	}
	spec := cert.Object["spec"].(map[string]any)
	issuer := spec["issuerRef"].(map[string]any)
	if spec["secretName"] != "orders-public-tls" || spec["dnsNames"].([]any)[0] != "orders.kafka.example.com" ||
		issuer["name"] != "letsencrypt" || issuer["kind"] != "ClusterIssuer" || issuer["group"] != "cert-manager.io" {
		t.Errorf("spec = %v; want the Ingress's host and Secret, from the spec's issuer", spec)
	}
	in.CertificateCRD = false
	if Certificate(in) != nil {
		t.Errorf("a Certificate although the cluster does not serve the kind")
	}
}
