package charts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestServiceMonitorScrapesWithTokenSecret: with secure metrics the chart's
// ServiceMonitor authenticates with authorization.credentials, a token
// Secret of a ServiceAccount the chart makes and allows to get /metrics
// (checked by the API server's authoriser after a real install), and no
// variant renders the deprecated bearerTokenFile.
func TestServiceMonitorScrapesWithTokenSecret(t *testing.T) {
	for _, v := range variants(t) {
		if strings.Contains(string(render(t, "rp", "ns", v)), "bearerTokenFile") {
			t.Errorf("variant %s renders bearerTokenFile", v.name)
		}
	}
	release, ns := "sm", "restproxy-sm"
	manifests := render(t, release, ns, servicemonitorVariant())
	objs := objects(t, manifests)
	scraper := release + "-restproxy-operator-metrics-scraper"
	wantCredentials(t, objs, scraper, "token")

	secrets := find(objs, "Secret")
	if len(secrets) != 1 {
		t.Fatalf("rendered %d Secrets, want the scraper's token", len(secrets))
	}
	var secret corev1.Secret
	decode(t, secrets[0], &secret)
	if secret.Name != scraper || secret.Type != corev1.SecretTypeServiceAccountToken || secret.Annotations[corev1.ServiceAccountNameKey] != scraper {
		t.Errorf("token Secret %s of type %s for ServiceAccount %q, want %s, %s, %s",
			secret.Name, secret.Type, secret.Annotations[corev1.ServiceAccountNameKey], scraper, corev1.SecretTypeServiceAccountToken, scraper)
	}

	restrictedNamespace(t, ns)
	serverSideApply(t, manifests, false)
	for _, tc := range []struct{ serviceAccount, want string }{{scraper, "yes"}, {"default", "no"}} {
		// can-i exits 1 when the answer is no.
		out, _ := kubectl(nil, "auth", "can-i", "get", "/metrics", "--as", "system:serviceaccount:"+ns+":"+tc.serviceAccount)
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("may ServiceAccount %s get /metrics? %q, want %q", tc.serviceAccount, got, tc.want)
		}
	}
}

// TestServiceMonitorOwnTokenSecret: naming a Secret of one's own leaves
// out the chart's scraper ServiceAccount and its token.
func TestServiceMonitorOwnTokenSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "values.yaml")
	values := "metrics:\n  serviceMonitor:\n    enabled: true\n    tokenSecret:\n      name: prometheus-token\n      key: jwt\n"
	if err := os.WriteFile(file, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	objs := objects(t, render(t, "rp", "restproxy-system", variant{name: "own-token", valuesFile: file}))
	wantCredentials(t, objs, "prometheus-token", "jwt")
	for _, o := range objs {
		if strings.HasSuffix(o.GetName(), "-metrics-scraper") {
			t.Errorf("rendered %s %s although tokenSecret.name is set", o.GetKind(), o.GetName())
		}
	}
}

// wantCredentials checks the one ServiceMonitor endpoint: HTTPS with a
// bearer token from Secret name, key, and the scraped labels kept.
func wantCredentials(t *testing.T, objs []*unstructured.Unstructured, name, key string) {
	t.Helper()
	sms := find(objs, "ServiceMonitor")
	if len(sms) != 1 {
		t.Fatalf("rendered %d ServiceMonitors, want 1", len(sms))
	}
	endpoints, _, _ := unstructured.NestedSlice(sms[0].Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v, want one", endpoints)
	}
	ep, _ := endpoints[0].(map[string]any)
	typ, _, _ := unstructured.NestedString(ep, "authorization", "type")
	gotName, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "name")
	gotKey, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "key")
	if ep["scheme"] != "https" || typ != "Bearer" || gotName != name || gotKey != key {
		t.Errorf("endpoint scheme %v, authorization %s from Secret %s key %s; want https, Bearer, %s, %s", ep["scheme"], typ, gotName, gotKey, name, key)
	}
	if ep["honorLabels"] != true {
		t.Errorf("endpoint honorLabels %v, want true: the condition series' namespace label must survive", ep["honorLabels"])
	}
}
