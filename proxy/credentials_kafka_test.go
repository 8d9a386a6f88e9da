package proxy

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// saslMechanism is a kafka-go mechanism for the test's own reader.
func saslMechanism(t *testing.T, name, user, password string) sasl.Mechanism {
	t.Helper()
	switch name {
	case config.SASLPlain:
		return plain.Mechanism{Username: user, Password: password}
	case config.SASLScramSHA256, config.SASLScramSHA512:
		algo := scram.SHA256
		if name == config.SASLScramSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, user, password)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Fatalf("no mechanism %s", name)
	return nil
}

// docs/configuration.md, "kafka" and "Files re-read while running": with SASL
// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 against a broker that knows the
// proxy's user, a wrong password in kafka.sasl.passwordFile is answered
// 401/40101 naming the proxy's credentials (not a 503 or a bare
// "unexpected EOF"), logged once in a clear line naming the mechanism and the
// user but not the password, and nothing is produced; once the file holds the
// right password, without a restart, the same request produces, as a separate
// SASL client reads back.
func TestProduce_KafkaSASLWrongPassword_401ThenRotated(t *testing.T) {
	for _, mechanism := range []string{config.SASLPlain, config.SASLScramSHA256, config.SASLScramSHA512} {
		t.Run(mechanism, func(t *testing.T) {
			t.Parallel()
			const user, right, wrong = "proxy", "right-password", "wrong-password"
			b := kafkatest.StartBroker(t, map[string]int32{"sasl": 1}, kfake.EnableSASL(), kfake.Superuser(mechanism, user, right))
			passwordFile := filepath.Join(t.TempDir(), "password")
			writeCredentials(t, passwordFile, wrong+"\n")
			cfg := testConfig(b.Addr())
			cfg.Kafka.SASL = config.KafkaSASL{Mechanism: mechanism, Username: user, PasswordFile: passwordFile}
			var logs syncBuffer
			ts := startServerConfig(t, cfg, &logs)
			dialer := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: saslMechanism(t, mechanism, user, right)}

			resp, body := post(t, ts.url("c", "sasl"), "application/json", oneRecord)
			wantError(t, resp, body, 401, 40101, "Kafka refused the proxy's SASL credentials: the proxy's kafka.sasl settings must be fixed.")
			if got := resp.Header.Get("WWW-Authenticate"); got != "" {
				t.Errorf("WWW-Authenticate %q: the client's credentials are not the problem", got)
			}
			var refusals []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "Kafka refused the proxy's SASL credentials") {
					refusals = append(refusals, l)
				}
			}
			if len(refusals) != 1 {
				t.Fatalf("the refusal is logged %d times, want once:\n%s", len(refusals), logs.String())
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(refusals[0]), &line); err != nil {
				t.Fatalf("log line %q: %v", refusals[0], err)
			}
			// The line says which credentials to fix, never the password.
			if line["mechanism"] != mechanism || line["username"] != user || strings.Contains(refusals[0], wrong) {
				t.Errorf("log line %s: want mechanism %q and username %q, and not the password", refusals[0], mechanism, user)
			}
			if m := scrape(t, ts.mgmt); m[`restproxy_streams_rejected_total{reason="kafka_unauthenticated"}`] != 1 {
				t.Errorf("kafka_unauthenticated refusals = %v, want 1", m[`restproxy_streams_rejected_total{reason="kafka_unauthenticated"}`])
			}
			if n := kafkatest.EndOffsetWith(t, dialer, b.Addr(), "sasl", 0); n != 0 {
				t.Fatalf("topic holds %d records after the refusal, want 0", n)
			}

			writeCredentials(t, passwordFile, right+"\n")
			waitFor(t, "the rotated password to be used", func() bool {
				resp, _ := post(t, ts.url("c", "sasl"), "application/json", oneRecord)
				return resp.StatusCode == 200
			})
			stored := kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "sasl", Dialer: dialer}, kafka.FirstOffset, 1)
			if string(stored[0].Value) != "hello" {
				t.Errorf("stored %q, want hello", stored[0].Value)
			}
			for _, secret := range []string{right, wrong} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("a log line shows a password:\n%s", logs.String())
				}
			}
		})
	}
}
