package manifests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// SpecHashAnnotation, on the Deployment (not its pod template, so it rolls
// nothing), is SpecHash of the spec the Deployment was last applied from.
// The reconciler compares it with the current spec to tell a change of the
// spec (which moves a RestProxy to the operator's proxy image at once) from
// an operator upgrade (which, under spec.upgradePolicy Manual, does not,
// and under Automatic waits for a rollout slot).
const SpecHashAnnotation = "kafka.restproxy.dev/spec-hash"

// ProxyImageAnnotation, on the Deployment, is the proxy image the operator
// applied: the image its pods run unless someone set another by hand,
// which the operator reverts as any drift.
const ProxyImageAnnotation = "kafka.restproxy.dev/proxy-image"

// AppliedImage is the proxy image the operator last applied to dep: its
// ProxyImageAnnotation, or for a Deployment an older operator wrote
// without it, the image of its proxy container.
func AppliedImage(dep *appsv1.Deployment) string {
	if image := dep.Annotations[ProxyImageAnnotation]; image != "" {
		return image
	}
	return RunningImage(dep)
}

// SpecHash is a hash of rp's spec without replicas: scaling, by hand or by
// an autoscaler, is not a change of the spec that upgrades the proxy.
func SpecHash(rp *v1alpha1.RestProxy) string {
	spec := rp.Spec.DeepCopy()
	spec.Replicas = nil
	data, err := json.Marshal(spec)
	if err != nil {
		// A spec read from the API server always encodes.
		panic("encode RestProxy spec: " + err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// proxyImage is the image of the proxy container: the spec's, else the one
// the upgrade policy or the rollout pace holds the RestProxy on, else the
// operator's default.
func proxyImage(in Input) string {
	switch {
	case in.RestProxy.Spec.Image != "":
		return in.RestProxy.Spec.Image
	case in.PinnedImage != "":
		return in.PinnedImage
	}
	return in.DefaultImage
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
