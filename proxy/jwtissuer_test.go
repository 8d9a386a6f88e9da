package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/oauth2-proxy/mockoidc"
)

// testIssuer is a real OIDC provider (mockoidc) serving its discovery
// document and JWKS over HTTP, which the proxy fetches. A middleware in
// front of its JWKS endpoint lets a test rotate the published keys, set
// their Cache-Control max-age, take the endpoint down, and count fetches.
type testIssuer struct {
	t      testing.TB
	oidc   *mockoidc.MockOIDC
	issuer string

	mu        sync.Mutex
	published []jose.JSONWebKey // nil: mockoidc's own JWKS
	maxAge    string            // Cache-Control max-age; "" for none
	down      bool
	fetches   atomic.Int64
}

// audience is the audience the proxy under test expects.
const audience = "restproxy"

func startIssuer(t testing.TB) *testIssuer {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{t: t, oidc: m}
	if err := m.AddMiddleware(ti.jwksMiddleware); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	ti.issuer = m.Issuer()
	return ti
}

func (ti *testIssuer) jwksMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mockoidc.JWKSEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		ti.fetches.Add(1)
		ti.mu.Lock()
		down, keys, maxAge := ti.down, ti.published, ti.maxAge
		ti.mu.Unlock()
		if maxAge != "" {
			w.Header().Set("Cache-Control", "max-age="+maxAge)
		}
		switch {
		case down:
			http.Error(w, "down", http.StatusServiceUnavailable)
		case keys == nil:
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: keys})
		}
	})
}

// publish replaces the published keys (the public halves of signers).
func (ti *testIssuer) publish(signers ...testSigner) {
	keys := make([]jose.JSONWebKey, 0, len(signers))
	for _, s := range signers {
		keys = append(keys, s.public())
	}
	ti.mu.Lock()
	ti.published = keys
	ti.mu.Unlock()
}

func (ti *testIssuer) setDown(down bool) {
	ti.mu.Lock()
	ti.down = down
	ti.mu.Unlock()
}

func (ti *testIssuer) setMaxAge(s string) {
	ti.mu.Lock()
	ti.maxAge = s
	ti.mu.Unlock()
}

// key is mockoidc's own signing key, which its JWKS publishes.
func (ti *testIssuer) key() testSigner {
	kid, err := ti.oidc.Keypair.KeyID()
	if err != nil {
		ti.t.Fatal(err)
	}
	return testSigner{kid: kid, alg: jose.RS256, private: ti.oidc.Keypair.PrivateKey}
}

// claims are a valid token's claims for sub, valid for ttl.
func (ti *testIssuer) claims(sub string, ttl time.Duration) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": ti.issuer, "aud": []string{audience}, "sub": sub,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	}
}

// testSigner signs tokens with one key, naming it by kid.
type testSigner struct {
	kid     string
	alg     jose.SignatureAlgorithm
	private any
}

func newECSigner(t testing.TB, kid string) testSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{kid: kid, alg: jose.ES256, private: k}
}

func (s testSigner) public() jose.JSONWebKey {
	k := jose.JSONWebKey{Key: s.private}
	return jose.JSONWebKey{Key: k.Public().Key, KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"}
}

func (s testSigner) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: s.private}, opts)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}
