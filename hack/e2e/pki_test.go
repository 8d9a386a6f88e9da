package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

var testPKIOptions = pkiOptions{NodeIP: "10.250.0.10", NodeName: "e2e-node", ServiceIP: "10.96.0.1"}

// readPEM returns the DER bytes of the single PEM block of type typ in data.
func readPEM(t *testing.T, what string, data []byte, typ string) []byte {
	t.Helper()
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		t.Fatalf("%s: no %q PEM block", what, typ)
	}
	return b.Bytes
}

func parseCertPEM(t *testing.T, what string, data []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(readPEM(t, what, data, "CERTIFICATE"))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return c
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestWritePKI(t *testing.T) {
	o := testPKIOptions
	dir := filepath.Join(t.TempDir(), "pki") // also checks that dir is created
	if err := writePKI(dir, o); err != nil {
		t.Fatal(err)
	}

	keyFiles := []string{
		"ca.key", "apiserver.key", "apiserver-kubelet-client.key", "sa.key",
		"admin.kubeconfig", "controller-manager.kubeconfig", "scheduler.kubeconfig",
		"kubelet.kubeconfig", "kube-proxy.kubeconfig",
	}
	for _, name := range append([]string{"ca.crt", "apiserver.crt", "apiserver-kubelet-client.crt", "sa.pub"}, keyFiles...) {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing: %v", err)
		}
	}
	for _, name := range keyFiles {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir %s: mode %v, want 0700", dir, fi.Mode().Perm())
	}
	if t.Failed() {
		t.FailNow()
	}

	ca := parseCertPEM(t, "ca.crt", readTestFile(t, filepath.Join(dir, "ca.crt")))
	if ca.Subject.CommonName != "restproxy-e2e-ca" || !ca.IsCA {
		t.Errorf("ca.crt: CN %q IsCA %v", ca.Subject.CommonName, ca.IsCA)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	t.Run("apiserver", func(t *testing.T) {
		c := parseCertPEM(t, "apiserver.crt", readTestFile(t, filepath.Join(dir, "apiserver.crt")))
		if _, err := c.Verify(x509.VerifyOptions{
			Roots:     roots,
			DNSName:   "kubernetes.default.svc",
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			t.Errorf("verify: %v", err)
		}
		for _, ip := range []string{o.NodeIP, o.ServiceIP, "127.0.0.1"} {
			if !slices.ContainsFunc(c.IPAddresses, func(x net.IP) bool { return x.Equal(net.ParseIP(ip)) }) {
				t.Errorf("IP SANs %v lack %s", c.IPAddresses, ip)
			}
		}
		keyDER := readPEM(t, "apiserver.key", readTestFile(t, filepath.Join(dir, "apiserver.key")), "EC PRIVATE KEY")
		key, err := x509.ParseECPrivateKey(keyDER)
		if err != nil {
			t.Fatalf("apiserver.key: %v", err)
		}
		if !key.PublicKey.Equal(c.PublicKey) {
			t.Error("apiserver.key does not match apiserver.crt")
		}
	})

	t.Run("apiserver-kubelet-client", func(t *testing.T) {
		c := parseCertPEM(t, "apiserver-kubelet-client.crt", readTestFile(t, filepath.Join(dir, "apiserver-kubelet-client.crt")))
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("verify: %v", err)
		}
		if c.Subject.CommonName != "kube-apiserver-kubelet-client" || !slices.Equal(c.Subject.Organization, []string{"system:masters"}) {
			t.Errorf("subject %v", c.Subject)
		}
	})

	t.Run("service-account keys", func(t *testing.T) {
		key, err := x509.ParseECPrivateKey(readPEM(t, "sa.key", readTestFile(t, filepath.Join(dir, "sa.key")), "EC PRIVATE KEY"))
		if err != nil {
			t.Fatalf("sa.key: %v", err)
		}
		pub, err := x509.ParsePKIXPublicKey(readPEM(t, "sa.pub", readTestFile(t, filepath.Join(dir, "sa.pub")), "PUBLIC KEY"))
		if err != nil {
			t.Fatalf("sa.pub: %v", err)
		}
		if ecPub, ok := pub.(*ecdsa.PublicKey); !ok || !key.PublicKey.Equal(ecPub) {
			t.Error("sa.pub does not match sa.key")
		}
	})

	// The kubeconfig layout as client-go reads it; []byte fields are base64.
	type kubeconfig struct {
		Clusters []struct {
			Name    string `json:"name"`
			Cluster struct {
				Server                   string `json:"server"`
				CertificateAuthorityData []byte `json:"certificate-authority-data"`
			} `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			Name string `json:"name"`
			User struct {
				ClientCertificateData []byte `json:"client-certificate-data"`
				ClientKeyData         []byte `json:"client-key-data"`
			} `json:"user"`
		} `json:"users"`
		Contexts []struct {
			Name    string `json:"name"`
			Context struct {
				Cluster string `json:"cluster"`
				User    string `json:"user"`
			} `json:"context"`
		} `json:"contexts"`
		CurrentContext string `json:"current-context"`
	}

	for _, tc := range []struct {
		file string
		cn   string
		orgs []string
	}{
		{"admin.kubeconfig", "e2e-admin", []string{"system:masters"}},
		{"controller-manager.kubeconfig", "system:kube-controller-manager", nil},
		{"scheduler.kubeconfig", "system:kube-scheduler", nil},
		{"kubelet.kubeconfig", "system:node:e2e-node", []string{"system:nodes"}},
		{"kube-proxy.kubeconfig", "system:kube-proxy", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var kc kubeconfig
			if err := yaml.Unmarshal(readTestFile(t, filepath.Join(dir, tc.file)), &kc); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(kc.Clusters) != 1 || len(kc.Users) != 1 || len(kc.Contexts) != 1 {
				t.Fatalf("want one cluster, user and context, got %d %d %d", len(kc.Clusters), len(kc.Users), len(kc.Contexts))
			}
			ctx := kc.Contexts[0]
			if kc.CurrentContext != "e2e" || ctx.Name != "e2e" || ctx.Context.Cluster != kc.Clusters[0].Name || ctx.Context.User != kc.Users[0].Name {
				t.Errorf("context wiring: current %q, context %+v, cluster %q, user %q", kc.CurrentContext, ctx, kc.Clusters[0].Name, kc.Users[0].Name)
			}
			if want := "https://10.250.0.10:6443"; kc.Clusters[0].Cluster.Server != want {
				t.Errorf("server %q, want %q", kc.Clusters[0].Cluster.Server, want)
			}
			if kcCA := parseCertPEM(t, "certificate-authority-data", kc.Clusters[0].Cluster.CertificateAuthorityData); !kcCA.Equal(ca) {
				t.Error("certificate-authority-data is not ca.crt")
			}
			c := parseCertPEM(t, "client-certificate-data", kc.Users[0].User.ClientCertificateData)
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("verify: %v", err)
			}
			if c.Subject.CommonName != tc.cn || !slices.Equal(c.Subject.Organization, tc.orgs) {
				t.Errorf("subject CN %q O %q, want CN %q O %q", c.Subject.CommonName, c.Subject.Organization, tc.cn, tc.orgs)
			}
			if c.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("KeyUsage %v, want DigitalSignature", c.KeyUsage)
			}
			key, err := x509.ParseECPrivateKey(readPEM(t, "client-key-data", kc.Users[0].User.ClientKeyData, "EC PRIVATE KEY"))
			if err != nil {
				t.Fatalf("client-key-data: %v", err)
			}
			if !key.PublicKey.Equal(c.PublicKey) {
				t.Error("client-key-data does not match client-certificate-data")
			}
		})
	}
}

func TestWritePKIRejectsBadOptions(t *testing.T) {
	for _, o := range []pkiOptions{
		{NodeIP: "not-an-ip", NodeName: "n", ServiceIP: "10.96.0.1"},
		{NodeIP: "10.250.0.10", NodeName: "n", ServiceIP: ""},
		{NodeIP: "10.250.0.10", NodeName: "", ServiceIP: "10.96.0.1"},
	} {
		if err := writePKI(t.TempDir(), o); err == nil {
			t.Errorf("writePKI(%+v) succeeded, want error", o)
		}
	}
}
