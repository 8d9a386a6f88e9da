package manifests

import (
	"net/url"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// Where the proxy finds the JWT keys of spec.authentication.jwt.jwksSecretRef,
// and what it needs to fetch the keys of the cluster's own service-account
// issuer: the cluster CA and a service-account token of the pod, which the
// API server asks of whoever reads its JWKS.
const (
	JWKSDir         = "/etc/restproxy/jwks"
	JWKSFile        = JWKSDir + "/jwks.json"
	IssuerDir       = "/etc/restproxy/issuer"
	IssuerCAFile    = IssuerDir + "/ca.crt"
	IssuerTokenFile = IssuerDir + "/token"

	volumeJWKS   = "jwks"
	volumeIssuer = "issuer"

	// KafkaPrincipalsDir holds the password of spec.kafka.principals[i] at
	// <dir>/<i>.
	KafkaPrincipalsDir    = "/etc/restproxy/kafka-principals"
	volumeKafkaPrincipals = "kafka-principals"

	// issuerTokenSeconds is the projected token's lifetime; kubelet renews
	// it at 80% and the proxy re-reads it on every fetch.
	issuerTokenSeconds = 3600
	// kubeRootCA is the ConfigMap every namespace holds with the cluster CA.
	kubeRootCA = "kube-root-ca.crt"
)

// mapJWT renders spec.authentication.jwt. The cluster's own issuer is read
// without discovery, at its /openid/v1/jwks: the discovery document names
// the API server by an address the pod may not reach or whose certificate
// the cluster CA may not cover.
func mapJWT(j *v1alpha1.JWTSpec, d document) {
	if j == nil {
		return
	}
	d.setString("authentication.jwt.issuerURL", j.IssuerURL)
	d.setString("authentication.jwt.jwksURL", j.JWKSURL)
	if j.JWKSSecretRef != nil {
		d.set("authentication.jwt.jwksFile", JWKSFile)
	}
	if inClusterIssuer(j) {
		if j.JWKSURL == "" && j.JWKSSecretRef == nil {
			d.set("authentication.jwt.jwksURL", strings.TrimSuffix(j.IssuerURL, "/")+"/openid/v1/jwks")
		}
		d.set("authentication.jwt.issuerCAFile", IssuerCAFile)
		d.set("authentication.jwt.issuerTokenFile", IssuerTokenFile)
	}
	d.set("authentication.jwt.audiences", j.Audiences)
	d.setString("authentication.jwt.principalClaim", j.PrincipalClaim)
	d.setString("authentication.jwt.groupsClaim", j.GroupsClaim)
}

// InClusterIssuer reports whether the keys of j (nil: no JWT) come from
// the cluster's own API server.
func InClusterIssuer(j *v1alpha1.JWTSpec) bool { return inClusterIssuer(j) }

// inClusterIssuer reports whether the keys come from the cluster's own API
// server (https://kubernetes.default.svc, with or without the cluster
// domain).
func inClusterIssuer(j *v1alpha1.JWTSpec) bool {
	if j == nil || j.JWKSSecretRef != nil {
		return false
	}
	raw := j.JWKSURL
	if raw == "" {
		raw = j.IssuerURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	return host == "kubernetes.default.svc" || strings.HasPrefix(host, "kubernetes.default.svc.")
}

// mapAccess renders spec.access as authorization.rules.
func mapAccess(rules []v1alpha1.AccessRule, d document) {
	if len(rules) == 0 {
		return
	}
	out := make([]config.AccessRule, 0, len(rules))
	for _, r := range rules {
		rule := config.AccessRule{RecordsPerSecond: ptrValue(r.RecordsPerSecond), BytesPerSecond: ptrValue(r.BytesPerSecond)}
		for _, p := range r.Principals {
			rule.Principals = append(rule.Principals, config.PrincipalMatch{Name: p.Name, Prefix: p.Prefix, Group: p.Group})
		}
		for _, t := range r.Topics {
			rule.Topics = append(rule.Topics, config.TopicRule{Name: t.Name, Prefix: t.Prefix})
		}
		out = append(out, rule)
	}
	d.set("authorization.rules", out)
}

// jwtSpec is spec.authentication.jwt when the type is jwt, else nil.
func jwtSpec(rp *v1alpha1.RestProxy) *v1alpha1.JWTSpec {
	a := rp.Spec.Authentication
	if a == nil || a.Type != v1alpha1.AuthenticationJWT {
		return nil
	}
	return a.JWT
}

// issuerVolume is the projected volume of the cluster CA and a token of
// the pod's service account, for an in-cluster issuer; ok is false
// otherwise. The pod does not automount its token: this volume holds one
// only when the proxy needs it.
func issuerVolume(rp *v1alpha1.RestProxy) (corev1.Volume, corev1.VolumeMount, bool) {
	if !inClusterIssuer(jwtSpec(rp)) {
		return corev1.Volume{}, corev1.VolumeMount{}, false
	}
	mode := secretFileMode
	v := corev1.Volume{Name: volumeIssuer, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptrTo(int64(issuerTokenSeconds))}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: kubeRootCA},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
		},
	}}}
	return v, corev1.VolumeMount{Name: volumeIssuer, MountPath: IssuerDir, ReadOnly: true}, true
}

// mapKafkaIdentity renders spec.kafka.identity and the principals' Kafka
// users.
func mapKafkaIdentity(k v1alpha1.KafkaSpec, d document) {
	d.setString("kafka.identity", k.Identity)
	if len(k.Principals) == 0 {
		return
	}
	out := make([]config.KafkaPrincipal, 0, len(k.Principals))
	for i, p := range k.Principals {
		out = append(out, config.KafkaPrincipal{Principal: p.Principal, Username: p.Username, PasswordFile: kafkaPrincipalFile(i)})
	}
	d.set("kafka.principals", out)
}

func kafkaPrincipalFile(i int) string { return KafkaPrincipalsDir + "/" + strconv.Itoa(i) }

// kafkaPrincipalFiles are the principals' password files, in their order.
func kafkaPrincipalFiles(k v1alpha1.KafkaSpec) []secretFile {
	files := make([]secretFile, 0, len(k.Principals))
	for i, p := range k.Principals {
		files = append(files, secretFile{p.PasswordSecretRef.Name, p.PasswordSecretRef.Key, path.Base(kafkaPrincipalFile(i))})
	}
	return files
}
