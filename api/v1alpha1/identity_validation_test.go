package v1alpha1_test

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// jwtAuth is authentication type jwt with j.
func jwtAuth(j *v1alpha1.JWTSpec) *v1alpha1.AuthenticationSpec {
	return &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationJWT, JWT: j}
}

var aud = []string{"restproxy"}

// TestIdentityCELRules proves the rules of spec.authentication.jwt and
// spec.access against the API server, as TestCELRules does the others.
func TestIdentityCELRules(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	rules := []celRule{
		{
			rule:    "jwt with type jwt only",
			message: "spec.authentication.jwt is required when spec.authentication.type is jwt, and must be absent otherwise",
			field:   "spec.authentication.jwt",
			bad: []specCase{
				{"jwt without the jwt block", func(s *v1alpha1.RestProxySpec) { s.Authentication = jwtAuth(nil) }},
				{"basic with a jwt block", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic, SecretRef: secretKey("c", "k"),
						JWT: &v1alpha1.JWTSpec{IssuerURL: "https://i.example", Audiences: aud}}
				}},
			},
			good: []specCase{
				{"jwt with an issuer", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{IssuerURL: "https://i.example", Audiences: aud, PrincipalClaim: "client_id", GroupsClaim: "groups"})
				}},
			},
		},
		{
			rule:    "a source of keys",
			message: "spec.authentication.jwt needs a source of keys: set issuerURL, jwksURL or jwksSecretRef",
			field:   "spec.authentication.jwt",
			bad: []specCase{
				{"audiences only", func(s *v1alpha1.RestProxySpec) { s.Authentication = jwtAuth(&v1alpha1.JWTSpec{Audiences: aud}) }},
			},
			good: []specCase{
				{"a JWKS URL", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{JWKSURL: "https://i.example/keys", Audiences: aud})
				}},
				{"a JWKS Secret", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{JWKSSecretRef: secretKey("jwks", "jwks.json"), Audiences: aud})
				}},
			},
		},
		{
			rule:    "one JWKS",
			message: "spec.authentication.jwt: set jwksURL or jwksSecretRef, not both",
			field:   "spec.authentication.jwt.jwksSecretRef",
			bad: []specCase{
				{"both", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{JWKSURL: "https://i.example/keys", JWKSSecretRef: secretKey("j", "k"), Audiences: aud})
				}},
			},
			good: []specCase{
				{"an issuer with a JWKS Secret", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{IssuerURL: "https://kubernetes.default.svc", JWKSSecretRef: secretKey("j", "k"), Audiences: aud})
				}},
			},
		},
		{
			rule:    "access needs authentication",
			message: "spec.access needs spec.authentication: with type none no client has a name to match",
			field:   "spec.access",
			bad: []specCase{
				{"no authentication", func(s *v1alpha1.RestProxySpec) {
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Name: "a"}}}}
				}},
				{"type none", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationNone}
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Name: "a"}}}}
				}},
			},
			good: []specCase{
				{"rules with basic", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic, SecretRef: secretKey("c", "k")}
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Name: "a"}, {Prefix: "svc-"}},
						Topics: []v1alpha1.TopicRule{{Name: "orders"}}, RecordsPerSecond: ptr.To[int64](5), BytesPerSecond: ptr.To[int64](500)}}
				}},
			},
		},
		{
			rule:    "one matcher per principal",
			message: "each spec.access[].principals entry must set exactly one of name, prefix or group",
			field:   "spec.access[0].principals[1]",
			bad: []specCase{
				{"name and group", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{IssuerURL: "https://i.example", Audiences: aud})
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Name: "a"}, {Name: "b", Group: "g"}}}}
				}},
				{"none", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{IssuerURL: "https://i.example", Audiences: aud})
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Group: "g"}, {}}}}
				}},
			},
		},
		{
			rule:    "one matcher per access topic",
			message: "each topic rule (spec.topics.allow, spec.access[].topics) must set exactly one of name or prefix",
			field:   "spec.access[0].topics[0]",
			bad: []specCase{
				{"name and prefix", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = jwtAuth(&v1alpha1.JWTSpec{IssuerURL: "https://i.example", Audiences: aud})
					s.Access = []v1alpha1.AccessRule{{Principals: []v1alpha1.PrincipalMatch{{Group: "g"}}, Topics: []v1alpha1.TopicRule{{Name: "a", Prefix: "b"}}}}
				}},
			},
		},
	}
	rules = append(rules, celRule{
		rule:    "identity principal needs SASL",
		message: "spec.kafka.identity principal needs spec.kafka.sasl: the principals' users are SASL users",
		field:   "spec.kafka.identity",
		bad: []specCase{
			{"no sasl", func(s *v1alpha1.RestProxySpec) { s.Kafka.Identity = "principal" }},
		},
		good: []specCase{
			{"with sasl and a principal's user", func(s *v1alpha1.RestProxySpec) {
				s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "PLAIN", Username: "proxy", PasswordSecretRef: secretKey("p", "pw")}
				s.Kafka.Identity = "principal"
				s.Kafka.Principals = []v1alpha1.KafkaPrincipal{{Principal: "alice", Username: "kafka-alice", PasswordSecretRef: *secretKey("alice", "password")}}
			}},
			{"proxy without sasl", func(s *v1alpha1.RestProxySpec) { s.Kafka.Identity = "proxy" }},
		},
	})
	checkCELRules(t, ns, rules)
}
