package manifests

import "testing"

func TestProxyImage(t *testing.T) {
	tests := []struct {
		name                     string
		spec, pinned, dflt, want string
	}{
		{"the operator's default", "", "", "reg/restproxy:v2", "reg/restproxy:v2"},
		{"pinned to what the pods run", "", "reg/restproxy:v1", "reg/restproxy:v2", "reg/restproxy:v1"},
		{"the spec's image wins", "reg/custom:1", "reg/restproxy:v1", "reg/restproxy:v2", "reg/custom:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.Image = tt.spec
			d := mustDeployment(t, Input{RestProxy: rp, DefaultImage: tt.dflt, PinnedImage: tt.pinned})
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

// TestAppliedImageIgnoresAHandSetImage: the image the operator applied is
// on the Deployment, so `kubectl set image` is drift to revert, not an
// image an upgrade policy keeps.
func TestAppliedImageIgnoresAHandSetImage(t *testing.T) {
	d := mustDeployment(t, input(minimal()))
	d.Spec.Template.Spec.Containers[0].Image = "reg/by-hand:1"
	if got := AppliedImage(d); got != testImage {
		t.Errorf("AppliedImage = %q, want the operator's %q", got, testImage)
	}
	delete(d.Annotations, ProxyImageAnnotation) // written by an older operator
	if got := AppliedImage(d); got != "reg/by-hand:1" {
		t.Errorf("AppliedImage without the annotation = %q, want the container's", got)
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
