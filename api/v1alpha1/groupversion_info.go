// Package v1alpha1 contains the RestProxy API, group kafka.restproxy.dev.
//
// Validation lives in the schema (OpenAPI markers, defaults and CEL rules), not
// in webhooks, so installing the CRD with kubectl or Helm needs nothing else.
//
// +kubebuilder:object:generate=true
// +groupName=kafka.restproxy.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the RestProxy API.
	GroupVersion = schema.GroupVersion{Group: "kafka.restproxy.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
