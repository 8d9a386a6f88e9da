package producer

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// kafka.maxPrincipalWriters bounds the open Writers (the least recently
// used is closed for a new one), kafka.principalWriterIdleMs closes unused
// ones, and a principal without a Kafka user gets no Writer at all.
func TestPrincipalWriters(t *testing.T) {
	dir := t.TempDir()
	var principals []config.KafkaPrincipal
	for _, name := range []string{"a", "b", "c"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("secret-"+name), 0o600); err != nil {
			t.Fatal(err)
		}
		principals = append(principals, config.KafkaPrincipal{Principal: name, Username: "user-" + name, PasswordFile: path})
	}
	k := config.Kafka{SASL: config.KafkaSASL{Mechanism: config.SASLScramSHA512}}
	k.Principals, k.MaxPrincipalWriters, k.PrincipalWriterIdleMs = principals, 2, 60000
	opened := 0
	pw := newPrincipalWriters(k, security{}, func(rt kafka.RoundTripper) *kafka.Writer {
		opened++
		if tr := rt.(*kafka.Transport); tr.SASL == nil || tr.SASL.Name() != "SCRAM-SHA-512" {
			t.Errorf("a principal's transport has SASL %v, want its SCRAM-SHA-512 user", tr.SASL)
		}
		return &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1")}
	}, slog.New(slog.DiscardHandler))
	defer pw.closeAll()

	t0 := time.Unix(1000, 0)
	wa, _ := pw.writer("a", t0)
	if again, _ := pw.writer("a", t0.Add(time.Second)); again != wa || opened != 1 {
		t.Errorf("a's second use opened another Writer (%d opened)", opened)
	}
	pw.writer("b", t0.Add(2*time.Second))
	pw.writer("c", t0.Add(3*time.Second)) // a, used least recently, makes room
	if n := pw.count(); n != 2 || opened != 3 {
		t.Errorf("%d Writers open after 3 principals with a bound of 2 (%d opened)", n, opened)
	}
	if _, ok := pw.writers["a"]; ok {
		t.Errorf("a, the least recently used, is still open")
	}
	pw.closeIdle(t0.Add(2*time.Second + time.Minute)) // b idle for a minute, c not quite
	if _, ok := pw.writers["b"]; ok || pw.count() != 1 {
		t.Errorf("after b's idle time: %d open, b open %v", pw.count(), ok)
	}
	if _, err := pw.writer("mallory", t0); !errors.Is(err, errNoKafkaUser) {
		t.Errorf("an unmapped principal: %v, want errNoKafkaUser", err)
	}
	if k := mapError(errNoKafkaUser).Kind; k.Entry().Code != 40101 {
		t.Errorf("an unmapped principal's records get %d, want 40101", k.Entry().Code)
	}
}
