package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// HTTPRouteGVK is the Gateway API's HTTPRoute, built as unstructured so the
// operator does not depend on the Gateway API's Go module.
var HTTPRouteGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}

// HTTPRoute routes the parent Gateways' traffic for the hostnames to the
// produce port, or is nil unless spec.expose.httpRoute is set and the
// cluster serves the kind.
func HTTPRoute(in Input) *unstructured.Unstructured {
	rp := in.RestProxy
	if !in.HTTPRouteCRD || rp.Spec.Expose == nil || rp.Spec.Expose.HTTPRoute == nil {
		return nil
	}
	spec := rp.Spec.Expose.HTTPRoute
	var parents []any
	for _, p := range spec.ParentRefs {
		ref := map[string]any{"name": p.Name}
		if p.Namespace != "" {
			ref["namespace"] = p.Namespace
		}
		if p.SectionName != "" {
			ref["sectionName"] = p.SectionName
		}
		parents = append(parents, ref)
	}
	routeSpec := map[string]any{
		"parentRefs": parents,
		"rules": []any{map[string]any{
			"backendRefs": []any{map[string]any{"name": rp.Name, "port": int64(httpPort(rp))}},
		}},
	}
	if len(spec.Hostnames) > 0 {
		hosts := make([]any, 0, len(spec.Hostnames))
		for _, h := range spec.Hostnames {
			hosts = append(hosts, h)
		}
		routeSpec["hostnames"] = hosts
	}
	route := &unstructured.Unstructured{Object: map[string]any{"spec": routeSpec}}
	route.SetGroupVersionKind(HTTPRouteGVK)
	route.SetName(rp.Name)
	route.SetNamespace(rp.Namespace)
	route.SetLabels(Labels(rp))
	return route
}
