package controllers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/controllers/manifests"
)

// issuerCheckEvery is how long the answer of a check of a JWT issuer is
// kept: one request per issuer this often at most, however many
// RestProxies trust it. A RestProxy whose issuer did not answer is
// reconciled again after it, so its status clears once the issuer is back.
const issuerCheckEvery = 5 * time.Minute

// issuerChecks says whether the JWT issuers RestProxies trust answer, seen
// from the operator: it fetches what the proxy will fetch (the key set at
// spec.authentication.jwt.jwksURL, else the discovery document of
// issuerURL) with the system's roots, as the proxy does. The cluster's own
// issuer is not checked: it is the API server the operator talks to, and
// answers only to a service-account token. Keys from a Secret need no
// network.
type issuerChecks struct {
	client *http.Client
	cache  *probeCache // by URL
}

func newIssuerChecks() *issuerChecks {
	return &issuerChecks{client: &http.Client{Timeout: 5 * time.Second}, cache: newProbeCache(issuerCheckEvery)}
}

// issuerURL is the URL the proxy of rp fetches from its issuer, and the
// key of the spec that names it; "" when there is none to check.
func issuerURL(rp *v1alpha1.RestProxy) (url, field string) {
	a := rp.Spec.Authentication
	if a == nil || a.Type != v1alpha1.AuthenticationJWT || a.JWT == nil || manifests.InClusterIssuer(a.JWT) || a.JWT.JWKSSecretRef != nil {
		return "", ""
	}
	if a.JWT.JWKSURL != "" {
		return a.JWT.JWKSURL, "spec.authentication.jwt.jwksURL"
	}
	return strings.TrimSuffix(a.JWT.IssuerURL, "/") + "/.well-known/openid-configuration", "spec.authentication.jwt.issuerURL"
}

// unreachable says, when rp's issuer does not answer, what that means; ""
// when it answers or there is nothing to check.
func (c *issuerChecks) unreachable(ctx context.Context, rp *v1alpha1.RestProxy) string {
	url, field := issuerURL(rp)
	if url == "" || c == nil {
		return ""
	}
	if err := c.check(ctx, url); err != nil {
		return fmt.Sprintf("%s: %s cannot be fetched from the operator (%v): the proxy refuses tokens (503) whose keys it has not cached while the issuer does not answer",
			field, url, err)
	}
	return ""
}

// check fetches url unless an answer younger than issuerCheckEvery is kept.
func (c *issuerChecks) check(ctx context.Context, url string) error {
	return c.cache.check(url, func() error { return c.fetch(ctx, url) })
}

func (c *issuerChecks) fetch(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
