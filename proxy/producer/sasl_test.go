package producer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

func TestSASL(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1},
		kfake.EnableSASL(),
		kfake.Superuser(config.SASLPlain, "plain-user", "plain-secret"),
		kfake.Superuser(config.SASLScramSHA256, "scram256-user", "scram256-secret"),
		kfake.Superuser(config.SASLScramSHA512, "scram512-user", "scram512-secret"),
	)
	for _, mechanism := range []string{config.SASLPlain, config.SASLScramSHA256, config.SASLScramSHA512} {
		user := map[string]string{
			config.SASLPlain:       "plain",
			config.SASLScramSHA256: "scram256",
			config.SASLScramSHA512: "scram512",
		}[mechanism]

		t.Run(mechanism+"/accepted", func(t *testing.T) {
			// A trailing newline, as Secrets and editors leave, is not part of the password.
			p := newProducer(t, saslConfig(t, b.Addr(), mechanism, user+"-user", user+"-secret\n"))
			if n, err := p.Partitions(t.Context(), "orders"); err != nil || n != 1 {
				t.Fatalf("Partitions = %d, %v; want 1", n, err)
			}
			res := produceAll(t, p, "orders", newRecord(0, "k", mechanism, time.Now()))[0]
			if res.Err != nil {
				t.Fatalf("produce: %s", describe(res))
			}
			stored := kafkatest.Read(t, kafka.ReaderConfig{
				Brokers: []string{b.Addr()}, Topic: "orders",
				Dialer: &kafka.Dialer{SASLMechanism: plain.Mechanism{Username: "plain-user", Password: "plain-secret"}},
			}, kafka.FirstOffset, int(res.Offset)+1)
			if got := string(stored[res.Offset].Value); got != mechanism {
				t.Errorf("stored %q at offset %d, want %q", got, res.Offset, mechanism)
			}
		})

		t.Run(mechanism+"/refused", func(t *testing.T) {
			before := storedRecords(t, b.Addr())
			var log logBuffer
			p := newProducerLogging(t, saslConfig(t, b.Addr(), mechanism, user+"-user", "wrong"), &log)
			_, err := p.Partitions(t.Context(), "orders")
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "refused the proxy's SASL credentials") {
				t.Errorf("Partitions: err = %v, want ErrUnavailable saying the credentials were refused", err)
			}
			res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]
			if res.Err == nil || res.Err.Code() != 40101 {
				t.Errorf("produce: %s, want 40101", describe(res))
			}
			logged := log.String()
			if strings.Count(logged, "Kafka refused the proxy's SASL credentials") != 1 {
				t.Errorf("log should say once that the credentials were refused; got:\n%s", logged)
			}
			if strings.Contains(logged, "wrong") {
				t.Errorf("log shows the password:\n%s", logged)
			}
			if after := storedRecords(t, b.Addr()); after != before {
				t.Errorf("the topic grew from %d to %d records with refused credentials", before, after)
			}
		})
	}
}

// Without a Partitions call first, the produce path learns of the refusal in
// the background: failures may read 50003 at first, but not for ever.
func TestSASLRefusedOnProducePathAlone(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1},
		kfake.EnableSASL(), kfake.Superuser(config.SASLPlain, "user", "secret"))
	p := newProducer(t, saslConfig(t, b.Addr(), config.SASLPlain, "user", "wrong"))
	deadline := time.Now().Add(waitLimit)
	for {
		res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]
		if res.Err == nil || (res.Err.Code() != 40101 && res.Err.Code() != 50003) {
			t.Fatalf("produce: %s, want 50003 or 40101", describe(res))
		}
		if res.Err.Code() == 40101 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still 50003 after %s, want 40101 once the credentials check ran", waitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedRecords is the end offset of orders/0, read as the PLAIN superuser
// on a connection of the test's own.
func storedRecords(t *testing.T, addr string) int64 {
	t.Helper()
	d := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: plain.Mechanism{Username: "plain-user", Password: "plain-secret"}}
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	conn, err := d.DialLeader(ctx, "tcp", addr, "orders", 0)
	if err != nil {
		t.Fatalf("dial leader of orders/0: %v", err)
	}
	defer conn.Close()
	n, err := conn.ReadLastOffset()
	if err != nil {
		t.Fatalf("end offset of orders/0: %v", err)
	}
	return n
}

func saslConfig(t *testing.T, addr, mechanism, user, password string) config.Config {
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(addr)
	cfg.Kafka.SASL = config.KafkaSASL{Mechanism: mechanism, Username: user, PasswordFile: passwordFile}
	return cfg
}

// The password file is re-read when it changes, without a restart: a
// producer started with a password the broker refuses authenticates once
// the file holds the right one, and the password is never logged.
func TestSASLPasswordFileReread(t *testing.T) {
	b := kafkatest.StartBroker(t, map[string]int32{"orders": 1},
		kfake.EnableSASL(), kfake.Superuser(config.SASLScramSHA256, "user", "rotated-secret"))
	cfg := saslConfig(t, b.Addr(), config.SASLScramSHA256, "user", "old-secret")
	var log logBuffer
	p := newProducerLogging(t, cfg, &log)
	if _, err := p.Partitions(t.Context(), "orders"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Partitions with the old password: err = %v, want ErrUnavailable", err)
	}
	// Replace the file as a Kubernetes Secret volume does: write, then rename.
	tmp := cfg.Kafka.SASL.PasswordFile + ".new"
	if err := os.WriteFile(tmp, []byte("rotated-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, cfg.Kafka.SASL.PasswordFile); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		n, err := p.Partitions(t.Context(), "orders")
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Partitions still failing %s after the password file changed: %v", waitLimit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res := produceAll(t, p, "orders", newRecord(0, "k", "v", time.Now()))[0]; res.Err != nil {
		t.Fatalf("produce after the rotation: %s", describe(res))
	}
	if logged := log.String(); strings.Contains(logged, "secret") {
		t.Errorf("log shows a password:\n%s", logged)
	}
}
