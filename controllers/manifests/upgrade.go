package manifests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// SpecHashLabel, on the Deployment (not its pod template, so it rolls
// nothing; a label, since a change of a Deployment's annotations moves its
// generation, which status would report as a rollout), is SpecHash of the
// spec the Deployment was last applied from.
// The reconciler compares it with the current spec to tell a change of the
// spec (which rolls the pods at once) from an operator upgrade (which,
// under spec.upgradePolicy Manual, does not, and under Automatic waits for
// a rollout slot).
const SpecHashLabel = "kafka.restproxy.dev/spec-hash"

// SpecHash is a hash of rp's spec without replicas (scaling, by hand or by
// an autoscaler, is not a change of the spec that upgrades the proxy), in
// 40 hex digits, to fit a label value.
func SpecHash(rp *v1alpha1.RestProxy) string {
	spec := rp.Spec.DeepCopy()
	spec.Replicas = nil
	data, err := json.Marshal(spec)
	if err != nil {
		// A spec read from the API server always encodes.
		panic("encode RestProxy spec: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:20])
}

// proxyImage is the image of the proxy container: the spec's, else the
// operator's default.
func proxyImage(in Input) string {
	if in.RestProxy.Spec.Image != "" {
		return in.RestProxy.Spec.Image
	}
	return in.DefaultImage
}

// TemplateHashAnnotation, on the Deployment, is TemplateHash of the pod
// template the operator last applied. The reconciler compares it with the
// desired template's to see that applying would roll the pods, and the
// spec hash to see whether the operator itself (a new version: a new proxy
// image, a changed template) or the tenant causes it.
const TemplateHashAnnotation = "kafka.restproxy.dev/template-hash"

// TemplateHash is a hash of a pod template as the operator builds it.
func TemplateHash(t corev1.PodTemplateSpec) string {
	data, err := json.Marshal(t)
	if err != nil {
		// A template of Go values always encodes.
		panic("encode pod template: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// RunningImage is the image of the proxy container in dep's pod template;
// "" when it has none.
func RunningImage(dep *appsv1.Deployment) string {
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == ContainerName {
			return c.Image
		}
	}
	return ""
}

// ImageVersion is what status.proxyVersion shows for an image: its tag,
// the first 12 hex digits of its digest ("sha256:0123456789ab"), or
// "latest" when it names neither.
func ImageVersion(image string) string {
	if _, digest, ok := strings.Cut(image, "@"); ok {
		algo, hexDigits, _ := strings.Cut(digest, ":")
		return algo + ":" + hexDigits[:min(12, len(hexDigits))]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return "latest"
}
