package admission

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// signingAlgorithms are the JWS algorithms a token may be signed with:
// asymmetric only. "none" and HMAC are refused, so that a verification key
// published in a JWKS can never serve as a shared secret.
var signingAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA,
}

// jwtVerifier checks bearer tokens (authentication.jwt): the signature by
// one of the issuer's keys, iss, aud (one of audiences), exp and nbf with
// leeway, and that the principal claim names someone. Verified tokens are
// remembered by their SHA-256 until they expire, while the keys that
// verified them are fresh, so a client's every request costs a hash.
type jwtVerifier struct {
	source         keySource
	issuer         string // "": not checked
	audiences      []string
	principalClaim string
	groupsClaim    string // "": no groups
	leeway         time.Duration
	now            func() time.Time
	cache          *tokenCache
}

func newJWTVerifier(j config.JWT, log *slog.Logger, m reload.Metrics) (*jwtVerifier, error) {
	v := &jwtVerifier{
		issuer:         j.IssuerURL,
		audiences:      j.Audiences,
		principalClaim: j.PrincipalClaim,
		groupsClaim:    j.GroupsClaim,
		leeway:         time.Duration(j.LeewayMs) * time.Millisecond,
		now:            time.Now,
		cache:          newTokenCache(),
	}
	if j.JWKSFile != "" {
		keys, err := newFileKeys(j.JWKSFile, log, m)
		if err != nil {
			return nil, err
		}
		v.source = keys
		return v, nil
	}
	f, err := newJWKSFetcher(j)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v.source = &remoteKeys{fetch: f.fetch, minRefresh: time.Duration(j.JWKSMinRefreshMs) * time.Millisecond, now: time.Now, log: log}
	return v, nil
}

// verify returns the token's principal, or the refusal: 401 with a
// reason that never quotes the token, 503 when the issuer's keys cannot
// be had.
func (v *jwtVerifier) verify(ctx context.Context, raw string) (Principal, *apierror.Error) {
	now := v.now()
	sum := sha256.Sum256([]byte(raw))
	if t, ok := v.cache.get(sum, now); ok && v.source.fresh(now) {
		return t, nil
	}
	tok, err := jwt.ParseSigned(raw, signingAlgorithms)
	if err != nil {
		return Principal{}, invalidToken(parseReason(raw))
	}
	keys, err := v.source.keys(ctx, tok.Headers[0].KeyID)
	switch {
	case errors.Is(err, errKeysUnavailable):
		return Principal{}, apierror.New(apierror.IssuerUnavailable)
	case err != nil:
		return Principal{}, invalidToken("unknown signing key")
	}
	var std jwt.Claims
	var all map[string]any
	if !claimsOf(tok, keys, &std, &all) {
		return Principal{}, invalidToken("bad signature")
	}
	t, rerr := v.check(std, all, now)
	if rerr == nil {
		v.cache.put(sum, t, now)
	}
	return t, rerr
}

// claimsOf verifies tok with each key until one verifies it.
func claimsOf(tok *jwt.JSONWebToken, keys []jose.JSONWebKey, dest ...any) bool {
	for _, k := range keys {
		if tok.Claims(k.Key, dest...) == nil {
			return true
		}
	}
	return false
}

// check applies the claims' rules to a token whose signature verified.
func (v *jwtVerifier) check(std jwt.Claims, all map[string]any, now time.Time) (Principal, *apierror.Error) {
	if std.Expiry == nil {
		return Principal{}, invalidToken("no exp claim")
	}
	err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.issuer, AnyAudience: v.audiences, Time: now}, v.leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return Principal{}, invalidToken("token expired")
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Principal{}, invalidToken("token not yet valid")
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return Principal{}, invalidToken("wrong issuer")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return Principal{}, invalidToken("wrong audience")
	case err != nil:
		return Principal{}, invalidToken("invalid claims")
	}
	name, _ := all[v.principalClaim].(string)
	if name == "" {
		return Principal{}, invalidToken(fmt.Sprintf("no %s claim", v.principalClaim))
	}
	p := Principal{Kind: config.AuthJWT, Name: name}
	if v.groupsClaim != "" {
		p.Groups = stringsOf(all[v.groupsClaim])
	}
	p.Expiry = std.Expiry.Time().Add(v.leeway)
	return p, nil
}

// stringsOf reads a groups claim: an array of strings, or one string.
func stringsOf(claim any) []string {
	switch c := claim.(type) {
	case string:
		return []string{c}
	case []any:
		out := make([]string, 0, len(c))
		for _, g := range c {
			if s, ok := g.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// parseReason tells a token signed with a refused algorithm from one that
// is no JWS at all, from its header alone.
func parseReason(raw string) string {
	header, _, ok := strings.Cut(raw, ".")
	if !ok {
		return "malformed token"
	}
	data, err := base64.RawURLEncoding.DecodeString(header)
	var h struct {
		Alg string `json:"alg"`
	}
	if err != nil || json.Unmarshal(data, &h) != nil || h.Alg == "" {
		return "malformed token"
	}
	for _, a := range signingAlgorithms {
		if string(a) == h.Alg {
			return "malformed token"
		}
	}
	return "signing algorithm not allowed"
}

// invalidToken is the 401 of a token that does not verify, with the
// challenge of RFC 6750: the reason is ours, never the token's content.
func invalidToken(reason string) *apierror.Error {
	return apierror.Challenge(apierror.New(apierror.InvalidToken, reason),
		fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, reason))
}
