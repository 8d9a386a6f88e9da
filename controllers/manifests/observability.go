package manifests

import (
	"path"
	"strconv"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// Where the tracing export headers are mounted (tracing.headersFile).
const (
	TracingDir         = "/etc/restproxy/tracing"
	TracingHeadersFile = TracingDir + "/headers"
	volumeTracing      = "tracing"
)

// mapObservability maps spec.observability onto the tracing, logging.access
// and metrics keys: only what the spec sets, an endpoint turning tracing on.
// The ratios are decimal strings in the spec (the CRD has no float type);
// the CRD's pattern admits only numbers the proxy accepts.
func mapObservability(o *v1alpha1.ObservabilitySpec, d document) {
	if o == nil {
		return
	}
	if t := o.Tracing; t != nil {
		d.set("tracing.enabled", true)
		d.set("tracing.endpoint", t.Endpoint)
		d.setString("tracing.protocol", t.Protocol)
		setRatio(d, "tracing.samplingRatio", t.SamplingRatio)
		setPtr(d, "tracing.injectRecordHeaders", t.InjectRecordHeaders)
		if t.HeadersSecretRef != nil {
			d.set("tracing.headersFile", TracingHeadersFile)
		}
	}
	if a := o.AccessLog; a != nil {
		setPtr(d, "logging.access.enabled", a.Enabled)
		setRatio(d, "logging.access.sampleSuccessfulSingleRatio", a.SampleSuccessfulSingleRatio)
	}
	if o.PrincipalLimit != nil {
		d.set("metrics.principalLimit", int(*o.PrincipalLimit))
	}
}

func setRatio(d document, key, ratio string) {
	if ratio == "" {
		return
	}
	if f, err := strconv.ParseFloat(ratio, 64); err == nil {
		d.set(key, f)
		return
	}
	d.set(key, ratio) // the proxy's parser then names the key
}

// tracingHeadersFile is the volume file of spec.observability.tracing.headersSecretRef, nil for none.
func tracingHeadersFile(rp *v1alpha1.RestProxy) []secretFile {
	o := rp.Spec.Observability
	if o == nil || o.Tracing == nil || o.Tracing.HeadersSecretRef == nil {
		return nil
	}
	ref := o.Tracing.HeadersSecretRef
	return []secretFile{{ref.Name, ref.Key, path.Base(TracingHeadersFile)}}
}
