package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// benchIssuer signs the jwt mode's token and writes the JWKS file its proxy
// verifies it with: the cost measured is the proxy's verification (a
// signature check once, then a hash per request), not a key fetch.
type benchIssuer struct {
	jwksFile string
	token    string
}

// benchAudience is the audience of the jwt mode's token and proxy.
const benchAudience = "restproxy-bench"

func newBenchIssuer(dir string) (*benchIssuer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "bench", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "bench-jwks.json")
	if err := os.WriteFile(path, jwks, 0o600); err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "bench"))
	if err != nil {
		return nil, err
	}
	token, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: "https://bench.invalid", Subject: "bench-client", Audience: jwt.Audience{benchAudience},
		Expiry: jwt.NewNumericDate(time.Now().Add(24 * time.Hour)),
	}).Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign the bench token: %w", err)
	}
	return &benchIssuer{jwksFile: path, token: token}, nil
}

// configure turns authentication.type jwt on in cfg, with a per-principal
// rule that grants every topic, so the mode pays for the policy too.
func (i *benchIssuer) configure(cfg *config.Config) {
	cfg.Authentication.Type = config.AuthJWT
	cfg.Authentication.JWT.IssuerURL = "https://bench.invalid"
	cfg.Authentication.JWT.JWKSFile = i.jwksFile
	cfg.Authentication.JWT.Audiences = []string{benchAudience}
	cfg.Authorization.Rules = []config.AccessRule{{Principals: []config.PrincipalMatch{{Prefix: "bench-"}}}}
}

// jwtMode is the single mode with a bearer token on every POST (withProxy
// sets it on the target): its records/s against single's is what
// verifying tokens costs.
func (b *bench) jwtMode() proxyMode {
	n := b.o.singleClients
	return proxyMode{"jwt", Result{Mode: fmt.Sprintf("jwt-single-%d", n), Kind: "throughput", Streams: n,
		Note: "the single mode with authentication.type jwt: an ES256 token on every POST (verified once, then remembered by its hash) and a per-principal rule; compare with single"},
		func(t loadgen.Target, deadline time.Time, tl *tally) []time.Duration {
			postSingles(t, b.rs, n, deadline, tl)
			return nil
		}}
}
