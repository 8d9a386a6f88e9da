package manifests

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// fullSchemaRegistry sets every field of spec.schemaRegistry that basic
// authentication allows (bearerTokenSecretRef excludes it).
func fullSchemaRegistry() *v1alpha1.SchemaRegistrySpec {
	return &v1alpha1.SchemaRegistrySpec{
		URLs:      []string{"https://registry-0.kafka:8081", "https://registry-1.kafka:8081/sr"},
		BasicAuth: &v1alpha1.SchemaRegistryBasicAuth{SecretRef: v1alpha1.SecretReference{Name: "registry-user"}},
		TLS: &v1alpha1.SchemaRegistryTLSSpec{
			CASecretRef:   &v1alpha1.SecretKeySelector{Name: "registry-ca", Key: "ca.pem"},
			CertSecretRef: &v1alpha1.SecretReference{Name: "registry-client"},
		},
		Timeout:         &metav1.Duration{Duration: 2 * time.Second},
		LatestCacheTTL:  &metav1.Duration{Duration: time.Minute},
		RegisterSchemas: ptrTo(false),
	}
}

// schemaRegistryProxy is the minimal RestProxy with fullSchemaRegistry,
// the golden case that shows what a registry adds and nothing else.
func schemaRegistryProxy() *v1alpha1.RestProxy {
	rp := minimal()
	rp.Spec.SchemaRegistry = fullSchemaRegistry()
	return rp
}

// TestSchemaRegistryConfig sets spec.schemaRegistry in several shapes and
// checks what the proxy's own parser reads from the rendered file: the
// Secrets as the paths of their mounted files, the durations in
// milliseconds, and the proxy's defaults for what the spec leaves out.
func TestSchemaRegistryConfig(t *testing.T) {
	defaults := func(urls ...string) config.SchemaRegistry {
		sr := config.Default().SchemaRegistry
		sr.URLs = urls
		return sr
	}
	tests := []struct {
		name string
		spec *v1alpha1.SchemaRegistrySpec
		want func() config.SchemaRegistry
	}{
		{"absent: no registry", nil, func() config.SchemaRegistry { return config.Default().SchemaRegistry }},
		{"URLs only keep the proxy's defaults", &v1alpha1.SchemaRegistrySpec{URLs: []string{"http://sr:8081"}},
			func() config.SchemaRegistry { return defaults("http://sr:8081") }},
		{"every field with basic auth", fullSchemaRegistry(), func() config.SchemaRegistry {
			sr := defaults("https://registry-0.kafka:8081", "https://registry-1.kafka:8081/sr")
			sr.BasicAuth = config.SchemaRegistryBasic{UsernameFile: "/etc/restproxy/schema-registry/username", PasswordFile: "/etc/restproxy/schema-registry/password"}
			sr.TLS = config.SchemaRegistryTLS{CAFile: "/etc/restproxy/schema-registry/ca.crt",
				CertFile: "/etc/restproxy/schema-registry/tls.crt", KeyFile: "/etc/restproxy/schema-registry/tls.key"}
			sr.TimeoutMs, sr.LatestCacheMs, sr.RegisterSchemas = 2000, 60000, false
			return sr
		}},
		{"bearer token, latest versions not cached", &v1alpha1.SchemaRegistrySpec{URLs: []string{"https://sr"},
			BearerTokenSecretRef: &v1alpha1.SecretKeySelector{Name: "sr-token", Key: "token"},
			LatestCacheTTL:       &metav1.Duration{}, RegisterSchemas: ptrTo(true)},
			func() config.SchemaRegistry {
				sr := defaults("https://sr")
				sr.BearerTokenFile = "/etc/restproxy/schema-registry/token"
				sr.LatestCacheMs = 0
				return sr
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rp := minimal()
			rp.Spec.SchemaRegistry = tt.spec
			if got, want := parsedConfig(t, rp).SchemaRegistry, tt.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("schemaRegistry parsed back as\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestSchemaRegistryMounts: the registry's Secrets become one read-only
// directory holding exactly the needed keys under the names the config
// refers to, and the reconciler reads (and watches) exactly those
// Secrets and keys.
func TestSchemaRegistryMounts(t *testing.T) {
	custom := fullSchemaRegistry()
	custom.TLS = nil
	custom.BasicAuth.UsernameKey, custom.BasicAuth.PasswordKey = "user", "pass"
	tests := []struct {
		name  string
		spec  *v1alpha1.SchemaRegistrySpec
		items map[string][]corev1.KeyToPath // by Secret
		refs  []SecretRef
	}{
		{"basic auth with the default keys, CA and client certificate", fullSchemaRegistry(), map[string][]corev1.KeyToPath{
			"registry-user":   {{Key: "username", Path: "username"}, {Key: "password", Path: "password"}},
			"registry-ca":     {{Key: "ca.pem", Path: "ca.crt"}},
			"registry-client": {{Key: "tls.crt", Path: "tls.crt"}, {Key: "tls.key", Path: "tls.key"}},
		}, []SecretRef{
			{Name: "registry-ca", Keys: []string{"ca.pem"}},
			{Name: "registry-client", Keys: []string{"tls.crt", "tls.key"}},
			{Name: "registry-user", Keys: []string{"password", "username"}},
		}},
		{"basic auth with keys of its own", custom, map[string][]corev1.KeyToPath{
			"registry-user": {{Key: "user", Path: "username"}, {Key: "pass", Path: "password"}},
		}, []SecretRef{{Name: "registry-user", Keys: []string{"pass", "user"}}}},
		{"bearer token", &v1alpha1.SchemaRegistrySpec{URLs: []string{"http://sr"},
			BearerTokenSecretRef: &v1alpha1.SecretKeySelector{Name: "sr", Key: "jwt"}},
			map[string][]corev1.KeyToPath{"sr": {{Key: "jwt", Path: "token"}}}, []SecretRef{{Name: "sr", Keys: []string{"jwt"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rp := minimal()
			rp.Spec.SchemaRegistry = tt.spec
			d := mustDeployment(t, input(rp))
			if got := SecretRefs(rp); !reflect.DeepEqual(got, tt.refs) {
				t.Errorf("SecretRefs = %+v; want %+v", got, tt.refs)
			}
			mounts := proxyContainer(t, d).VolumeMounts
			if m := mounts[len(mounts)-1]; m.Name != "schema-registry" || m.MountPath != SchemaRegistryDir || !m.ReadOnly || m.SubPath != "" {
				t.Errorf("last mount = %+v; want schema-registry read-only at %s without subPath", m, SchemaRegistryDir)
			}
			vols := d.Spec.Template.Spec.Volumes
			vol := vols[len(vols)-1]
			if vol.Name != "schema-registry" || vol.Projected == nil {
				t.Fatalf("last volume = %+v; want the projected schema-registry volume", vol)
			}
			got := map[string][]corev1.KeyToPath{}
			for _, src := range vol.Projected.Sources {
				got[src.Secret.Name] = append(got[src.Secret.Name], src.Secret.Items...)
			}
			if !reflect.DeepEqual(got, tt.items) {
				t.Errorf("projected files = %+v; want %+v", got, tt.items)
			}
		})
	}
}

// TestSchemaRegistryDurations: a timeout below a millisecond would be
// rendered as 0, which the proxy refuses; latestCacheTTL 0 turns the cache
// off, but a positive value below a millisecond would do so silently.
func TestSchemaRegistryDurations(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		ttl     time.Duration
		want    string // "" renders
	}{
		{"timeout zero", 0, time.Second, "spec.schemaRegistry.timeout: must be at least 1ms; got 0s"},
		{"timeout sub-millisecond", 999 * time.Microsecond, time.Second, "spec.schemaRegistry.timeout: must be at least 1ms"},
		{"latestCacheTTL sub-millisecond", time.Second, 500 * time.Microsecond, "spec.schemaRegistry.latestCacheTTL: must be 0s or at least 1ms; got 500µs"},
		{"latestCacheTTL negative", time.Second, -time.Second, "spec.schemaRegistry.latestCacheTTL: must be 0s or at least 1ms"},
		{"latestCacheTTL zero", time.Second, 0, ""},
		{"one millisecond each", time.Millisecond, time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rp := minimal()
			rp.Spec.SchemaRegistry = &v1alpha1.SchemaRegistrySpec{URLs: []string{"http://sr"},
				Timeout: &metav1.Duration{Duration: tt.timeout}, LatestCacheTTL: &metav1.Duration{Duration: tt.ttl}}
			_, err := RenderConfig(input(rp))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("RenderConfig: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "tenant-a/orders")):
				t.Fatalf("RenderConfig error = %v; want one naming the RestProxy and %q", err, tt.want)
			}
		})
	}
}
