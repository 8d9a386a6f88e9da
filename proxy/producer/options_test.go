package producer

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
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestCompressionCodecsRoundTrip(t *testing.T) {
	b := startBroker(t, map[string]int32{"orders": 1})
	codecs := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	for i, codec := range codecs {
		cfg := testConfig(b.Addr())
		cfg.Producer.Compression = codec
		p := newProducer(t, cfg)
		value := strings.Repeat(codec, 100)
		if res := produceAll(t, p, "orders", newRecord(0, "", value, time.Now()))[0]; res.Err != nil || res.Offset != int64(i) {
			t.Fatalf("%s: %s, want offset %d", codec, describe(res), i)
		}
	}
	for i, m := range readBack(t, b.Addr(), "orders", 0, len(codecs)) {
		if want := strings.Repeat(codecs[i], 100); string(m.Value) != want {
			t.Errorf("%s: stored %.20q..., want %.20q...", codecs[i], m.Value, want)
		}
	}
}

func TestAcksNoneReportsNoOffset(t *testing.T) {
	b := startBroker(t, map[string]int32{"orders": 1})
	cfg := testConfig(b.Addr())
	cfg.Producer.Acks = "none"
	p := newProducer(t, cfg)
	res := produceAll(t, p, "orders", newRecord(0, "", "fire and forget", time.Now()))[0]
	if res.Err != nil || res.Offset != -1 || res.Partition != 0 {
		t.Fatalf("%s, want success at partition 0 with offset -1", describe(res))
	}
	if m := readBack(t, b.Addr(), "orders", 0, 1)[0]; string(m.Value) != "fire and forget" {
		t.Errorf("stored %q", m.Value)
	}
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t)
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
	serverCert := newLeaf(t, ca, caKey, "broker", dir)
	clientCert := newLeaf(t, ca, caKey, "proxy", dir)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	b := startBroker(t, map[string]int32{"orders": 1}, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert.pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}))

	cfg := testConfig(b.Addr())
	cfg.Kafka.TLS.Enabled = true
	cfg.Kafka.TLS.CAFile = caFile
	cfg.Kafka.TLS.CertFile, cfg.Kafka.TLS.KeyFile = clientCert.certFile, clientCert.keyFile
	p := newProducer(t, cfg)
	if res := produceAll(t, p, "orders", newRecord(0, "", "over tls", time.Now()))[0]; res.Err != nil {
		t.Fatalf("produce over mTLS: %s", describe(res))
	}

	reader := kafka.ReaderConfig{
		Brokers: []string{b.Addr()}, Topic: "orders",
		Dialer: &kafka.Dialer{TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert.pair}}},
	}
	if m := readWith(t, reader, 1)[0]; string(m.Value) != "over tls" {
		t.Errorf("stored %q", m.Value)
	}

	cfg.Kafka.TLS.CAFile = filepath.Join(dir, "missing.pem")
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "kafka.tls.caFile") {
		t.Errorf("missing CA file: err = %v, want one naming kafka.tls.caFile", err)
	}
}

func TestNewNamesUnreadableSecrets(t *testing.T) {
	cfg := testConfig("127.0.0.1:1")
	cfg.Kafka.SASL.Mechanism, cfg.Kafka.SASL.Username = "PLAIN", "u"
	cfg.Kafka.SASL.PasswordFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "kafka.sasl.passwordFile") {
		t.Errorf("missing password file: err = %v, want one naming kafka.sasl.passwordFile", err)
	}
}

// A password SCRAM cannot use is refused at start with a message that names
// the file, not the password: the SCRAM library's own error quotes it.
func TestNewDoesNotQuoteAnUnusablePassword(t *testing.T) {
	const password = "s3cret\x07bell"
	cfg := testConfig("127.0.0.1:1")
	cfg.Kafka.SASL.Mechanism, cfg.Kafka.SASL.Username = "SCRAM-SHA-256", "u"
	cfg.Kafka.SASL.PasswordFile = filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(cfg.Kafka.SASL.PasswordFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "kafka.sasl.passwordFile") {
		t.Fatalf("unusable SCRAM password: err = %v, want one naming kafka.sasl.passwordFile", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

type leaf struct {
	pair              tls.Certificate
	certFile, keyFile string
}

// newLeaf issues a certificate valid for 127.0.0.1, for server and client use.
func newLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, dir string) leaf {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l := leaf{
		certFile: writePEM(t, dir, name+".pem", "CERTIFICATE", der),
		keyFile:  writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", keyDER),
	}
	if l.pair, err = tls.LoadX509KeyPair(l.certFile, l.keyFile); err != nil {
		t.Fatal(err)
	}
	return l
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
