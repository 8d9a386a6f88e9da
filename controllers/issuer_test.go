package controllers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func jwtRestProxy(j v1alpha1.JWTSpec) *v1alpha1.RestProxy {
	return newRestProxy("t", "p", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationJWT, JWT: &j}
	})
}

// The check fetches what the proxy would, over real HTTPS: an issuer that
// answers is no note, one that fails or is not there names the field, the
// URL and why; an answer is kept, so many RestProxies of one issuer cost
// one request; the cluster's own issuer and keys from a Secret are not
// checked.
func TestIssuerChecks(t *testing.T) {
	var hits atomic.Int64
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !healthy.Load() || r.URL.Path != "/.well-known/openid-configuration" {
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := newIssuerChecks()
	c.client = srv.Client()

	if note := c.unreachable(ctx, jwtRestProxy(v1alpha1.JWTSpec{IssuerURL: srv.URL + "/", Audiences: []string{"a"}})); note != "" {
		t.Errorf("a healthy issuer: %q, want no note", note)
	}
	c.unreachable(ctx, jwtRestProxy(v1alpha1.JWTSpec{IssuerURL: srv.URL, Audiences: []string{"b"}}))
	if n := hits.Load(); n != 1 {
		t.Errorf("two RestProxies of one issuer made %d requests, want 1", n)
	}
	healthy.Store(false)
	note := c.unreachable(ctx, jwtRestProxy(v1alpha1.JWTSpec{JWKSURL: srv.URL + "/keys", Audiences: []string{"a"}}))
	if !strings.Contains(note, "spec.authentication.jwt.jwksURL: "+srv.URL+"/keys cannot be fetched") || !strings.Contains(note, "HTTP 500") {
		t.Errorf("a failing key set: %q", note)
	}
	note = c.unreachable(ctx, jwtRestProxy(v1alpha1.JWTSpec{IssuerURL: "https://127.0.0.1:1", Audiences: []string{"a"}}))
	if !strings.Contains(note, "spec.authentication.jwt.issuerURL: https://127.0.0.1:1/.well-known/openid-configuration cannot be fetched") {
		t.Errorf("an issuer not there: %q", note)
	}
	before := hits.Load()
	for _, j := range []v1alpha1.JWTSpec{
		{IssuerURL: "https://kubernetes.default.svc", Audiences: []string{"a"}},
		{IssuerURL: srv.URL, JWKSSecretRef: &v1alpha1.SecretKeySelector{Name: "k", Key: "jwks"}, Audiences: []string{"a"}},
	} {
		if note := c.unreachable(ctx, jwtRestProxy(j)); note != "" || hits.Load() != before {
			t.Errorf("%+v: note %q after %d requests, want none checked", j, note, hits.Load()-before)
		}
	}
}

// A RestProxy whose issuer does not answer the operator says so in its
// Degraded condition; the rest is applied.
func TestUnreachableIssuerIsReported(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rp := newRestProxy(ns, "sso", func(rp *v1alpha1.RestProxy) {
		rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationJWT,
			JWT: &v1alpha1.JWTSpec{IssuerURL: "https://127.0.0.1:1", Audiences: []string{"restproxy"}}}
	})
	create(t, rp)
	got := waitCondition(t, client.ObjectKeyFromObject(rp), v1alpha1.ConditionDegraded, metav1.ConditionTrue, ReasonIssuerUnreachable)
	for _, cond := range got.Status.Conditions {
		if cond.Type == v1alpha1.ConditionDegraded && !strings.Contains(cond.Message, "https://127.0.0.1:1/.well-known/openid-configuration cannot be fetched from the operator") {
			t.Errorf("Degraded message %q does not name the issuer's URL", cond.Message)
		}
	}
	waitDeployment(t, rp, nil)
}
