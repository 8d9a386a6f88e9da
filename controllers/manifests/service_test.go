package manifests

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestService(t *testing.T) {
	tests := []struct {
		name        string
		rp          *v1alpha1.RestProxy
		wantType    corev1.ServiceType
		wantPorts   [2]int32
		wantLabel   string // an extra label from the template, "" for none
		wantAnnoKey string
	}{
		{"minimal", minimal(), corev1.ServiceTypeClusterIP, [2]int32{8082, 8081}, "", ""},
		{"full", full(), corev1.ServiceTypeLoadBalancer, [2]int32{9443, 9090}, "exposed", "service.beta.kubernetes.io/aws-load-balancer-internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Service(input(tt.rp))
			if s.APIVersion != "v1" || s.Kind != "Service" || s.Name != "orders" || s.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", s.APIVersion, s.Kind, s.Namespace, s.Name)
			}
			if s.Spec.Type != tt.wantType {
				t.Errorf("type = %s; want %s", s.Spec.Type, tt.wantType)
			}
			if !reflect.DeepEqual(s.Spec.Selector, SelectorLabels(tt.rp)) {
				t.Errorf("selector = %v; want %v", s.Spec.Selector, SelectorLabels(tt.rp))
			}
			want := []corev1.ServicePort{
				{Name: "http", Protocol: corev1.ProtocolTCP, Port: tt.wantPorts[0], TargetPort: intstr.FromString("http")},
				{Name: "management", Protocol: corev1.ProtocolTCP, Port: tt.wantPorts[1], TargetPort: intstr.FromString("management")},
			}
			if !reflect.DeepEqual(s.Spec.Ports, want) {
				t.Errorf("ports = %+v; want %+v", s.Spec.Ports, want)
			}
			for k, v := range Labels(tt.rp) {
				if s.Labels[k] != v {
					t.Errorf("label %s = %q; want %q", k, s.Labels[k], v)
				}
			}
			if tt.wantLabel != "" && s.Labels[tt.wantLabel] == "" {
				t.Errorf("template label %s missing: %v", tt.wantLabel, s.Labels)
			}
			if tt.wantAnnoKey != "" && s.Annotations[tt.wantAnnoKey] == "" {
				t.Errorf("template annotation %s missing: %v", tt.wantAnnoKey, s.Annotations)
			}
			if tt.wantAnnoKey == "" && s.Annotations != nil {
				t.Errorf("annotations = %v; want none", s.Annotations)
			}
		})
	}
}

func TestServiceTargetsContainerPorts(t *testing.T) {
	rp := full()
	d := mustDeployment(t, input(rp))
	names := map[string]bool{}
	for _, p := range proxyContainer(t, d).Ports {
		names[p.Name] = true
	}
	for _, p := range Service(input(rp)).Spec.Ports {
		if !names[p.TargetPort.StrVal] {
			t.Errorf("service port %s targets %q, which the container does not name", p.Name, p.TargetPort.StrVal)
		}
	}
}
