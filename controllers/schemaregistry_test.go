package controllers

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// registryHandler answers as a Schema Registry does: GET /subjects lists
// the subjects, or, when secured, refuses a request without credentials.
func registryHandler(secured bool, hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/subjects":
			http.Error(w, `{"error_code":404,"message":"HTTP 404 Not Found"}`, http.StatusNotFound)
		case secured && r.Header.Get("Authorization") == "":
			http.Error(w, `{"error_code":401,"message":"Unauthorized"}`, http.StatusUnauthorized)
		default:
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			_, _ = w.Write([]byte(`["orders-value"]`))
		}
	})
}

// closedURL is an http:// URL on a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func registryRestProxy(name string, s v1alpha1.SchemaRegistrySpec) *v1alpha1.RestProxy {
	return newRestProxy("t", name, func(rp *v1alpha1.RestProxy) { rp.Spec.SchemaRegistry = &s })
}

// TestRegistryChecks probes real HTTP and HTTPS servers on loopback: a
// registry that lists its subjects or asks for credentials answers; a
// server without /subjects, a closed port, an unknown CA or a refused
// client certificate do not, and the note names each URL and why. One
// URL that answers is enough. (The servers close with Cleanup, once the
// parallel cases are done.)
func TestRegistryChecks(t *testing.T) {
	t.Parallel()
	open := httptest.NewServer(registryHandler(false, nil))
	t.Cleanup(open.Close)
	secured := httptest.NewServer(registryHandler(true, nil))
	t.Cleanup(secured.Close)
	notRegistry := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notRegistry.Close)
	overTLS := httptest.NewTLSServer(registryHandler(false, nil))
	t.Cleanup(overTLS.Close)
	mutualTLS := httptest.NewUnstartedServer(registryHandler(false, nil))
	mutualTLS.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	mutualTLS.StartTLS()
	t.Cleanup(mutualTLS.Close)
	closed := closedURL(t)

	privateCA := &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "ca.crt"}}
	clientCert := &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: privateCA.CASecretRef, CertSecretRef: &v1alpha1.SecretReference{Name: "client"}}
	tests := []struct {
		name string
		spec v1alpha1.SchemaRegistrySpec
		want []string // in the note; none: reachable
	}{
		{"lists its subjects", v1alpha1.SchemaRegistrySpec{URLs: []string{open.URL + "/"}}, nil},
		{"asks for credentials", v1alpha1.SchemaRegistrySpec{URLs: []string{secured.URL}}, nil},
		{"no /subjects", v1alpha1.SchemaRegistrySpec{URLs: []string{notRegistry.URL}},
			[]string{"spec.schemaRegistry.urls: no Schema Registry answers the operator: " + notRegistry.URL + " (GET /subjects answered HTTP 404)"}},
		{"closed port", v1alpha1.SchemaRegistrySpec{URLs: []string{closed}}, []string{closed + " (dial tcp", "connection refused"}},
		{"the second URL answers", v1alpha1.SchemaRegistrySpec{URLs: []string{closed, secured.URL}}, nil},
		{"neither URL answers", v1alpha1.SchemaRegistrySpec{URLs: []string{closed, notRegistry.URL}},
			[]string{closed + " (dial tcp", notRegistry.URL + " (GET /subjects answered HTTP 404)"}},
		{"HTTPS with the CA in a Secret", v1alpha1.SchemaRegistrySpec{URLs: []string{overTLS.URL}, TLS: privateCA}, nil},
		{"HTTPS with a CA the system roots lack", v1alpha1.SchemaRegistrySpec{URLs: []string{overTLS.URL}},
			[]string{overTLS.URL + " (tls: failed to verify certificate"}},
		{"mutual TLS with a client certificate", v1alpha1.SchemaRegistrySpec{URLs: []string{mutualTLS.URL}, TLS: clientCert}, nil},
		{"mutual TLS without a client certificate", v1alpha1.SchemaRegistrySpec{URLs: []string{mutualTLS.URL}, TLS: privateCA},
			[]string{mutualTLS.URL + " (remote error: tls:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			note := newRegistryChecks().unreachable(context.Background(), registryRestProxy("p", tt.spec))
			if len(tt.want) == 0 && note != "" {
				t.Errorf("note %q; want none: the registry answers", note)
			}
			if len(tt.want) > 0 && note == "" {
				t.Errorf("no note; want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(note, w) {
					t.Errorf("note %q does not say %q", note, w)
				}
			}
		})
	}
	if note := newRegistryChecks().unreachable(context.Background(), newRestProxy("t", "none")); note != "" {
		t.Errorf("a RestProxy without a registry: note %q, want none", note)
	}
}

// An answer is kept per URL and way of probing it: many RestProxies of one
// registry cost one request per period, while the same URL probed with
// another TLS setting is probed again.
func TestRegistryChecksAreCached(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewTLSServer(registryHandler(true, &hits))
	defer srv.Close()
	c := newRegistryChecks()
	c.verifying = srv.Client()
	ctx := context.Background()
	spec := v1alpha1.SchemaRegistrySpec{URLs: []string{srv.URL}}
	for _, name := range []string{"a", "b", "c"} {
		if note := c.unreachable(ctx, registryRestProxy(name, spec)); note != "" {
			t.Fatalf("RestProxy %s: note %q; want none", name, note)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("three RestProxies of one registry made %d requests, want 1", n)
	}
	spec.TLS = &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "ca.crt"}}
	c.unreachable(ctx, registryRestProxy("d", spec))
	if n := hits.Load(); n != 2 {
		t.Errorf("after a RestProxy with a private CA: %d requests, want 2", n)
	}
}

// An unreachable registry degrades the RestProxy and leaves Ready to the
// pods: they still serve every record that needs no schema.
func TestUnreachableRegistryLeavesReady(t *testing.T) {
	t.Parallel()
	const note = "spec.schemaRegistry.urls: no Schema Registry answers the operator: http://sr:8081 (dial tcp: lookup sr: no such host)"
	tests := []struct {
		name        string
		obs         observation
		wantReady   string
		wantDegrade string
	}{
		{"registry answers", observation{}, "True/" + ReasonReady, "False/" + ReasonReconciled},
		{"registry unreachable", observation{unreachableRegistry: note}, "True/" + ReasonReady, "True/" + ReasonSchemaRegistryUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := &v1alpha1.RestProxy{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Generation: 1}}
			tt.obs.deployment, tt.obs.url = deployment(2, rolled), "http://p.ns.svc:8082"
			st := computeStatus(rp, tt.obs, outcome{}, metav1.Now())
			for typ, want := range map[string]string{v1alpha1.ConditionReady: tt.wantReady, v1alpha1.ConditionDegraded: tt.wantDegrade} {
				c := meta.FindStatusCondition(st.Conditions, typ)
				if got := string(c.Status) + "/" + c.Reason; got != want {
					t.Errorf("%s = %s (%q), want %s", typ, got, c.Message, want)
				}
			}
			if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionDegraded); tt.obs.unreachableRegistry != "" && c.Message != note {
				t.Errorf("Degraded message %q, want %q", c.Message, note)
			}
			// Ready stays True, and says so: the pods serve what needs no registry.
			ready := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
			if said := strings.HasSuffix(ready.Message, "; "+note); said != (tt.obs.unreachableRegistry != "") {
				t.Errorf("Ready message %q: names the unreachable registry %v, want %v", ready.Message, said, !said)
			}
		})
	}
}

// TestSchemaRegistryIsMountedAndRendered: a RestProxy naming a registry
// and its credentials Secret waits, reported as for a missing Kafka
// Secret, until the Secret exists (the Secret watch brings it back); then
// its config, read back and parsed as the proxy does, points at the
// mounted files. The API server refuses basic authentication and a bearer
// token together.
func TestSchemaRegistryIsMountedAndRendered(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	registry := httptest.NewServer(registryHandler(true, nil))
	t.Cleanup(registry.Close)
	rp := newRestProxy(ns, "schemas", func(rp *v1alpha1.RestProxy) {
		rp.Spec.SchemaRegistry = &v1alpha1.SchemaRegistrySpec{
			URLs:            []string{registry.URL},
			BasicAuth:       &v1alpha1.SchemaRegistryBasicAuth{SecretRef: v1alpha1.SecretReference{Name: "registry-user"}, PasswordKey: "secret"},
			Timeout:         &metav1.Duration{Duration: 2 * time.Second},
			RegisterSchemas: ptr.To(false),
		}
	})
	create(t, rp)
	key := client.ObjectKeyFromObject(rp)
	got := waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonSecretNotFound)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, `Secret "registry-user" does not exist`)

	create(t, newSecret(ns, "registry-user", map[string]string{"username": "orders", "secret": "pw"}))
	waitCondition(t, key, v1alpha1.ConditionDegraded, metav1.ConditionFalse, ReasonReconciled)
	cm := waitConfig(t, rp, nil)
	cfg, err := config.Parse([]byte(cm.Data[manifests.ConfigFileKey]))
	if err != nil {
		t.Fatalf("the proxy cannot parse ConfigMap %s: %v", cm.Name, err)
	}
	want := config.Default().SchemaRegistry
	want.URLs = []string{registry.URL}
	want.BasicAuth = config.SchemaRegistryBasic{UsernameFile: manifests.SchemaRegistryUsernameFile, PasswordFile: manifests.SchemaRegistryPasswordFile}
	want.TimeoutMs, want.RegisterSchemas = 2000, false
	if !reflect.DeepEqual(cfg.SchemaRegistry, want) {
		t.Errorf("schemaRegistry in ConfigMap %s = %+v; want %+v", cm.Name, cfg.SchemaRegistry, want)
	}
	pod := waitDeployment(t, rp, nil).Spec.Template.Spec
	if files, wantFiles := registryVolumeFiles(pod), []string{"registry-user/username=username", "registry-user/secret=password"}; !slices.Equal(files, wantFiles) {
		t.Errorf("schema-registry volume files = %v; want %v", files, wantFiles)
	}
	if !slices.ContainsFunc(pod.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == "schema-registry" && m.MountPath == manifests.SchemaRegistryDir && m.ReadOnly
	}) {
		t.Errorf("the proxy container mounts %+v; want schema-registry read-only at %s", pod.Containers[0].VolumeMounts, manifests.SchemaRegistryDir)
	}

	both := newRestProxy(ns, "both", func(rp *v1alpha1.RestProxy) {
		rp.Spec.SchemaRegistry = &v1alpha1.SchemaRegistrySpec{URLs: []string{registry.URL},
			BasicAuth:            &v1alpha1.SchemaRegistryBasicAuth{SecretRef: v1alpha1.SecretReference{Name: "registry-user"}},
			BearerTokenSecretRef: &v1alpha1.SecretKeySelector{Name: "registry-token", Key: "token"}}
	})
	err = k8s.Create(context.Background(), both)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.schemaRegistry: set basicAuth or bearerTokenSecretRef, not both") {
		t.Errorf("creating a RestProxy with basicAuth and bearerTokenSecretRef: %v; want Invalid saying they exclude each other", err)
	}
}

// registryVolumeFiles lists the schema-registry volume's files of pod as
// secret/key=path.
func registryVolumeFiles(pod corev1.PodSpec) []string {
	var files []string
	for _, v := range pod.Volumes {
		if v.Name != "schema-registry" || v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			for _, item := range src.Secret.Items {
				files = append(files, src.Secret.Name+"/"+item.Key+"="+item.Path)
			}
		}
	}
	return files
}

// A RestProxy whose registry does not answer the operator says so in its
// Degraded condition, naming the URL; everything is applied all the same.
func TestUnreachableRegistryIsReported(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	// The operator keeps answers per URL for minutes: the path keeps this
	// one apart from a registry of another test that gets the same port.
	closed := closedURL(t) + "/closed-port"
	rp := newRestProxy(ns, "schemas", func(rp *v1alpha1.RestProxy) {
		rp.Spec.SchemaRegistry = &v1alpha1.SchemaRegistrySpec{URLs: []string{closed}}
	})
	create(t, rp)
	got := waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonSchemaRegistryUnreachable)
	assertConditionMentions(t, got, v1alpha1.ConditionDegraded, "no Schema Registry answers the operator: "+closed+" (dial tcp")
	waitDeployment(t, rp, nil)
	waitConfig(t, rp, nil)
}
