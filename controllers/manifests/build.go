package manifests

import (
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// Input is everything the builders need, resolved by the reconciler. Treat it
// as immutable: builders never modify it, and the objects they return share
// no memory with it.
type Input struct {
	// RestProxy as read from the API server (defaults applied).
	RestProxy *v1alpha1.RestProxy
	// DefaultImage is the operator's --proxy-image, used when spec.image is empty.
	DefaultImage string
	// ImagePullSecrets are the operator's default pull secrets for proxy
	// images (--proxy-image-pull-secrets), used when the spec's template
	// names none.
	ImagePullSecrets []corev1.LocalObjectReference
	// ManagementNamespaces may reach the proxies' management port when a
	// RestProxy's NetworkPolicy names no managementFrom (the operator's
	// --management-namespaces); empty: everyone.
	ManagementNamespaces []string
	// ServiceMonitorCRD says monitoring.coreos.com/v1 ServiceMonitor is served.
	ServiceMonitorCRD bool
	// PodMonitorCRD says monitoring.coreos.com/v1 PodMonitor is served.
	PodMonitorCRD bool
	// HTTPRouteCRD says gateway.networking.k8s.io/v1 HTTPRoute is served.
	HTTPRouteCRD bool
	// CertificateCRD says cert-manager.io/v1 Certificate is served.
	CertificateCRD bool
}

// ServiceMonitorGVK is the Prometheus operator's ServiceMonitor, built as
// unstructured so the operator needs no dependency on its Go types.
var ServiceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}

// ManagedKinds lists every kind Build may return, so the reconciler can watch
// them and prune those no longer desired. The OptionalKinds are included;
// the caller leaves them out while the cluster does not serve them.
func ManagedKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{
		corev1.SchemeGroupVersion.WithKind("ServiceAccount"),
		corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		corev1.SchemeGroupVersion.WithKind("Service"),
		appsv1.SchemeGroupVersion.WithKind("Deployment"),
		policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"),
		autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"),
		networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"),
		networkingv1.SchemeGroupVersion.WithKind("Ingress"),
		ServiceMonitorGVK,
		PodMonitorGVK,
		HTTPRouteGVK,
		CertificateGVK,
	}
}

// OptionalKinds are the managed kinds a cluster may not serve (their CRDs
// come with other projects).
func OptionalKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{ServiceMonitorGVK, PodMonitorGVK, HTTPRouteGVK, CertificateGVK}
}

// Build returns every child the RestProxy should have now, in the order they
// are best applied (the ServiceAccount and ConfigMap before the Deployment
// that uses them). Each has TypeMeta, namespace, name and Labels set, and no
// owner reference or status: the reconciler adds the owner. Children of
// disabled features are absent; the reconciler prunes them.
func Build(in Input) ([]client.Object, error) {
	if in.RestProxy == nil {
		return nil, errors.New("build: no RestProxy")
	}
	if err := checkInput(in); err != nil {
		return nil, fmt.Errorf("build %s/%s: %w", in.RestProxy.Namespace, in.RestProxy.Name, err)
	}
	config, err := RenderConfig(in)
	if err != nil {
		return nil, err
	}
	objs := []client.Object{ServiceAccount(in), configMap(in, config), Service(in), deployment(in, config)}
	if pdb := PodDisruptionBudget(in); pdb != nil {
		objs = append(objs, pdb)
	}
	if hpa := HorizontalPodAutoscaler(in); hpa != nil {
		objs = append(objs, hpa)
	}
	if np := NetworkPolicy(in); np != nil {
		objs = append(objs, np)
	}
	if ing := Ingress(in); ing != nil {
		objs = append(objs, ing)
	}
	if sm := ServiceMonitor(in); sm != nil {
		objs = append(objs, sm)
	}
	if pm := PodMonitor(in); pm != nil {
		objs = append(objs, pm)
	}
	if route := HTTPRoute(in); route != nil {
		objs = append(objs, route)
	}
	if cert := Certificate(in); cert != nil {
		objs = append(objs, cert)
	}
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Empty() {
			return nil, fmt.Errorf("build %s/%s: %T has no TypeMeta", in.RestProxy.Namespace, in.RestProxy.Name, o)
		}
	}
	return objs, nil
}

// checkInput catches what the API server would only refuse child by child,
// with a message about a Service or a label rather than the RestProxy.
func checkInput(in Input) error {
	name := in.RestProxy.Name
	// The name becomes the Service's name (a DNS-1035 label) and the
	// app.kubernetes.io/instance label value: both at most 63 characters.
	if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
		return fmt.Errorf("metadata.name %q cannot name the proxy's Service: %s", name, strings.Join(errs, "; "))
	}
	if in.RestProxy.Spec.Image == "" && in.DefaultImage == "" {
		return errors.New("spec.image is empty and the operator has no default proxy image (--proxy-image)")
	}
	return nil
}
