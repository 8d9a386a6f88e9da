package manifests

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NetworkPolicy restricts ingress to the proxy pods, or is nil unless
// enabled. The produce port admits spec.networkPolicy.allowedFrom (everyone
// when empty); the management port admits managementFrom, else the
// operator's management namespaces (Input.ManagementNamespaces), else
// everyone.
func NetworkPolicy(in Input) *networkingv1.NetworkPolicy {
	rp := in.RestProxy
	spec := rp.Spec.NetworkPolicy
	if spec == nil || !spec.Enabled {
		return nil
	}
	tcp := corev1.ProtocolTCP
	port := func(p int32) []networkingv1.NetworkPolicyPort {
		n := intstr.FromInt32(p)
		return []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &n}}
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: objectMeta(rp, rp.Name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels(rp)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{Ports: port(httpPort(rp)), From: deepCopySlice(spec.AllowedFrom, (*networkingv1.NetworkPolicyPeer).DeepCopy)},
				{Ports: port(managementPort(rp)), From: managementPeers(in)},
			},
		},
	}
}

// managementPeers may reach the management port.
func managementPeers(in Input) []networkingv1.NetworkPolicyPeer {
	if from := in.RestProxy.Spec.NetworkPolicy.ManagementFrom; len(from) > 0 {
		return deepCopySlice(from, (*networkingv1.NetworkPolicyPeer).DeepCopy)
	}
	if len(in.ManagementNamespaces) == 0 {
		return nil
	}
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn,
			Values: append([]string(nil), in.ManagementNamespaces...),
		}},
	}}}
}
