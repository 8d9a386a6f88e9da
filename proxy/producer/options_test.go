package producer

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/testpki"
)

func TestCompressionCodecsRoundTrip(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
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
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1})
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
	ca := testpki.New(t)
	serverCert := ca.Issue(t, "broker")
	clientCert := ca.Issue(t, "proxy")

	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1}, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert.Pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
	}))

	cfg := testConfig(b.Addr())
	cfg.Kafka.TLS.Enabled = true
	cfg.Kafka.TLS.CAFile = ca.File
	cfg.Kafka.TLS.CertFile, cfg.Kafka.TLS.KeyFile = clientCert.CertFile, clientCert.KeyFile
	p := newProducer(t, cfg)
	if res := produceAll(t, p, "orders", newRecord(0, "", "over tls", time.Now()))[0]; res.Err != nil {
		t.Fatalf("produce over mTLS: %s", describe(res))
	}

	reader := kafka.ReaderConfig{
		Brokers: []string{b.Addr()}, Topic: "orders",
		Dialer: &kafka.Dialer{TLS: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{clientCert.Pair}}},
	}
	if m := kafkatest.Read(t, reader, kafka.FirstOffset, 1)[0]; string(m.Value) != "over tls" {
		t.Errorf("stored %q", m.Value)
	}

	cfg.Kafka.TLS.CAFile = filepath.Join(ca.Dir, "missing.pem")
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "kafka.tls") || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing CA file: err = %v, want one naming kafka.tls and the file", err)
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
