package producer

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go/sasl/plain"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// A password file that goes missing, or is emptied, keeps the last good
// password, and says so once in the log, naming the key and the file but
// never the password; a new password is then loaded.
func TestPasswordFileBadKeepsLastGood(t *testing.T) {
	path := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(path, []byte("first-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	m, err := newPasswordFileMechanism(config.KafkaSASL{Mechanism: config.SASLPlain, Username: "u", PasswordFile: path},
		slog.New(slog.NewTextHandler(&log, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	password := func() string {
		t.Helper()
		p, ok := m.mechanism().(plain.Mechanism)
		if !ok {
			t.Fatalf("mechanism %T, want plain.Mechanism", m.mechanism())
		}
		return p.Password
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := m.files.Check(); err == nil || password() != "first-pw" {
		t.Fatalf("file removed: err %v, password kept %v; want an error and the last good password", err, password() == "first-pw")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := m.files.Check(); err == nil || password() != "first-pw" {
			t.Fatalf("file emptied: err %v, password kept %v; want an error and the last good password", err, password() == "first-pw")
		}
	}
	logged := log.String()
	if n := strings.Count(logged, "level=WARN"); n != 2 ||
		!strings.Contains(logged, "file=kafka.sasl.passwordFile") || !strings.Contains(logged, "path="+path) {
		t.Errorf("want two warnings (removed, emptied) naming kafka.sasl.passwordFile and %s; got %d:\n%s", path, n, logged)
	}

	if err := os.WriteFile(path, []byte("second-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.files.Check(); err != nil || password() != "second-pw" {
		t.Fatalf("new password: err %v, loaded %v", err, password() == "second-pw")
	}
	if logged := log.String(); strings.Contains(logged, "-pw") || !strings.Contains(logged, "loaded a new version of kafka.sasl.passwordFile") {
		t.Errorf("want the new version logged, never a password:\n%s", logged)
	}
}
