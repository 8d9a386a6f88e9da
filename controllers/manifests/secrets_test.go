package manifests

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

func TestSecretRefs(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*v1alpha1.RestProxySpec)
		want   []SecretRef
	}{
		{"none", func(*v1alpha1.RestProxySpec) {}, []SecretRef{}},
		{"full, sorted by name", func(s *v1alpha1.RestProxySpec) { *s = full().Spec }, []SecretRef{
			{Name: "billing-kafka-user", Keys: []string{"password"}},
			{Name: "clients-ca", Keys: []string{"ca.crt"}},
			{Name: "kafka-ca", Keys: []string{"ca.pem"}},
			{Name: "kafka-client", Keys: []string{"tls.crt", "tls.key"}},
			{Name: "kafka-user", Keys: []string{"password"}},
			{Name: "orders-credentials", Keys: []string{"users"}},
			{Name: "orders-https", Keys: []string{"tls.crt", "tls.key"}},
			{Name: "otlp", Keys: []string{"headers"}},
			{Name: "registry-token", Keys: []string{"token"}},
		}},
		{"one Secret for everything: merged, keys sorted and distinct", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true,
				CASecretRef:   &v1alpha1.SecretKeySelector{Name: "all", Key: "ca.crt"},
				CertSecretRef: &v1alpha1.SecretReference{Name: "all"}}
			s.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "all",
				ClientCASecretRef: &v1alpha1.SecretKeySelector{Name: "all", Key: "ca.crt"}}}
			s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "PLAIN", Username: "u",
				PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "all", Key: "password"}}
		}, []SecretRef{{Name: "all", Keys: []string{"ca.crt", "password", "tls.crt", "tls.key"}}}},
		{"kafka TLS off: its Secrets are not needed", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: false, CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "ca.crt"}}
		}, []SecretRef{}},
		{"mtls auth has no credentials Secret", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "mtls", SecretRef: &v1alpha1.SecretKeySelector{Name: "ignored", Key: "k"}}
		}, []SecretRef{}},
		{"tracing export headers", func(s *v1alpha1.RestProxySpec) {
			s.Observability = &v1alpha1.ObservabilitySpec{Tracing: &v1alpha1.TracingSpec{Endpoint: "http://c:4318",
				HeadersSecretRef: &v1alpha1.SecretKeySelector{Name: "otlp", Key: "headers"}}}
		}, []SecretRef{{Name: "otlp", Keys: []string{"headers"}}}},
		{"apiKey auth", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "apiKey", SecretRef: &v1alpha1.SecretKeySelector{Name: "keys", Key: "k"}}
		}, []SecretRef{{Name: "keys", Keys: []string{"k"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			tt.mutate(&rp.Spec)
			if got := SecretRefs(rp); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SecretRefs = %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestSecretMounts: every Secret reference becomes a read-only mount whose
// files are exactly the needed keys, at the paths the config names, with no
// more than group-read permission.
func TestSecretMounts(t *testing.T) {
	type file struct{ secret, key, path string }
	tests := []struct {
		name   string
		mutate func(*v1alpha1.RestProxySpec)
		dir    string
		files  []file
	}{
		{"kafka CA", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true, CASecretRef: &v1alpha1.SecretKeySelector{Name: "kca", Key: "bundle.pem"}}
		}, "/etc/restproxy/kafka-tls", []file{{"kca", "bundle.pem", "ca.crt"}}},
		{"kafka client certificate", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true, CertSecretRef: &v1alpha1.SecretReference{Name: "kc"}}
		}, "/etc/restproxy/kafka-tls", []file{{"kc", "tls.crt", "tls.crt"}, {"kc", "tls.key", "tls.key"}}},
		{"kafka CA and client certificate from two Secrets share the directory", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = full().Spec.Kafka.TLS
		}, "/etc/restproxy/kafka-tls", []file{{"kafka-ca", "ca.pem", "ca.crt"}, {"kafka-client", "tls.crt", "tls.crt"}, {"kafka-client", "tls.key", "tls.key"}}},
		{"sasl password", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.SASL = full().Spec.Kafka.SASL
		}, "/etc/restproxy/kafka-sasl", []file{{"kafka-user", "password", "password"}}},
		{"https", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "srv"}}
		}, "/etc/restproxy/http-tls", []file{{"srv", "tls.crt", "tls.crt"}, {"srv", "tls.key", "tls.key"}}},
		{"https with client CA", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = full().Spec.HTTP
		}, "/etc/restproxy/http-tls", []file{{"orders-https", "tls.crt", "tls.crt"}, {"orders-https", "tls.key", "tls.key"}, {"clients-ca", "ca.crt", "client-ca.crt"}}},
		{"credentials file keeps its key's name", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = full().Spec.Authentication
		}, "/etc/restproxy/auth", []file{{"orders-credentials", "users", "users"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			tt.mutate(&rp.Spec)
			d := mustDeployment(t, input(rp))
			c := proxyContainer(t, d)
			var mount *corev1.VolumeMount
			for i := range c.VolumeMounts {
				if c.VolumeMounts[i].MountPath == tt.dir {
					mount = &c.VolumeMounts[i]
				}
			}
			if mount == nil {
				t.Fatalf("no mount at %s; mounts %+v", tt.dir, c.VolumeMounts)
			}
			if !mount.ReadOnly || mount.SubPath != "" {
				t.Errorf("mount %+v: want read-only, no subPath (subPath mounts never see rotated Secrets)", mount)
			}
			var vol *corev1.Volume
			for i := range d.Spec.Template.Spec.Volumes {
				if d.Spec.Template.Spec.Volumes[i].Name == mount.Name {
					vol = &d.Spec.Template.Spec.Volumes[i]
				}
			}
			if vol == nil || vol.Projected == nil {
				t.Fatalf("volume %s = %+v; want a projected volume", mount.Name, vol)
			}
			if m := vol.Projected.DefaultMode; m == nil || *m&0o337 != 0 {
				t.Errorf("defaultMode = %v; want at most 0440", m)
			}
			var got []file
			for _, src := range vol.Projected.Sources {
				if src.Secret == nil {
					t.Fatalf("projection %+v is not a Secret", src)
				}
				if src.Secret.Optional != nil && *src.Secret.Optional {
					t.Errorf("Secret %s is optional; a missing key must keep the pod from starting", src.Secret.Name)
				}
				for _, item := range src.Secret.Items {
					got = append(got, file{src.Secret.Name, item.Key, item.Path})
				}
			}
			if !reflect.DeepEqual(got, tt.files) {
				t.Errorf("files = %+v; want %+v", got, tt.files)
			}
			// The config names the files where they are mounted.
			cfg := ProxyConfig(input(rp))
			paths := map[string]bool{}
			for _, p := range []string{cfg.Kafka.TLS.CAFile, cfg.Kafka.TLS.CertFile, cfg.Kafka.TLS.KeyFile, cfg.Kafka.SASL.PasswordFile,
				cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile, cfg.HTTP.TLS.ClientCAFile, cfg.Authentication.CredentialsFile} {
				if p != "" {
					paths[p] = true
				}
			}
			for _, f := range tt.files {
				if !paths[tt.dir+"/"+f.path] {
					t.Errorf("mounted file %s/%s is not named by the config (%v)", tt.dir, f.path, paths)
				}
			}
			if len(paths) != len(tt.files) {
				t.Errorf("config names %d files, the mount has %d: %v", len(paths), len(tt.files), paths)
			}
		})
	}
}

// TestVolumeOrderIsFixed: volumes and mounts appear config first, then the
// Secret directories in one order, whatever the spec's field order.
func TestVolumeOrderIsFixed(t *testing.T) {
	rp := full()
	rp.Spec.Template.Pod.Volumes, rp.Spec.Template.Container.VolumeMounts = nil, nil
	d := mustDeployment(t, input(rp))
	var vols, mounts []string
	for _, v := range d.Spec.Template.Spec.Volumes {
		vols = append(vols, v.Name)
	}
	for _, m := range proxyContainer(t, d).VolumeMounts {
		mounts = append(mounts, m.Name+"="+m.MountPath)
	}
	if want := []string{"config", "kafka-tls", "kafka-sasl", "kafka-principals", "http-tls", "auth", "tracing", "schema-registry"}; !reflect.DeepEqual(vols, want) {
		t.Errorf("volumes = %v; want %v", vols, want)
	}
	want := []string{"config=/etc/restproxy/config", "kafka-tls=/etc/restproxy/kafka-tls", "kafka-sasl=/etc/restproxy/kafka-sasl",
		"kafka-principals=/etc/restproxy/kafka-principals", "http-tls=/etc/restproxy/http-tls", "auth=/etc/restproxy/auth",
		"tracing=/etc/restproxy/tracing", "schema-registry=/etc/restproxy/schema-registry"}
	if !reflect.DeepEqual(mounts, want) {
		t.Errorf("mounts = %v; want %v", mounts, want)
	}
	cm := d.Spec.Template.Spec.Volumes[0].ConfigMap
	wantCM := ConfigMapName(full(), d.Spec.Template.Annotations[ConfigHashAnnotation])
	if cm == nil || cm.Name != wantCM || len(cm.Items) != 1 || cm.Items[0].Key != "restproxy.yaml" {
		t.Errorf("config volume = %+v; want %s's restproxy.yaml", cm, wantCM)
	}
}
