package config

import (
	"strings"
	"testing"
)

// The jwt keys and authorization.rules: a clear error names each bad
// field and value; a good document keeps the defaults of what it leaves
// out.
func TestParse_Access(t *testing.T) {
	const jwt = "authentication:\n  type: jwt\n  jwt:\n"
	for _, c := range []struct{ name, yaml, wantErr string }{
		{"issuer discovery", jwt + "    issuerURL: https://issuer.example\n    audiences: [restproxy]\n", ""},
		{"issuer with a JWKS file", jwt + "    issuerURL: https://kubernetes.default.svc\n    jwksFile: /keys.json\n    audiences: [https://kubernetes.default.svc]\n", ""},
		{"no key source", jwt + "    audiences: [a]\n", "authentication.jwt: needs a source of keys"},
		{"two key sources", jwt + "    jwksURL: https://a/keys\n    jwksFile: /k\n    audiences: [a]\n", "authentication.jwt.jwksFile: set jwksURL or jwksFile, not both"},
		{"no audience", jwt + "    issuerURL: https://issuer.example\n", "authentication.jwt.audiences: must list at least one"},
		{"empty audience", jwt + "    issuerURL: https://issuer.example\n    audiences: [\"\"]\n", "authentication.jwt.audiences[0]: must not be empty"},
		{"plain http issuer", jwt + "    issuerURL: http://issuer.example\n    audiences: [a]\n", `authentication.jwt.issuerURL: must be an https URL (http only for localhost); got "http://issuer.example"`},
		{"http on loopback", jwt + "    issuerURL: http://127.0.0.1:5556/dex\n    audiences: [a]\n", ""},
		{"relative JWKS URL", jwt + "    jwksURL: /keys\n    audiences: [a]\n", `authentication.jwt.jwksURL: must be an absolute URL; got "/keys"`},
		{"empty principal claim", jwt + "    issuerURL: https://i\n    audiences: [a]\n    principalClaim: \"\"\n", "authentication.jwt.principalClaim: must not be empty"},
		{"zero min refresh", jwt + "    issuerURL: https://i\n    audiences: [a]\n    jwksMinRefreshMs: -1\n", "authentication.jwt.jwksMinRefreshMs: must be greater than 0"},
		{"rules without authentication", "authorization:\n  rules:\n  - principals: [{name: a}]\n", "authorization.rules: need authentication"},
		{"rule without principals", "authentication: {type: mtls}\nhttp: {tls: {certFile: /c, keyFile: /k, clientCAFile: /ca}}\nauthorization:\n  rules:\n  - topics: [{name: a}]\n", "authorization.rules[0].principals: must list at least one"},
		{"principal with two matchers", "authentication: {type: basic, credentialsFile: /c}\nauthorization:\n  rules:\n  - principals: [{name: a, group: g}]\n", "authorization.rules[0].principals[0]: must set exactly one of name, prefix or group"},
		{"rule topic with neither", "authentication: {type: basic, credentialsFile: /c}\nauthorization:\n  rules:\n  - principals: [{prefix: a}]\n    topics: [{}]\n", "authorization.rules[0].topics[0]: must set exactly one of name or prefix"},
		{"negative rule limit", "authentication: {type: basic, credentialsFile: /c}\nauthorization:\n  rules:\n  - principals: [{prefix: a}]\n    bytesPerSecond: -5\n", "authorization.rules[0].bytesPerSecond: must not be negative; got -5"},
		{"identity principal without SASL", "authentication: {type: basic, credentialsFile: /c}\nkafka: {identity: principal}\n", "kafka.identity: principal needs kafka.sasl.mechanism"},
		{"identity principal without authentication", "kafka: {identity: principal, sasl: {mechanism: PLAIN, username: p, passwordFile: /p}}\n", "kafka.identity: principal needs authentication"},
		{"a principal mapped twice", "authentication: {type: basic, credentialsFile: /c}\nkafka: {identity: principal, sasl: {mechanism: PLAIN, username: p, passwordFile: /p}, principals: [{principal: a, username: u, passwordFile: /a}, {principal: a, username: v, passwordFile: /b}]}\n", `kafka.principals[1].principal: "a" is mapped twice`},
		{"a principal without a user", "authentication: {type: basic, credentialsFile: /c}\nkafka: {identity: principal, sasl: {mechanism: PLAIN, username: p, passwordFile: /p}, principals: [{principal: a, passwordFile: /a}]}\n", "kafka.principals[0].username: must not be empty"},
		{"unknown identity", "kafka: {identity: client}\n", `kafka.identity: must be one of "proxy", "principal"; got "client"`},
		{"unknown key in a rule", "authentication: {type: basic, credentialsFile: /c}\nauthorization:\n  rules:\n  - principals: [{user: a}]\n", `unknown key "authorization.rules[0].principals[0].user"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.yaml))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			case c.wantErr == "":
				if j := cfg.Authentication.JWT; j.PrincipalClaim != "sub" || j.LeewayMs != 30000 || j.JWKSMinRefreshMs != 10000 {
					t.Errorf("defaults not kept: %+v", j)
				}
			}
		})
	}
}
