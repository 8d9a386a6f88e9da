package manifests

import "testing"

func TestProxyImage(t *testing.T) {
	tests := []struct {
		name             string
		spec, dflt, want string
	}{
		{"the operator's default", "", "reg/restproxy:v2", "reg/restproxy:v2"},
		{"the spec's image wins", "reg/custom:1", "reg/restproxy:v2", "reg/custom:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Image = tt.spec
			d := mustDeployment(t, Input{RestProxy: rp, DefaultImage: tt.dflt})
			if got := RunningImage(d); got != tt.want {
				t.Errorf("image = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSpecHashIgnoresReplicasOnly(t *testing.T) {
	base := SpecHash(minimal())
	scaled := minimal()
	scaled.Spec.Replicas = ptrTo[int32](7)
	if SpecHash(scaled) != base {
		t.Errorf("scaling changed the spec hash: an autoscaler would upgrade Manual RestProxies")
	}
	edited := minimal()
	edited.Spec.Kafka.ClientID = "other"
	if SpecHash(edited) == base {
		t.Errorf("a spec edit kept the spec hash")
	}
	if got := mustDeployment(t, input(minimal())).Annotations[SpecHashAnnotation]; got != base {
		t.Errorf("Deployment annotation %s = %q, want %q", SpecHashAnnotation, got, base)
	}
}

func TestImageVersion(t *testing.T) {
	for image, want := range map[string]string{
		"ghcr.io/restproxy-dev/restproxy:v0.3.1":                       "v0.3.1",
		"registry.local:5000/restproxy:v2":                             "v2",
		"registry.local:5000/restproxy":                                "latest",
		"restproxy":                                                    "latest",
		"reg/restproxy@sha256:0123456789abcdef0123456789abcdef":        "sha256:0123456789ab",
		"reg/restproxy:v1@sha256:0123456789abcdef0123456789abcdef0000": "sha256:0123456789ab",
	} {
		if got := ImageVersion(image); got != want {
			t.Errorf("ImageVersion(%q) = %q, want %q", image, got, want)
		}
	}
}

// TestTemplateHash: the Deployment carries the hash of the pod template it
// was built with, which changes with the template (an image, a config) and
// not with what does not roll the pods (replicas).
func TestTemplateHash(t *testing.T) {
	d := mustDeployment(t, input(minimal()))
	if got := d.Annotations[TemplateHashAnnotation]; got != TemplateHash(d.Spec.Template) {
		t.Errorf("annotation %s = %q, want the template's hash %q", TemplateHashAnnotation, got, TemplateHash(d.Spec.Template))
	}
	newImage := input(minimal())
	newImage.DefaultImage = "reg/restproxy:v9"
	if mustDeployment(t, newImage).Annotations[TemplateHashAnnotation] == d.Annotations[TemplateHashAnnotation] {
		t.Errorf("a new default image kept the template hash")
	}
	scaled := minimal()
	scaled.Spec.Replicas = ptrTo[int32](5)
	if mustDeployment(t, input(scaled)).Annotations[TemplateHashAnnotation] != d.Annotations[TemplateHashAnnotation] {
		t.Errorf("scaling changed the template hash")
	}
}

func TestProgressDeadline(t *testing.T) {
	if got := mustDeployment(t, input(minimal())).Spec.ProgressDeadlineSeconds; got == nil || *got != 180 {
		t.Errorf("progressDeadlineSeconds = %v, want the default 180", got)
	}
	if got := mustDeployment(t, input(full())).Spec.ProgressDeadlineSeconds; got == nil || *got != 300 {
		t.Errorf("progressDeadlineSeconds = %v, want the spec's 300", got)
	}
}
