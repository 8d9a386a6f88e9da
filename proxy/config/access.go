package config

import (
	"fmt"
	"net"
	"net/url"
)

// JWT configures authentication.type jwt: bearer tokens signed by an
// issuer's keys. Keys come from exactly one source: the issuer's discovery
// document (IssuerURL alone), a JWKS URL or a JWKS file; IssuerURL set
// with either of the others is the expected iss without discovery.
type JWT struct {
	IssuerURL string `json:"issuerURL"`
	JWKSURL   string `json:"jwksURL"`
	JWKSFile  string `json:"jwksFile"`
	// IssuerCAFile verifies the TLS of the issuer and JWKS URLs; empty:
	// the system roots.
	IssuerCAFile string `json:"issuerCAFile"`
	// IssuerTokenFile is sent as a bearer token when fetching the
	// discovery document and the JWKS, re-read on every fetch: the
	// Kubernetes API server asks it of the pod (its service-account token).
	IssuerTokenFile string   `json:"issuerTokenFile"`
	Audiences       []string `json:"audiences"`
	PrincipalClaim  string   `json:"principalClaim"`
	GroupsClaim     string   `json:"groupsClaim"`
	LeewayMs        int64    `json:"leewayMs"`
	// JWKSMinRefreshMs bounds how often a token with an unknown key makes
	// the proxy fetch the keys again.
	JWKSMinRefreshMs int64 `json:"jwksMinRefreshMs"`
}

// defaultJWT holds the defaults of the jwt keys.
var defaultJWT = JWT{PrincipalClaim: "sub", LeewayMs: 30000, JWKSMinRefreshMs: 10000}

// AccessRule grants the principals it matches its topics (none listed:
// authorization.topics) and, per principal and pod, its rate limits (0:
// only rateLimit's).
type AccessRule struct {
	Principals       []PrincipalMatch `json:"principals"`
	Topics           []TopicRule      `json:"topics,omitempty"`
	RecordsPerSecond int64            `json:"recordsPerSecond,omitempty"`
	BytesPerSecond   int64            `json:"bytesPerSecond,omitempty"`
}

// PrincipalMatch matches a principal by exact Name, name Prefix or Group;
// exactly one is set.
type PrincipalMatch struct {
	Name   string `json:"name,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Group  string `json:"group,omitempty"`
}

func (v *validator) jwt(j JWT) {
	const p = "authentication.jwt"
	switch {
	case j.IssuerURL == "" && j.JWKSURL == "" && j.JWKSFile == "":
		v.bad(p, "needs a source of keys: set issuerURL, jwksURL or jwksFile")
	case j.JWKSURL != "" && j.JWKSFile != "":
		v.bad(p+".jwksFile", "set jwksURL or jwksFile, not both")
	}
	v.httpsURL(p+".issuerURL", j.IssuerURL)
	v.httpsURL(p+".jwksURL", j.JWKSURL)
	if len(j.Audiences) == 0 {
		v.bad(p+".audiences", "must list at least one audience: tokens meant for other services must not be accepted")
	}
	for i, a := range j.Audiences {
		if a == "" {
			v.bad(fmt.Sprintf("%s.audiences[%d]", p, i), "must not be empty")
		}
	}
	if j.PrincipalClaim == "" {
		v.bad(p+".principalClaim", "must not be empty")
	}
	v.notNegative(p+".leewayMs", j.LeewayMs)
	v.positive(p+".jwksMinRefreshMs", j.JWKSMinRefreshMs)
}

// httpsURL checks an optional URL: absolute, https (http only for a
// loopback host, as tests and a local issuer use).
func (v *validator) httpsURL(field, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		v.bad(field, "must be an absolute URL; got %q", raw)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		v.bad(field, "must be an https URL (http only for localhost); got %q", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) rules(authType string, rules []AccessRule) {
	if len(rules) > 0 && authType == AuthNone {
		v.bad("authorization.rules", "need authentication: with type none no client has a name to match")
	}
	for i, r := range rules {
		p := fmt.Sprintf("authorization.rules[%d]", i)
		if len(r.Principals) == 0 {
			v.bad(p+".principals", "must list at least one principal")
		}
		for j, m := range r.Principals {
			if countSet(m.Name, m.Prefix, m.Group) != 1 {
				v.bad(fmt.Sprintf("%s.principals[%d]", p, j), "must set exactly one of name, prefix or group")
			}
		}
		for j, t := range r.Topics {
			if (t.Name == "") == (t.Prefix == "") {
				v.bad(fmt.Sprintf("%s.topics[%d]", p, j), "must set exactly one of name or prefix")
			}
		}
		v.notNegative(p+".recordsPerSecond", r.RecordsPerSecond)
		v.notNegative(p+".bytesPerSecond", r.BytesPerSecond)
	}
}

func countSet(values ...string) int {
	n := 0
	for _, s := range values {
		if s != "" {
			n++
		}
	}
	return n
}
