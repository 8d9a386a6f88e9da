package v1alpha1_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// registry is spec.schemaRegistry at urls.
func registry(urls ...string) *v1alpha1.SchemaRegistrySpec {
	return &v1alpha1.SchemaRegistrySpec{URLs: urls}
}

func registryBasicAuth() *v1alpha1.SchemaRegistryBasicAuth {
	return &v1alpha1.SchemaRegistryBasicAuth{SecretRef: v1alpha1.SecretReference{Name: "registry-user"}}
}

// TestSchemaRegistryCELRules proves the rules of spec.schemaRegistry
// against the API server, as TestCELRules does the others.
func TestSchemaRegistryCELRules(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	privateCA := &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: secretKey("registry-ca", "ca.crt")}
	checkCELRules(t, ns, []celRule{
		{
			rule:    "basic auth or a bearer token",
			message: "spec.schemaRegistry: set basicAuth or bearerTokenSecretRef, not both",
			field:   "spec.schemaRegistry.bearerTokenSecretRef",
			bad: []specCase{
				{"both", func(s *v1alpha1.RestProxySpec) {
					s.SchemaRegistry = registry("https://sr.example")
					s.SchemaRegistry.BasicAuth = registryBasicAuth()
					s.SchemaRegistry.BearerTokenSecretRef = secretKey("registry-token", "token")
				}},
			},
			good: []specCase{
				{"basic auth with keys of its own and every tunable", func(s *v1alpha1.RestProxySpec) {
					s.SchemaRegistry = registry("https://sr-0.example:8081", "https://sr-1.example:8081/base/")
					s.SchemaRegistry.BasicAuth = registryBasicAuth()
					s.SchemaRegistry.BasicAuth.UsernameKey, s.SchemaRegistry.BasicAuth.PasswordKey = "user", "pass"
					s.SchemaRegistry.Timeout = &metav1.Duration{Duration: 2 * time.Second}
					s.SchemaRegistry.LatestCacheTTL = &metav1.Duration{}
					s.SchemaRegistry.RegisterSchemas = ptr.To(false)
				}},
				{"a bearer token", func(s *v1alpha1.RestProxySpec) {
					s.SchemaRegistry = registry("http://sr.kafka:8081")
					s.SchemaRegistry.BearerTokenSecretRef = secretKey("registry-token", "token")
				}},
				{"neither", func(s *v1alpha1.RestProxySpec) { s.SchemaRegistry = registry("http://sr.kafka:8081") }},
			},
		},
		{
			rule:    "TLS needs an https URL",
			message: "spec.schemaRegistry.tls needs an https:// URL in spec.schemaRegistry.urls",
			field:   "spec.schemaRegistry.tls",
			bad: []specCase{
				{"only http URLs", func(s *v1alpha1.RestProxySpec) {
					s.SchemaRegistry = registry("http://sr-0.kafka:8081", "http://sr-1.kafka:8081")
					s.SchemaRegistry.TLS = privateCA
				}},
			},
			good: []specCase{
				{"an https URL with a CA and a client certificate", func(s *v1alpha1.RestProxySpec) {
					s.SchemaRegistry = registry("http://sr-0.kafka:8081", "https://sr.example")
					s.SchemaRegistry.TLS = &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: privateCA.CASecretRef,
						CertSecretRef: &v1alpha1.SecretReference{Name: "registry-client"}}
				}},
			},
		},
	})
}

// TestSchemaRegistryMarkers proves the schema of spec.schemaRegistry: the
// API server refuses each value with an error naming the field.
func TestSchemaRegistryMarkers(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	urls := func(u ...any) map[string]any { return map[string]any{"urls": u} }
	cases := []struct {
		name  string
		value map[string]any // spec.schemaRegistry
		field string
		want  string
	}{
		{"no URLs", map[string]any{}, "spec.schemaRegistry.urls", "Required value"},
		{"empty URLs", map[string]any{"urls": []any{}}, "spec.schemaRegistry.urls", "should have at least 1 items"},
		{"not a URL", urls("sr.kafka:8081"), "spec.schemaRegistry.urls[0]", "should match"},
		{"another scheme", urls("http://sr", "ftp://sr"), "spec.schemaRegistry.urls[1]", "should match"},
		{"credentials in the URL", urls("https://user:pw@sr.example"), "spec.schemaRegistry.urls[0]", "should match"},
		{"a query", urls("https://sr.example/?x=1"), "spec.schemaRegistry.urls[0]", "should match"},
		{"timeout", map[string]any{"urls": []any{"http://sr"}, "timeout": "5"}, "spec.schemaRegistry.timeout", "should match"},
		{"latestCacheTTL", map[string]any{"urls": []any{"http://sr"}, "latestCacheTTL": "a minute"}, "spec.schemaRegistry.latestCacheTTL", "should match"},
		{"basicAuth without its Secret", map[string]any{"urls": []any{"http://sr"}, "basicAuth": map[string]any{"usernameKey": "user"}},
			"spec.schemaRegistry.basicAuth.secretRef", "Required value"},
		{"basicAuth key", map[string]any{"urls": []any{"http://sr"}, "basicAuth": map[string]any{
			"secretRef": map[string]any{"name": "u"}, "passwordKey": "a/b"}}, "spec.schemaRegistry.basicAuth.passwordKey", "should match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rp := minimalUnstructured(ns)
			if err := unstructured.SetNestedField(rp.Object, c.value, "spec", "schemaRegistry"); err != nil {
				t.Fatal(err)
			}
			assertInvalid(t, k8s.Create(context.Background(), rp), c.field, c.want)
		})
	}
}
