package manifests

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestNetworkPolicy(t *testing.T) {
	peers := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "producer"}}}}
	tests := []struct {
		name     string
		spec     *v1alpha1.NetworkPolicySpec
		http     *v1alpha1.HTTPSpec
		wantNone bool
		wantFrom []networkingv1.NetworkPolicyPeer
		ports    [2]int32
	}{
		{"absent", nil, nil, true, nil, [2]int32{}},
		{"disabled", &v1alpha1.NetworkPolicySpec{Enabled: false, AllowedFrom: peers}, nil, true, nil, [2]int32{}},
		{"enabled, everyone", &v1alpha1.NetworkPolicySpec{Enabled: true}, nil, false, nil, [2]int32{8082, 8081}},
		{"enabled, restricted, custom ports", &v1alpha1.NetworkPolicySpec{Enabled: true, AllowedFrom: peers}, &v1alpha1.HTTPSpec{Port: 9000, ManagementPort: 9001}, false, peers, [2]int32{9000, 9001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.NetworkPolicy, rp.Spec.HTTP = tt.spec, tt.http
			np := NetworkPolicy(input(rp))
			if tt.wantNone {
				if np != nil {
					t.Fatalf("got a NetworkPolicy; want none")
				}
				return
			}
			if np == nil {
				t.Fatalf("no NetworkPolicy")
			}
			if np.APIVersion != "networking.k8s.io/v1" || np.Kind != "NetworkPolicy" || np.Name != "orders" || np.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", np.APIVersion, np.Kind, np.Namespace, np.Name)
			}
			if !reflect.DeepEqual(np.Spec.PodSelector.MatchLabels, SelectorLabels(rp)) {
				t.Errorf("podSelector = %v", np.Spec.PodSelector.MatchLabels)
			}
			if !reflect.DeepEqual(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
				t.Errorf("policyTypes = %v; want Ingress only (egress to Kafka stays open)", np.Spec.PolicyTypes)
			}
			if len(np.Spec.Ingress) != 2 {
				t.Fatalf("ingress rules = %+v; want produce and management", np.Spec.Ingress)
			}
			produce, mgmt := np.Spec.Ingress[0], np.Spec.Ingress[1]
			checkPort := func(rule networkingv1.NetworkPolicyIngressRule, want int32) {
				if len(rule.Ports) != 1 || rule.Ports[0].Port.IntVal != want || *rule.Ports[0].Protocol != corev1.ProtocolTCP {
					t.Errorf("rule ports = %+v; want TCP %d", rule.Ports, want)
				}
			}
			checkPort(produce, tt.ports[0])
			checkPort(mgmt, tt.ports[1])
			if !reflect.DeepEqual(produce.From, tt.wantFrom) {
				t.Errorf("produce port from = %+v; want %+v", produce.From, tt.wantFrom)
			}
			if mgmt.From != nil {
				t.Errorf("management port from = %+v; want everyone", mgmt.From)
			}
		})
	}
}

// TestNetworkPolicyManagementPort: the management port admits the spec's
// managementFrom, else the operator's management namespaces.
func TestNetworkPolicyManagementPort(t *testing.T) {
	rp := minimal()
	rp.Spec.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: true}
	in := input(rp)
	in.ManagementNamespaces = []string{"restproxy-system", "monitoring"}
	want := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"restproxy-system", "monitoring"},
	}}}}}
	if got := NetworkPolicy(in).Spec.Ingress[1].From; !reflect.DeepEqual(got, want) {
		t.Errorf("management port from = %+v; want the operator's namespaces %+v", got, want)
	}
	own := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "sre"}}}}
	rp.Spec.NetworkPolicy.ManagementFrom = own
	if got := NetworkPolicy(in).Spec.Ingress[1].From; !reflect.DeepEqual(got, own) {
		t.Errorf("management port from = %+v; want the spec's %+v", got, own)
	}
}
