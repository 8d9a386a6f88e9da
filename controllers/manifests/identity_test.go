package manifests

import (
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// jwtProxy is minimal with authentication jwt set to j.
func jwtProxy(j v1alpha1.JWTSpec) *v1alpha1.RestProxy {
	rp := minimal()
	rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationJWT, JWT: &j}
	return rp
}

// spec.authentication.jwt renders as authentication.jwt, only what the
// spec sets (the proxy's defaults for the rest); the cluster's own issuer
// gets its JWKS URL, the cluster CA and the pod's token.
func TestJWTMapping(t *testing.T) {
	defaults := config.Default().Authentication.JWT
	for _, c := range []struct {
		name string
		spec v1alpha1.JWTSpec
		want config.JWT
	}{
		{"keycloak discovery", v1alpha1.JWTSpec{IssuerURL: "https://kc.example/realms/k", Audiences: []string{"rp"}, PrincipalClaim: "client_id", GroupsClaim: "groups"},
			config.JWT{IssuerURL: "https://kc.example/realms/k", Audiences: []string{"rp"}, PrincipalClaim: "client_id", GroupsClaim: "groups"}},
		{"a JWKS URL", v1alpha1.JWTSpec{JWKSURL: "https://idp.example/keys", Audiences: []string{"rp"}},
			config.JWT{JWKSURL: "https://idp.example/keys", Audiences: []string{"rp"}}},
		{"a JWKS Secret", v1alpha1.JWTSpec{IssuerURL: "https://idp.example", JWKSSecretRef: &v1alpha1.SecretKeySelector{Name: "jwks", Key: "keys.json"}, Audiences: []string{"rp"}},
			config.JWT{IssuerURL: "https://idp.example", JWKSFile: "/etc/restproxy/jwks/jwks.json", Audiences: []string{"rp"}}},
		{"the cluster's own issuer", v1alpha1.JWTSpec{IssuerURL: "https://kubernetes.default.svc.cluster.local", Audiences: []string{"https://kubernetes.default.svc.cluster.local", "restproxy"}},
			config.JWT{IssuerURL: "https://kubernetes.default.svc.cluster.local", JWKSURL: "https://kubernetes.default.svc.cluster.local/openid/v1/jwks",
				IssuerCAFile: "/etc/restproxy/issuer/ca.crt", IssuerTokenFile: "/etc/restproxy/issuer/token", Audiences: []string{"https://kubernetes.default.svc.cluster.local", "restproxy"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if want.PrincipalClaim == "" {
				want.PrincipalClaim = defaults.PrincipalClaim
			}
			want.LeewayMs, want.JWKSMinRefreshMs = defaults.LeewayMs, defaults.JWKSMinRefreshMs
			cfg := parsedConfig(t, jwtProxy(c.spec))
			if cfg.Authentication.Type != config.AuthJWT || !reflect.DeepEqual(cfg.Authentication.JWT, want) {
				t.Errorf("authentication = %+v\nwant jwt %+v", cfg.Authentication, want)
			}
		})
	}
}

// The cluster's own issuer needs a projected volume of the cluster CA and
// a service-account token, although the pod automounts none; a JWKS
// Secret is a Secret volume the reconciler reads and watches; other
// issuers need neither.
func TestJWTVolumes(t *testing.T) {
	inCluster := jwtProxy(v1alpha1.JWTSpec{IssuerURL: "https://kubernetes.default.svc", Audiences: []string{"a"}})
	vols := volumes(inCluster, "cm")
	i := slices.IndexFunc(vols, func(v corev1.Volume) bool { return v.Name == "issuer" })
	if i < 0 {
		t.Fatalf("no issuer volume in %v", vols)
	}
	p := vols[i].Projected
	if p == nil || len(p.Sources) != 2 || p.Sources[0].ServiceAccountToken == nil || p.Sources[0].ServiceAccountToken.Path != "token" ||
		p.Sources[1].ConfigMap == nil || p.Sources[1].ConfigMap.Name != "kube-root-ca.crt" {
		t.Errorf("issuer volume %+v", vols[i])
	}
	if m := volumeMounts(inCluster); !hasMount(m, "issuer", "/etc/restproxy/issuer") {
		t.Errorf("no issuer mount in %v", m)
	}

	external := jwtProxy(v1alpha1.JWTSpec{IssuerURL: "https://kc.example", Audiences: []string{"a"}})
	if len(volumes(external, "cm")) != 1 || len(SecretRefs(external)) != 0 {
		t.Errorf("an external issuer needs no volume: %v", volumes(external, "cm"))
	}

	fromSecret := jwtProxy(v1alpha1.JWTSpec{JWKSSecretRef: &v1alpha1.SecretKeySelector{Name: "jwks", Key: "keys.json"}, Audiences: []string{"a"}})
	if got := SecretRefs(fromSecret); !reflect.DeepEqual(got, []SecretRef{{Name: "jwks", Keys: []string{"keys.json"}}}) {
		t.Errorf("SecretRefs = %v", got)
	}
	if m := volumeMounts(fromSecret); !hasMount(m, "jwks", "/etc/restproxy/jwks") {
		t.Errorf("no jwks mount in %v", m)
	}
}

// spec.access renders as authorization.rules, in order.
func TestAccessMapping(t *testing.T) {
	rp := jwtProxy(v1alpha1.JWTSpec{IssuerURL: "https://kc.example", Audiences: []string{"a"}})
	rp.Spec.Access = []v1alpha1.AccessRule{
		{Principals: []v1alpha1.PrincipalMatch{{Name: "billing"}, {Prefix: "svc-"}}, Topics: []v1alpha1.TopicRule{{Prefix: "billing."}}, RecordsPerSecond: ptrTo[int64](10)},
		{Principals: []v1alpha1.PrincipalMatch{{Group: "analytics"}}, BytesPerSecond: ptrTo[int64](1000)},
	}
	want := []config.AccessRule{
		{Principals: []config.PrincipalMatch{{Name: "billing"}, {Prefix: "svc-"}}, Topics: []config.TopicRule{{Prefix: "billing."}}, RecordsPerSecond: 10},
		{Principals: []config.PrincipalMatch{{Group: "analytics"}}, BytesPerSecond: 1000},
	}
	if got := parsedConfig(t, rp).Authorization.Rules; !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %+v\nwant %+v", got, want)
	}
}

func hasMount(mounts []corev1.VolumeMount, name, path string) bool {
	return slices.ContainsFunc(mounts, func(m corev1.VolumeMount) bool {
		return m.Name == name && m.MountPath == path && m.ReadOnly
	})
}

// spec.kafka.identity and principals render as kafka.identity and
// kafka.principals, each password a file of the kafka-principals volume,
// whose Secrets the reconciler reads and watches.
func TestKafkaIdentityMapping(t *testing.T) {
	rp := minimal()
	rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic, SecretRef: &v1alpha1.SecretKeySelector{Name: "users", Key: "users"}}
	rp.Spec.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "SCRAM-SHA-512", Username: "proxy", PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "proxy-user", Key: "password"}}
	rp.Spec.Kafka.Identity = "principal"
	rp.Spec.Kafka.Principals = []v1alpha1.KafkaPrincipal{
		{Principal: "alice", Username: "kafka-alice", PasswordSecretRef: v1alpha1.SecretKeySelector{Name: "alice", Key: "password"}},
		{Principal: "bob", Username: "kafka-bob", PasswordSecretRef: v1alpha1.SecretKeySelector{Name: "bob", Key: "pw"}},
	}
	k := parsedConfig(t, rp).Kafka
	want := []config.KafkaPrincipal{
		{Principal: "alice", Username: "kafka-alice", PasswordFile: "/etc/restproxy/kafka-principals/0"},
		{Principal: "bob", Username: "kafka-bob", PasswordFile: "/etc/restproxy/kafka-principals/1"},
	}
	if k.Identity != "principal" || !reflect.DeepEqual(k.Principals, want) {
		t.Errorf("kafka identity %q principals %+v", k.Identity, k.Principals)
	}
	if m := volumeMounts(rp); !hasMount(m, "kafka-principals", "/etc/restproxy/kafka-principals") {
		t.Errorf("no kafka-principals mount in %v", m)
	}
	refs := SecretRefs(rp)
	for _, name := range []string{"alice", "bob"} {
		if !slices.ContainsFunc(refs, func(r SecretRef) bool { return r.Name == name }) {
			t.Errorf("SecretRefs %v miss %s", refs, name)
		}
	}
	if got := parsedConfig(t, minimal()).Kafka; got.Identity != "proxy" || len(got.Principals) != 0 {
		t.Errorf("unset: identity %q principals %v, want the defaults", got.Identity, got.Principals)
	}
}
