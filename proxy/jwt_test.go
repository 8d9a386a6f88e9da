package proxy

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// jwtConfig is authentication.type jwt against ti's discovery document.
func jwtConfig(ti *testIssuer, mutate func(*config.JWT)) func(*config.Config) {
	return func(c *config.Config) {
		c.Authentication.Type = config.AuthJWT
		c.Authentication.JWT.IssuerURL = ti.issuer
		c.Authentication.JWT.Audiences = []string{"other", audience}
		if mutate != nil {
			mutate(&c.Authentication.JWT)
		}
	}
}

func bearer(token string) string { return "Bearer " + token }

// wantInvalidToken checks a 401 of a token that does not verify: the
// reason in the message and in the challenge, never the token itself.
func wantInvalidToken(t *testing.T, resp *http.Response, body []byte, reason, token string) {
	t.Helper()
	wantError(t, resp, body, 401, 40101, "Unauthorized: invalid token: "+reason+".")
	challenge := `Bearer error="invalid_token", error_description="` + reason + `"`
	if got := resp.Header.Get("WWW-Authenticate"); got != challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", got, challenge)
	}
	if token != "" && strings.Contains(string(body), token) {
		t.Errorf("the answer quotes the token")
	}
}

// docs/produce-api.md, "JWT bearer tokens": a token the issuer signed,
// fetched over HTTP through its discovery document, produces; every kind
// of bad token is 401/40101 with a reason, before anything else.
func TestProduce_JWT_Refusals(t *testing.T) {
	t.Parallel()
	ti := startIssuer(t)
	ts := startServer(t, jwtConfig(ti, nil))
	url := ts.url("c", "orders")
	key := ti.key()
	stranger := newECSigner(t, "stranger")
	with := func(change func(map[string]any)) map[string]any {
		c := ti.claims("alice", time.Hour)
		change(c)
		return c
	}
	// mockoidc's own signing code (golang-jwt), not the test's.
	issued, err := ti.oidc.Keypair.SignJWT(jwt.MapClaims(ti.claims("alice", time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := produceAs(t, url, bearer(issued)); resp.StatusCode != 200 {
		t.Fatalf("a token mockoidc signed: %d %s", resp.StatusCode, body)
	}
	resp, body := produceAs(t, url, "")
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("no token: WWW-Authenticate = %q, want Bearer", got)
	}
	for _, c := range []struct{ name, token, reason string }{
		{"malformed", "not-a-jwt", "malformed token"},
		{"three garbage parts", "a.b.c", "malformed token"},
		{"expired beyond the leeway", key.sign(t, with(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "token expired"},
		{"not yet valid", key.sign(t, with(func(c map[string]any) { c["nbf"] = time.Now().Add(2 * time.Minute).Unix() })), "token not yet valid"},
		{"wrong issuer", key.sign(t, with(func(c map[string]any) { c["iss"] = "https://evil.example" })), "wrong issuer"},
		{"wrong audience", key.sign(t, with(func(c map[string]any) { c["aud"] = "someone-else" })), "wrong audience"},
		{"no exp", key.sign(t, with(func(c map[string]any) { delete(c, "exp") })), "no exp claim"},
		{"no principal", key.sign(t, with(func(c map[string]any) { delete(c, "sub") })), "no sub claim"},
		{"unknown kid", stranger.sign(t, ti.claims("alice", time.Hour)), "unknown signing key"},
		{"signed by another key under a known kid", testSigner{kid: key.kid, alg: stranger.alg, private: stranger.private}.sign(t, ti.claims("alice", time.Hour)), "bad signature"},
		{"alg none", unsigned(t, ti.claims("alice", time.Hour)), "signing algorithm not allowed"},
		{"HS256 keyed with the public key", hs256WithPublicKey(t, key, ti.claims("alice", time.Hour)), "signing algorithm not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := produceAs(t, url, bearer(c.token))
			wantInvalidToken(t, resp, body, c.reason, c.token)
		})
	}
	// Within the leeway (30 s by default), an expired token still counts.
	late := key.sign(t, with(func(c map[string]any) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() }))
	if resp, body := produceAs(t, url, bearer(late)); resp.StatusCode != 200 {
		t.Errorf("expired 10 s ago, within the leeway: %d %s", resp.StatusCode, body)
	}
}

// unsigned is an "alg": "none" token.
func unsigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	return segment(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + segment(t, claims) + "."
}

// hs256WithPublicKey is the classic confusion attack: an HMAC token whose
// secret is the issuer's public key, which a verifier that trusted the
// token's alg would accept.
func hs256WithPublicKey(t *testing.T, s testSigner, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.public().Key)
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	input := segment(t, map[string]string{"alg": "HS256", "typ": "JWT", "kid": s.kid}) + "." + segment(t, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func segment(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}
