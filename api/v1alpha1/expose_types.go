package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// ExposeSpec reaches the produce API from outside the cluster: through an
// Ingress, or through the Service itself (spec.template.service.type
// NodePort or LoadBalancer) with the knobs below.
type ExposeSpec struct {
	// Ingress routes https://host/ (or http://) to the produce port.
	// +optional
	Ingress *IngressExposeSpec `json:"ingress,omitempty"`

	// HTTPRoute attaches the produce API to Gateway API gateways; created
	// once the cluster serves gateway.networking.k8s.io/v1 HTTPRoute.
	// +optional
	HTTPRoute *HTTPRouteExposeSpec `json:"httpRoute,omitempty"`

	// LoadBalancerSourceRanges are the client CIDRs a LoadBalancer Service
	// admits (spec.template.service.type LoadBalancer).
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=43
	// +optional
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`

	// ExternalTrafficPolicy of a NodePort or LoadBalancer Service: Local
	// keeps the client's source address and skips the second hop.
	// +kubebuilder:validation:Enum=Cluster;Local
	// +optional
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`
}

// HTTPRouteExposeSpec configures the HTTPRoute of the produce API.
type HTTPRouteExposeSpec struct {
	// ParentRefs are the Gateways (or their listeners) the route attaches to.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +required
	ParentRefs []GatewayParentRef `json:"parentRefs"`

	// Hostnames the route matches; absent: those of the listeners.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +optional
	Hostnames []string `json:"hostnames,omitempty"`
}

// GatewayParentRef names a Gateway, and optionally one of its listeners.
type GatewayParentRef struct {
	// Name of the Gateway.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Namespace of the Gateway; absent: the RestProxy's.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// SectionName is the Gateway listener's name.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	SectionName string `json:"sectionName,omitempty"`
}

// IssuerReference names a cert-manager Issuer or ClusterIssuer.
type IssuerReference struct {
	// Name of the issuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// Kind of the issuer: Issuer (in the RestProxy's namespace, the
	// default) or ClusterIssuer.
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	// +optional
	Kind string `json:"kind,omitempty"`

	// Group of the issuer; absent: cert-manager.io.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Group string `json:"group,omitempty"`
}

// IngressExposeSpec configures the Ingress of the produce API.
//
// +kubebuilder:validation:XValidation:rule="!has(self.issuerRef) || has(self.tlsSecretName)",message="spec.expose.ingress.tlsSecretName is required with issuerRef: cert-manager issues the certificate into it",fieldPath=".tlsSecretName"
type IngressExposeSpec struct {
	// ClassName of the Ingress controller; absent: the cluster's default class.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ClassName string `json:"className,omitempty"`

	// Host producers use, e.g. orders.kafka.example.com.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +required
	Host string `json:"host"`

	// TLSSecretName names a kubernetes.io/tls Secret in the RestProxy's
	// namespace with the certificate for host; absent: plain HTTP.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	TLSSecretName string `json:"tlsSecretName,omitempty"`

	// IssuerRef has cert-manager issue the certificate for host into
	// tlsSecretName (which it then requires): the operator creates a
	// cert-manager.io/v1 Certificate once the cluster serves the kind.
	// +optional
	IssuerRef *IssuerReference `json:"issuerRef,omitempty"`

	// Annotations on the Ingress, for its controller (e.g. the backend
	// protocol when the proxy itself serves HTTPS).
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}
