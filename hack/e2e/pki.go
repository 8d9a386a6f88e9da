package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// pkiOptions says what the PKI is for.
type pkiOptions struct {
	NodeIP    string // e.g. "10.250.0.10": apiserver serving cert SAN, and kubeconfig server https://NodeIP:6443
	NodeName  string // e.g. "e2e-node": the kubelet's user is system:node:<NodeName> in group system:nodes
	ServiceIP string // e.g. "10.96.0.1": first IP of the service CIDR, also a SAN of the apiserver cert
}

// pkiCert is an issued certificate with its private key, kept both parsed
// (to sign further certificates) and PEM-encoded (to write out).
type pkiCert struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

// writePKI writes into dir (created 0700 if missing) a throwaway PKI for a
// single-node e2e cluster, PEM-encoded, private keys and kubeconfigs 0600:
//
//	ca.crt ca.key                      self-signed CA, CN=restproxy-e2e-ca, valid 1 year (NotBefore 1h in the past for clock skew)
//	apiserver.crt apiserver.key        serving cert for 127.0.0.1, NodeIP, ServiceIP and the in-cluster "kubernetes" DNS names
//	apiserver-kubelet-client.crt/.key  client cert O=system:masters CN=kube-apiserver-kubelet-client
//	sa.key sa.pub                      service-account signing key pair ("EC PRIVATE KEY" and PKIX "PUBLIC KEY")
//
// and kubeconfigs (server https://NodeIP:6443, credentials embedded, one
// cluster, user and context all named "e2e"):
//
//	admin.kubeconfig               O=system:masters CN=e2e-admin
//	controller-manager.kubeconfig  CN=system:kube-controller-manager
//	scheduler.kubeconfig           CN=system:kube-scheduler
//	kubelet.kubeconfig             O=system:nodes CN=system:node:<NodeName>
//	kube-proxy.kubeconfig          CN=system:kube-proxy
//
// All keys are ECDSA P-256 because generating them is fast, and a fresh PKI
// is made for every run, so nothing here needs to be long-lived or secret.
func writePKI(dir string, o pkiOptions) error {
	nodeIP := net.ParseIP(o.NodeIP)
	if nodeIP == nil {
		return fmt.Errorf("pki: invalid NodeIP %q", o.NodeIP)
	}
	serviceIP := net.ParseIP(o.ServiceIP)
	if serviceIP == nil {
		return fmt.Errorf("pki: invalid ServiceIP %q", o.ServiceIP)
	}
	if o.NodeName == "" {
		return fmt.Errorf("pki: NodeName is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: create %s: %w", dir, err)
	}

	ca, err := issueCert(caTemplate("restproxy-e2e-ca"), nil)
	if err != nil {
		return fmt.Errorf("pki: CA: %w", err)
	}

	// The apiserver is reached by loopback (components on the node), by
	// NodeIP (kubeconfigs) and by the "kubernetes" Service from pods.
	apiserver, err := issueCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), nodeIP, serviceIP},
		DNSNames: []string{
			"localhost",
			"kubernetes",
			"kubernetes.default",
			"kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}, ca)
	if err != nil {
		return fmt.Errorf("pki: apiserver: %w", err)
	}

	// The apiserver authenticates to kubelets (logs, exec, port-forward)
	// with this; system:masters makes the kubelet's authorization trivial.
	kubeletClient, err := issueCert(clientTemplate("kube-apiserver-kubelet-client", "system:masters"), ca)
	if err != nil {
		return fmt.Errorf("pki: apiserver-kubelet-client: %w", err)
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: sa.key: %w", err)
	}
	saKeyPEM, err := encodeKey(saKey)
	if err != nil {
		return fmt.Errorf("pki: sa.key: %w", err)
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return fmt.Errorf("pki: sa.pub: %w", err)
	}

	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"ca.crt", ca.certPEM, 0o644},
		{"ca.key", ca.keyPEM, 0o600},
		{"apiserver.crt", apiserver.certPEM, 0o644},
		{"apiserver.key", apiserver.keyPEM, 0o600},
		{"apiserver-kubelet-client.crt", kubeletClient.certPEM, 0o644},
		{"apiserver-kubelet-client.key", kubeletClient.keyPEM, 0o600},
		{"sa.key", saKeyPEM, 0o600},
		{"sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}), 0o644},
	}
	for _, f := range files {
		if err := writePKIFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}

	server := "https://" + net.JoinHostPort(o.NodeIP, "6443")
	users := []struct {
		file string
		cn   string
		orgs []string
	}{
		{"admin.kubeconfig", "e2e-admin", []string{"system:masters"}},
		{"controller-manager.kubeconfig", "system:kube-controller-manager", nil},
		{"scheduler.kubeconfig", "system:kube-scheduler", nil},
		{"kubelet.kubeconfig", "system:node:" + o.NodeName, []string{"system:nodes"}},
		{"kube-proxy.kubeconfig", "system:kube-proxy", nil},
	}
	for _, u := range users {
		c, err := issueCert(clientTemplate(u.cn, u.orgs...), ca)
		if err != nil {
			return fmt.Errorf("pki: client cert for %s: %w", u.cn, err)
		}
		if err := writeKubeconfig(filepath.Join(dir, u.file), server, ca.certPEM, c.certPEM, c.keyPEM); err != nil {
			return err
		}
	}
	return nil
}

// caTemplate returns the template of a self-signed CA.
func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
}

// clientTemplate returns a client-auth certificate template; the apiserver
// takes the user name from CN and the groups from O.
func clientTemplate(cn string, orgs ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: orgs},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// issueCert generates a P-256 key and signs tmpl with parent, or self-signs
// it when parent is nil. A self-signed cert is valid from 1h ago (clock skew
// between the host and the cluster) for 1 year; issued certs copy their
// parent's validity so they never outlive it.
func issueCert(tmpl *x509.Certificate, parent *pkiCert) (*pkiCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl.SerialNumber = serial
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
		tmpl.NotBefore, tmpl.NotAfter = parent.cert.NotBefore, parent.cert.NotAfter
	} else {
		now := time.Now()
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(1, 0, 0)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return &pkiCert{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  keyPEM,
	}, nil
}

// encodeKey PEM-encodes key as SEC 1 "EC PRIVATE KEY", which every
// Kubernetes component and client-go accept.
func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// writePKIFile writes data to path and forces mode, since os.WriteFile keeps
// the mode of a file that already exists (e.g. from an earlier run).
func writePKIFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("pki: chmod %s: %w", path, err)
	}
	return nil
}

// writeKubeconfig writes a self-contained kubeconfig (mode 0600, it holds a
// private key) whose cluster, user and context are all named "e2e". The
// []byte fields marshal to base64, which is what the *-data fields expect.
func writeKubeconfig(path, server string, caPEM, certPEM, keyPEM []byte) error {
	type cluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData []byte `json:"certificate-authority-data"`
	}
	type user struct {
		ClientCertificateData []byte `json:"client-certificate-data"`
		ClientKeyData         []byte `json:"client-key-data"`
	}
	type context struct {
		Cluster string `json:"cluster"`
		User    string `json:"user"`
	}
	cfg := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"clusters":        []map[string]any{{"name": "e2e", "cluster": cluster{server, caPEM}}},
		"users":           []map[string]any{{"name": "e2e", "user": user{certPEM, keyPEM}}},
		"contexts":        []map[string]any{{"name": "e2e", "context": context{"e2e", "e2e"}}},
		"current-context": "e2e",
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("pki: marshal %s: %w", path, err)
	}
	return writePKIFile(path, data, 0o600)
}
