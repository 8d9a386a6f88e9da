package manifests

import (
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// Where the proxy finds its files. Each group of files is one volume mounted
// read-only at its own directory; the config file refers to the files by these
// paths. TLS files have fixed names whatever the Secret's keys are called, so
// a CA and a client certificate from different Secrets share a directory
// without clashing.
const (
	ConfigDir      = "/etc/restproxy/config"
	ConfigFilePath = ConfigDir + "/" + ConfigFileKey

	KafkaTLSDir       = "/etc/restproxy/kafka-tls"
	KafkaCAFile       = KafkaTLSDir + "/ca.crt"
	KafkaCertFile     = KafkaTLSDir + "/tls.crt"
	KafkaKeyFile      = KafkaTLSDir + "/tls.key"
	KafkaSASLDir      = "/etc/restproxy/kafka-sasl"
	KafkaPasswordFile = KafkaSASLDir + "/password"

	HTTPTLSDir       = "/etc/restproxy/http-tls"
	HTTPCertFile     = HTTPTLSDir + "/tls.crt"
	HTTPKeyFile      = HTTPTLSDir + "/tls.key"
	HTTPClientCAFile = HTTPTLSDir + "/client-ca.crt"

	// AuthDir holds the credentials file, named after its Secret key.
	AuthDir = "/etc/restproxy/auth"
)

// secretFileMode lets the owner and the pod's fsGroup read Secret files, and
// nobody write them.
const secretFileMode int32 = 0o440

// Volume names in the pod, in the order they appear.
const (
	volumeConfig    = "config"
	volumeKafkaTLS  = "kafka-tls"
	volumeKafkaSASL = "kafka-sasl"
	volumeHTTPTLS   = "http-tls"
	volumeAuth      = "auth"
)

// SecretRef is one Secret in the RestProxy's namespace and the keys of it the
// proxy needs.
type SecretRef struct {
	Name string
	Keys []string
}

// secretFile is one file of a volume: which Secret key lands at which path
// (relative to the volume's directory).
type secretFile struct {
	secret, key, path string
}

// secretVolume is a directory of files projected from one or more Secrets.
type secretVolume struct {
	name, dir string
	files     []secretFile
}

// secretVolumes lists the Secret-backed volumes rp needs, in a fixed order
// (kafka-tls, kafka-sasl, kafka-principals, http-tls, auth, jwks, tracing,
// schema-registry), so the pod template is stable.
//
// Rotating a Secret rolls no pod: the proxy re-reads every one of these
// files when kubelet updates them (the Kafka CA, client certificate and
// SASL password, the HTTPS certificate, key and client CA, the credentials;
// docs/configuration.md, "Files re-read while running"; the Schema
// Registry's files whenever it asks the registry), so a cert-manager
// renewal or a new API key takes effect without a roll that would drain
// every open stream. That is why every volume is mounted without subPath:
// kubelet then does update the files. The tracing export headers are the
// exception: read at start only, a rotated one waits for the next rollout.
func secretVolumes(rp *v1alpha1.RestProxy) []secretVolume {
	var vols []secretVolume
	add := func(name, dir string, files ...secretFile) {
		if len(files) > 0 {
			vols = append(vols, secretVolume{name: name, dir: dir, files: files})
		}
	}
	spec := rp.Spec

	var kafkaTLS []secretFile
	if t := spec.Kafka.TLS; t != nil && t.Enabled {
		if t.CASecretRef != nil {
			kafkaTLS = append(kafkaTLS, secretFile{t.CASecretRef.Name, t.CASecretRef.Key, path.Base(KafkaCAFile)})
		}
		if t.CertSecretRef != nil {
			kafkaTLS = append(kafkaTLS,
				secretFile{t.CertSecretRef.Name, corev1.TLSCertKey, path.Base(KafkaCertFile)},
				secretFile{t.CertSecretRef.Name, corev1.TLSPrivateKeyKey, path.Base(KafkaKeyFile)})
		}
	}
	add(volumeKafkaTLS, KafkaTLSDir, kafkaTLS...)

	if s := spec.Kafka.SASL; s != nil && s.Mechanism != "" && s.PasswordSecretRef != nil {
		add(volumeKafkaSASL, KafkaSASLDir, secretFile{s.PasswordSecretRef.Name, s.PasswordSecretRef.Key, path.Base(KafkaPasswordFile)})
	}
	add(volumeKafkaPrincipals, KafkaPrincipalsDir, kafkaPrincipalFiles(spec.Kafka)...)

	var httpTLS []secretFile
	if h := spec.HTTP; h != nil && h.TLS != nil {
		httpTLS = append(httpTLS,
			secretFile{h.TLS.SecretName, corev1.TLSCertKey, path.Base(HTTPCertFile)},
			secretFile{h.TLS.SecretName, corev1.TLSPrivateKeyKey, path.Base(HTTPKeyFile)})
		if ca := h.TLS.ClientCASecretRef; ca != nil {
			httpTLS = append(httpTLS, secretFile{ca.Name, ca.Key, path.Base(HTTPClientCAFile)})
		}
	}
	add(volumeHTTPTLS, HTTPTLSDir, httpTLS...)

	if a := authSecretRef(rp); a != nil {
		add(volumeAuth, AuthDir, secretFile{a.Name, a.Key, a.Key})
	}
	if j := jwtSpec(rp); j != nil && j.JWKSSecretRef != nil {
		add(volumeJWKS, JWKSDir, secretFile{j.JWKSSecretRef.Name, j.JWKSSecretRef.Key, path.Base(JWKSFile)})
	}
	add(volumeTracing, TracingDir, tracingHeadersFile(rp)...)
	add(volumeSchemaRegistry, SchemaRegistryDir, schemaRegistryFiles(rp)...)
	return vols
}

// authSecretRef is the credentials Secret key when the authentication type
// uses one (basic, apiKey), else nil.
func authSecretRef(rp *v1alpha1.RestProxy) *v1alpha1.SecretKeySelector {
	a := rp.Spec.Authentication
	if a == nil || a.SecretRef == nil {
		return nil
	}
	if a.Type != v1alpha1.AuthenticationBasic && a.Type != v1alpha1.AuthenticationAPIKey {
		return nil
	}
	return a.SecretRef
}

// authCredentialsFile is where the credentials file is mounted; it keeps the
// Secret key's name, so the file is recognisable from inside the pod.
func authCredentialsFile(ref *v1alpha1.SecretKeySelector) string {
	return AuthDir + "/" + ref.Key
}

// SecretRefs lists the Secrets and keys rp's pods mount, sorted by name with
// sorted, distinct keys: exactly what the reconciler must read (to check the
// keys exist before it applies anything) and watch.
func SecretRefs(rp *v1alpha1.RestProxy) []SecretRef {
	return secretRefs(secretVolumes(rp))
}

// secretRefs gathers the files of vols by Secret, sorted by name with
// sorted, distinct keys.
func secretRefs(vols []secretVolume) []SecretRef {
	keys := map[string][]string{}
	for _, v := range vols {
		for _, f := range v.files {
			keys[f.secret] = append(keys[f.secret], f.key)
		}
	}
	refs := make([]SecretRef, 0, len(keys))
	for name, ks := range keys {
		slices.Sort(ks)
		refs = append(refs, SecretRef{Name: name, Keys: slices.Compact(ks)})
	}
	slices.SortFunc(refs, func(a, b SecretRef) int { return strings.Compare(a.Name, b.Name) })
	return refs
}

// volume is the pod volume for v: a projected volume, because one directory
// may gather keys from several Secrets (a CA from one, a client certificate
// from another). Only the needed keys are projected, read-only to the group.
func (v secretVolume) volume() corev1.Volume {
	var sources []corev1.VolumeProjection
	for _, f := range v.files {
		item := corev1.KeyToPath{Key: f.key, Path: f.path}
		// Consecutive files of the same Secret share one source.
		if n := len(sources); n > 0 && sources[n-1].Secret.Name == f.secret {
			sources[n-1].Secret.Items = append(sources[n-1].Secret.Items, item)
			continue
		}
		sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: f.secret},
			Items:                []corev1.KeyToPath{item},
		}})
	}
	mode := secretFileMode
	return corev1.Volume{
		Name: v.name,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources:     sources,
			DefaultMode: &mode,
		}},
	}
}

func (v secretVolume) mount() corev1.VolumeMount {
	return corev1.VolumeMount{Name: v.name, MountPath: v.dir, ReadOnly: true}
}
