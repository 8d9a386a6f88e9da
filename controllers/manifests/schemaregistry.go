package manifests

import (
	"path"

	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// Where the proxy finds the Schema Registry's credentials and TLS files:
// one directory, with fixed file names whatever the Secrets' keys are
// called, as for Kafka (secrets.go).
const (
	SchemaRegistryDir          = "/etc/restproxy/schema-registry"
	SchemaRegistryUsernameFile = SchemaRegistryDir + "/username"
	SchemaRegistryPasswordFile = SchemaRegistryDir + "/password"
	SchemaRegistryTokenFile    = SchemaRegistryDir + "/token"
	SchemaRegistryCAFile       = SchemaRegistryDir + "/ca.crt"
	SchemaRegistryCertFile     = SchemaRegistryDir + "/tls.crt"
	SchemaRegistryKeyFile      = SchemaRegistryDir + "/tls.key"

	volumeSchemaRegistry = "schema-registry"
)

// The keys of spec.schemaRegistry.basicAuth's Secret when the spec names
// none: no CRD default, so that adding one never changes the spec hash of
// existing RestProxies (see spec.upgradePolicy).
const (
	DefaultSchemaRegistryUsernameKey = "username"
	DefaultSchemaRegistryPasswordKey = "password"
)

// mapSchemaRegistry renders spec.schemaRegistry: the URLs, each Secret as
// the path of its mounted file, and only the tunables the spec sets.
func mapSchemaRegistry(s *v1alpha1.SchemaRegistrySpec, d document) {
	if s == nil {
		return
	}
	d.set("schemaRegistry.urls", append([]string(nil), s.URLs...))
	if s.BasicAuth != nil {
		d.set("schemaRegistry.basicAuth.usernameFile", SchemaRegistryUsernameFile)
		d.set("schemaRegistry.basicAuth.passwordFile", SchemaRegistryPasswordFile)
	}
	if s.BearerTokenSecretRef != nil {
		d.set("schemaRegistry.bearerTokenFile", SchemaRegistryTokenFile)
	}
	if t := s.TLS; t != nil {
		if t.CASecretRef != nil {
			d.set("schemaRegistry.tls.caFile", SchemaRegistryCAFile)
		}
		if t.CertSecretRef != nil {
			d.set("schemaRegistry.tls.certFile", SchemaRegistryCertFile)
			d.set("schemaRegistry.tls.keyFile", SchemaRegistryKeyFile)
		}
	}
	if s.Timeout != nil {
		d.set("schemaRegistry.timeoutMs", s.Timeout.Milliseconds())
	}
	if s.LatestCacheTTL != nil {
		d.set("schemaRegistry.latestCacheMs", s.LatestCacheTTL.Milliseconds())
	}
	setPtr(d, "schemaRegistry.registerSchemas", s.RegisterSchemas)
}

// schemaRegistryFiles are the files of the schema-registry volume, nil
// when the spec names no Secret for the registry.
func schemaRegistryFiles(rp *v1alpha1.RestProxy) []secretFile {
	s := rp.Spec.SchemaRegistry
	if s == nil {
		return nil
	}
	var files []secretFile
	if b := s.BasicAuth; b != nil {
		files = append(files,
			secretFile{b.SecretRef.Name, orDefault(b.UsernameKey, DefaultSchemaRegistryUsernameKey), path.Base(SchemaRegistryUsernameFile)},
			secretFile{b.SecretRef.Name, orDefault(b.PasswordKey, DefaultSchemaRegistryPasswordKey), path.Base(SchemaRegistryPasswordFile)})
	}
	if ref := s.BearerTokenSecretRef; ref != nil {
		files = append(files, secretFile{ref.Name, ref.Key, path.Base(SchemaRegistryTokenFile)})
	}
	if t := s.TLS; t != nil {
		if t.CASecretRef != nil {
			files = append(files, secretFile{t.CASecretRef.Name, t.CASecretRef.Key, path.Base(SchemaRegistryCAFile)})
		}
		if t.CertSecretRef != nil {
			files = append(files,
				secretFile{t.CertSecretRef.Name, corev1.TLSCertKey, path.Base(SchemaRegistryCertFile)},
				secretFile{t.CertSecretRef.Name, corev1.TLSPrivateKeyKey, path.Base(SchemaRegistryKeyFile)})
		}
	}
	return files
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
