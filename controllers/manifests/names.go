package manifests

import (
	"fmt"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// ConfigFileKey is the key of the proxy's config file in the ConfigMap.
const ConfigFileKey = "restproxy.yaml"

// ConfigHashAnnotation is the pod-template annotation whose change rolls the
// pods when the config changes: the proxy reads its config file only at
// start-up. No Secret has one: the proxy re-reads every Secret it mounts
// (see secretVolumes).
const ConfigHashAnnotation = "kafka.restproxy.dev/config-hash"

// Default ports of the produce API and of the management listener (/livez,
// /readyz, /metrics); the CRD defaults them too, these cover an object read
// without defaults applied.
const (
	DefaultHTTPPort       int32 = 8082
	DefaultManagementPort int32 = 8081
)

// Port names on the container and the Service; probes, the Service and the
// ServiceMonitor refer to the ports by these names.
const (
	PortNameHTTP       = "http"
	PortNameManagement = "management"
)

// ContainerName is the proxy's container in the pod.
const ContainerName = "proxy"

// ConfigMapName is the name of the immutable ConfigMap holding rp's config
// file whose ConfigHash is configHash: each rendered config gets its own
// ConfigMap, so pods of an older ReplicaSet keep reading the file they
// started with while a rollout replaces them.
func ConfigMapName(rp *v1alpha1.RestProxy, configHash string) string {
	return rp.Name + "-config-" + configHash[:configHashNameLength]
}

// configHashNameLength hex digits of the config hash name a ConfigMap: 40
// bits, enough that two configs of one RestProxy never share a name by chance.
const configHashNameLength = 10

// URL is where producers reach rp's produce API, for status.url: the
// Ingress host when spec.expose.ingress is set, else ServiceURL.
func URL(rp *v1alpha1.RestProxy) string {
	if e := rp.Spec.Expose; e != nil && e.Ingress != nil {
		scheme := "http"
		if e.Ingress.TLSSecretName != "" {
			scheme = "https"
		}
		return scheme + "://" + e.Ingress.Host
	}
	return ServiceURL(rp)
}

// ServiceURL is the in-cluster URL of rp's produce API, https when the proxy
// serves TLS, for status.url.
func ServiceURL(rp *v1alpha1.RestProxy) string {
	scheme := "http"
	if h := rp.Spec.HTTP; h != nil && h.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s.%s.svc:%d", scheme, rp.Name, rp.Namespace, httpPort(rp))
}

// httpPort is the produce API's port.
func httpPort(rp *v1alpha1.RestProxy) int32 {
	if h := rp.Spec.HTTP; h != nil && h.Port != 0 {
		return h.Port
	}
	return DefaultHTTPPort
}

// managementPort is the management listener's port.
func managementPort(rp *v1alpha1.RestProxy) int32 {
	if h := rp.Spec.HTTP; h != nil && h.ManagementPort != 0 {
		return h.ManagementPort
	}
	return DefaultManagementPort
}
