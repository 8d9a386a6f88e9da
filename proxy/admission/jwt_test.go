package admission

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filetest"
)

type signer struct {
	kid string
	key *ecdsa.PrivateKey
}

func newSigner(t testing.TB, kid string) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, key: k}
}

func (s signer) jwks(t testing.TB) []byte {
	t.Helper()
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (s signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid)
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(sg).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func claimsFor(iss, aud, sub string) map[string]any {
	return map[string]any{"iss": iss, "aud": aud, "sub": sub, "exp": time.Now().Add(time.Hour).Unix(), "groups": []string{"g1", "g2"}}
}

// The Kubernetes set-up (README, "Kubernetes service-account tokens"): the
// issuer is an HTTPS API server whose CA is issuerCAFile and which asks the
// pod's own service-account token (issuerTokenFile, re-read on every
// fetch) for its discovery document and JWKS; the audience is the
// cluster's default one.
func TestJWT_KubernetesStyleIssuer(t *testing.T) {
	s := newSigner(t, "sa-key")
	var issuer string
	var badAuth atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer pod-token" {
			badAuth.Add(1)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": issuer + "/openid/v1/jwks"})
		case "/openid/v1/jwks":
			_, _ = w.Write(s.jwks(t))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	issuer = srv.URL
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, "stale-token\n")
	cfg := jwtConfig(config.JWT{IssuerURL: issuer, IssuerCAFile: ca, IssuerTokenFile: tokenFile, Audiences: []string{issuer}, GroupsClaim: "groups"})
	v, err := newJWTVerifier(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	token := s.sign(t, claimsFor(issuer, issuer, "system:serviceaccount:shop:orders"))
	if _, rerr := v.verify(context.Background(), token); rerr == nil || rerr.Kind != apierror.IssuerUnavailable || badAuth.Load() == 0 {
		t.Fatalf("with a token the API server refuses: %v (refused fetches %d), want 503", rerr, badAuth.Load())
	}
	writeFile(t, tokenFile, "pod-token\n")                          // the kubelet rotated it
	v.now = func() time.Time { return time.Now().Add(time.Minute) } // past jwksMinRefresh
	v.source.(*remoteKeys).now = v.now
	got, rerr := v.verify(context.Background(), token)
	if rerr != nil {
		t.Fatalf("verify: %v", rerr)
	}
	if p := got; p.Name != "system:serviceaccount:shop:orders" || p.Kind != config.AuthJWT || len(p.Groups) != 2 {
		t.Errorf("principal %+v", p)
	}
}

func jwtConfig(j config.JWT) config.JWT {
	d := config.Default().Authentication.JWT
	j.PrincipalClaim, j.LeewayMs, j.JWKSMinRefreshMs = d.PrincipalClaim, d.LeewayMs, d.JWKSMinRefreshMs
	return j
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// authentication.jwt.jwksFile is re-read when it changes: a key added to
// the file verifies without a restart. A file holding a private key is
// refused.
func TestJWT_JWKSFile(t *testing.T) {
	a, b := newSigner(t, "a"), newSigner(t, "b")
	path := filepath.Join(t.TempDir(), "jwks.json")
	filetest.Replace(t, path, string(a.jwks(t)))
	v, err := newJWTVerifier(jwtConfig(config.JWT{JWKSFile: path, Audiences: []string{"rp"}}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, rerr := v.verify(context.Background(), a.sign(t, claimsFor("any", "rp", "alice"))); rerr != nil {
		t.Errorf("key a: %v", rerr)
	}
	tokenB := b.sign(t, claimsFor("any", "rp", "bob"))
	if _, rerr := v.verify(context.Background(), tokenB); rerr == nil || rerr.Message != "Unauthorized: invalid token: unknown signing key." {
		t.Errorf("key b before it is in the file: %v", rerr)
	}
	filetest.Replace(t, path, string(b.jwks(t)))
	_, _ = v.source.(*fileKeys).files.Check()
	if _, rerr := v.verify(context.Background(), tokenB); rerr != nil {
		t.Errorf("key b after the file changed: %v", rerr)
	}
	private, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: a.key, KeyID: "a"}}})
	filetest.Replace(t, path, string(private))
	if _, err := newJWTVerifier(jwtConfig(config.JWT{JWKSFile: path, Audiences: []string{"rp"}}), nil, nil); err == nil {
		t.Errorf("a JWKS file with a private key was accepted")
	}
}

// FuzzJWTVerify: whatever a client sends as a token, verification answers
// (a refusal or a principal) and never panics. The seeds run in go test.
func FuzzJWTVerify(f *testing.F) {
	s := newSigner(f, "k")
	path := filepath.Join(f.TempDir(), "jwks.json")
	if err := os.WriteFile(path, s.jwks(f), 0o600); err != nil {
		f.Fatal(err)
	}
	v, err := newJWTVerifier(jwtConfig(config.JWT{JWKSFile: path, Audiences: []string{"rp"}}), nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	good := s.sign(f, claimsFor("any", "rp", "alice"))
	for _, seed := range []string{
		good, good[:len(good)/2], "", ".", "..", "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.",
		"eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.bm90IGpzb24.AAAA", good + "." + good, "\x00\xff.\x80.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		got, rerr := v.verify(context.Background(), token)
		if rerr == nil && got.Name == "" {
			t.Fatalf("a token verified with no principal")
		}
	})
}

// The first rule that matches the principal applies; without rules,
// authorization.topics is everyone's.
func TestPolicy_Grant(t *testing.T) {
	p := policy{
		topics: []config.TopicRule{{Name: "shared"}},
		rules: []config.AccessRule{
			{Principals: []config.PrincipalMatch{{Name: "alice"}}, Topics: []config.TopicRule{{Prefix: "a."}}, RecordsPerSecond: 5},
			{Principals: []config.PrincipalMatch{{Group: "ops"}, {Prefix: "svc-"}}},
		},
	}
	for _, c := range []struct {
		name  string
		pr    Principal
		topic string
		want  bool
	}{
		{"alice's prefix", Principal{Name: "alice", Groups: []string{"ops"}}, "a.orders", true},
		{"alice's first rule wins over her group's", Principal{Name: "alice", Groups: []string{"ops"}}, "shared", false},
		{"a group member gets the default topics", Principal{Name: "bob", Groups: []string{"ops"}}, "shared", true},
		{"a prefix match too", Principal{Name: "svc-x"}, "shared", true},
		{"no rule matches", Principal{Name: "mallory"}, "shared", false},
		{"a name is not a prefix", Principal{Name: "alice2"}, "a.orders", false},
	} {
		if got := p.grant(c.pr).Allows(c.topic); got != c.want {
			t.Errorf("%s: Allows(%s) = %v, want %v", c.name, c.topic, got, c.want)
		}
	}
	if l := p.grant(Principal{Name: "alice"}).Limits; l.RecordsPerSecond != 5 {
		t.Errorf("alice's limits %+v", l)
	}
	if !(&policy{topics: nil}).grant(Principal{}).Allows("anything") {
		t.Errorf("no rules, no topics: every topic is allowed")
	}
}

// BenchmarkJWTVerify: a token seen before costs a hash and a map lookup;
// the first sight of one costs its signature check.
func BenchmarkJWTVerify(b *testing.B) {
	s := newSigner(b, "k")
	path := filepath.Join(b.TempDir(), "jwks.json")
	if err := os.WriteFile(path, s.jwks(b), 0o600); err != nil {
		b.Fatal(err)
	}
	v, err := newJWTVerifier(jwtConfig(config.JWT{JWKSFile: path, Audiences: []string{"rp"}}), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	token := s.sign(b, claimsFor("any", "rp", "alice"))
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, rerr := v.verify(context.Background(), token); rerr != nil {
				b.Fatal(rerr)
			}
		}
	})
	b.Run("first sight", func(b *testing.B) {
		for b.Loop() {
			v.cache = newTokenCache()
			if _, rerr := v.verify(context.Background(), token); rerr != nil {
				b.Fatal(rerr)
			}
		}
	})
}
