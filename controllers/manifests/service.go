package manifests

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Service exposes the produce API, and the management port so a
// ServiceMonitor (which selects Services, not pods) can scrape /metrics.
// Ports target the container's port names, so changing a port number in the
// spec changes both ends together.
func Service(in Input) *corev1.Service {
	rp := in.RestProxy
	meta := objectMeta(rp, rp.Name)
	svcType := corev1.ServiceTypeClusterIP
	if t := rp.Spec.Template; t != nil && t.Service != nil {
		if t.Service.Type != "" {
			svcType = t.Service.Type
		}
		if m := t.Service.Metadata; m != nil {
			meta.Labels = withUserMetadata(meta.Labels, m.Labels)
			meta.Annotations = withUserMetadata(nil, m.Annotations)
		}
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Type:     svcType,
			Selector: SelectorLabels(rp),
			Ports: []corev1.ServicePort{
				{Name: PortNameHTTP, Protocol: corev1.ProtocolTCP, Port: httpPort(rp), TargetPort: intstr.FromString(PortNameHTTP)},
				{Name: PortNameManagement, Protocol: corev1.ProtocolTCP, Port: managementPort(rp), TargetPort: intstr.FromString(PortNameManagement)},
			},
		},
	}
	if e := rp.Spec.Expose; e != nil {
		svc.Spec.LoadBalancerSourceRanges = append([]string(nil), e.LoadBalancerSourceRanges...)
		svc.Spec.ExternalTrafficPolicy = e.ExternalTrafficPolicy
	}
	return svc
}
