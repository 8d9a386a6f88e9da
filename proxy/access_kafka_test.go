package proxy

import (
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filetest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/testpki"
)

// docs/produce-api.md, "Topic authorization": Kafka-side authorization, with
// real ACLs on the broker. The proxy's principal may write "writable" and
// only describe "readonly": records to "writable" are stored; records to
// "readonly" are each reported 40301 in the stream, which goes on, and
// nothing is stored; a topic the principal may not even describe is refused
// before streaming, as unknown, since Kafka hides it.
func TestProduce_KafkaACLs_40301(t *testing.T) {
	t.Parallel()
	topicACL := func(topic string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: topic, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	b := kafkatest.StartBroker(t, map[string]int32{"writable": 1, "readonly": 1, "hidden": 1},
		kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(config.SASLPlain, "admin", "admin-secret"),
		kfake.User(config.SASLPlain, "proxy", "proxy-secret",
			topicACL("writable", kmsg.ACLOperationWrite),
			topicACL("readonly", kmsg.ACLOperationDescribe)),
	)
	passwordFile := t.TempDir() + "/password"
	writeCredentials(t, passwordFile, "proxy-secret")
	cfg := testConfig(b.Addr())
	cfg.Kafka.SASL = config.KafkaSASL{Mechanism: config.SASLPlain, Username: "proxy", PasswordFile: passwordFile}
	cfg.Producer.MaxAttempts = 1
	ts := startServerConfig(t, cfg, &syncBuffer{})
	admin := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: plain.Mechanism{Username: "admin", Password: "admin-secret"}}

	if reports := postRecords(t, ts.url("c", "writable"), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Fatalf("writable topic: %v, want one success", reports)
	}
	stored := kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "writable", Dialer: admin}, kafka.FirstOffset, 1)
	if string(stored[0].Value) != "hello" {
		t.Errorf("writable topic stores %q, want hello", stored[0].Value)
	}

	reports := postRecords(t, ts.url("c", "readonly"), oneRecord+oneRecord)
	if len(reports) != 2 {
		t.Fatalf("readonly topic: %d reports, want 2: %v", len(reports), reports)
	}
	for i, r := range reports {
		if r.ErrorCode != 40301 || !strings.Contains(r.Message, "Topic Authorization Failed") {
			t.Errorf("readonly topic, report %d: %v, want 40301 naming the topic authorization failure", i, r)
		}
	}

	// Kafka lists only the topics a principal may describe, so to the
	// proxy's cluster-wide metadata request this one does not exist. (A
	// broker that answers TOPIC_AUTHORIZATION_FAILED for it gets 403:
	// TestProduce_TopicNotAuthorized_40301.)
	resp, body := post(t, ts.url("c", "hidden"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 40401, "Topic hidden cannot be found.")
	for _, topic := range []string{"readonly", "hidden"} {
		if n := kafkatest.EndOffsetWith(t, admin, b.Addr(), topic, 0); n != 0 {
			t.Errorf("topic %s holds %d records, want 0", topic, n)
		}
	}
}

// docs/configuration.md, "kafka": TLS to Kafka with a CA and a client
// certificate. With both right, records are stored (read back over TLS by a
// client of the test's own); a broker certificate the proxy's CA did not
// sign, or a missing client certificate the broker requires, is answered
// 401/40101 naming the proxy's kafka.tls settings, logged once with the
// cause, and nothing is stored.
func TestProduce_KafkaTLS(t *testing.T) {
	t.Parallel()
	ca, otherCA := testpki.New(t), testpki.New(t)
	brokerCert, proxyCert := ca.Issue(t, "broker"), ca.Issue(t, "proxy")
	b := kafkatest.StartBroker(t, map[string]int32{"tls": 1}, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{brokerCert.Pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
	}))
	reader := &kafka.Dialer{Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{proxyCert.Pair}}}

	for _, c := range []struct {
		name             string
		caFile, certFile string
		logged           string
	}{
		{"broker not trusted", otherCA.File, proxyCert.CertFile, "certificate signed by unknown authority"},
		{"no client certificate", ca.File, "", "certificate required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(b.Addr())
			cfg.Kafka.TLS = config.KafkaTLS{Enabled: true, CAFile: c.caFile}
			if c.certFile != "" {
				cfg.Kafka.TLS.CertFile, cfg.Kafka.TLS.KeyFile = proxyCert.CertFile, proxyCert.KeyFile
			}
			var logs syncBuffer
			ts := startServerConfig(t, cfg, &logs)
			for range 2 {
				resp, body := post(t, ts.url("c", "tls"), "application/json", oneRecord)
				wantError(t, resp, body, 401, 40101, "The TLS handshake with Kafka failed: the proxy's kafka.tls settings must be fixed.")
			}
			if n := strings.Count(logs.String(), "TLS handshake with Kafka failed"); n != 1 || !strings.Contains(logs.String(), c.logged) {
				t.Errorf("want one log line naming %q; got %d:\n%s", c.logged, n, logs.String())
			}
			if n := kafkatest.EndOffsetWith(t, reader, b.Addr(), "tls", 0); n != 0 {
				t.Errorf("topic holds %d records, want 0", n)
			}
		})
	}

	cfg := testConfig(b.Addr())
	cfg.Kafka.TLS = config.KafkaTLS{Enabled: true, CAFile: ca.File, CertFile: proxyCert.CertFile, KeyFile: proxyCert.KeyFile}
	ts := startServerConfig(t, cfg, io.Discard)
	if reports := postRecords(t, ts.url("c", "tls"), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Fatalf("with the right CA and certificate: %v", reports)
	}
	stored := kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "tls", Dialer: reader}, kafka.FirstOffset, 1)
	if string(stored[0].Value) != "hello" {
		t.Errorf("stored %q, want hello", stored[0].Value)
	}
}

// docs/configuration.md, "Files re-read while running": kafka.tls's CA,
// certificate and key are re-read while the proxy runs, as a rotated
// Secret volume updates them. Started with a CA that did not sign the
// broker's certificate and a client certificate the broker refuses, the
// proxy answers 401; once the three files are replaced it produces, with
// no restart. Both files matter: with either one still old, the handshake
// fails.
func TestProduce_KafkaTLSRotated(t *testing.T) {
	t.Parallel()
	ca, otherCA := testpki.New(t), testpki.New(t)
	brokerCert, proxyCert, stranger := ca.Issue(t, "broker"), ca.Issue(t, "proxy"), otherCA.Issue(t, "proxy")
	b := kafkatest.StartBroker(t, map[string]int32{"tls": 1}, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{brokerCert.Pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool,
	}))
	dir := t.TempDir()
	files := map[string][2]string{ // mounted file: its content before and after the rotation
		filepath.Join(dir, "ca.crt"):  {otherCA.File, ca.File},
		filepath.Join(dir, "tls.crt"): {stranger.CertFile, proxyCert.CertFile},
		filepath.Join(dir, "tls.key"): {stranger.KeyFile, proxyCert.KeyFile},
	}
	rotate := func(phase int) {
		for path, from := range files {
			data, err := os.ReadFile(from[phase])
			if err != nil {
				t.Fatal(err)
			}
			filetest.Replace(t, path, string(data))
		}
	}
	rotate(0)
	cfg := testConfig(b.Addr())
	cfg.Kafka.TLS = config.KafkaTLS{Enabled: true, CAFile: filepath.Join(dir, "ca.crt"),
		CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	ts := startServerConfig(t, cfg, io.Discard)
	resp, body := post(t, ts.url("c", "tls"), "application/json", oneRecord)
	wantError(t, resp, body, 401, 40101, "The TLS handshake with Kafka failed: the proxy's kafka.tls settings must be fixed.")

	rotate(1)
	waitFor(t, "a record produced with the rotated files", func() bool {
		resp, _ := post(t, ts.url("c", "tls"), "application/json", oneRecord)
		return resp.StatusCode == 200
	})
	reader := &kafka.Dialer{Timeout: 5 * time.Second, TLS: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{proxyCert.Pair}}}
	if n := kafkatest.EndOffsetWith(t, reader, b.Addr(), "tls", 0); n != 1 {
		t.Errorf("topic holds %d records, want the 1 reported 200", n)
	}
	if v := scrape(t, ts.mgmt)[`restproxy_file_reload_success_timestamp_seconds{file="kafka.tls"}`]; v <= 0 {
		t.Errorf("reload timestamp of kafka.tls = %v, want the time of the rotation", v)
	}
}
