// Package testpki issues throwaway certificates for tests, and is for tests
// only: a CA and the leaf certificates it signs, written as PEM files because
// the code under test reads its TLS material from files. It is a normal
// package rather than a _test.go file so that the tests of several packages
// (the proxy's HTTPS listener and the producer's Kafka TLS) share one
// generator instead of each keeping its own.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a self-signed certificate authority whose files live in a
// test-scoped directory.
type CA struct {
	Cert *x509.Certificate
	File string         // the CA certificate as PEM, for caFile/clientCAFile settings
	Pool *x509.CertPool // holds only Cert, for RootCAs/ClientCAs
	Dir  string         // where File and every issued leaf are written
	key  *ecdsa.PrivateKey
}

// Leaf is a certificate the CA signed, with its key, as files and as a pair
// ready for a tls.Config.
type Leaf struct {
	CertFile, KeyFile string
	Pair              tls.Certificate
}

// New makes a CA valid for an hour either side of now and writes it to
// ca.pem in a fresh t.TempDir().
func New(t testing.TB) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create test CA: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse test CA: %v", err)
	}
	ca := &CA{Cert: cert, Pool: x509.NewCertPool(), Dir: t.TempDir(), key: key}
	ca.Pool.AddCert(cert)
	ca.File = writePEM(t, ca.Dir, "ca.pem", "CERTIFICATE", der)
	return ca
}

// Issue signs a certificate named commonName for 127.0.0.1, usable both as a
// server and as a client certificate, and writes it to commonName.pem and
// commonName-key.pem in ca.Dir.
func (ca *CA) Issue(t testing.TB, commonName string) Leaf {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("issue test certificate %s: %v", commonName, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key of %s: %v", commonName, err)
	}
	l := Leaf{
		CertFile: writePEM(t, ca.Dir, commonName+".pem", "CERTIFICATE", der),
		KeyFile:  writePEM(t, ca.Dir, commonName+"-key.pem", "EC PRIVATE KEY", keyDER),
	}
	if l.Pair, err = tls.LoadX509KeyPair(l.CertFile, l.KeyFile); err != nil {
		t.Fatalf("load %s: %v", commonName, err)
	}
	return l
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

// serial is random so that leaves issued concurrently (parallel tests
// sharing a CA) never share a serial number.
func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatalf("serial number: %v", err)
	}
	return n
}

func writePEM(t testing.TB, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}
