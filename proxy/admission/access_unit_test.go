package admission

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filetest"
)

// A credentials file that disappears after it was read keeps the last good
// credentials, and the check says why it could not re-read the file.
func TestCredentialsFile_VanishedKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("u:s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := newCredentialsFile(good, true, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	_, _ = f.files.Check() // force the re-read
	if ok, err := f.check("u", "s"); !ok || err == nil {
		t.Errorf("after the file vanished: ok %v err %v, want the last credentials kept and the error returned", ok, err)
	}
}

// The Bearer scheme name is matched without regard to case (RFC 7235
// section 2.1); the token is what follows the first space.
func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer k1", "k1", true},
		{"bearer k1", "k1", true},
		{"BEARER k1", "k1", true},
		{"Bearer k1 with spaces", "k1 with spaces", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearerk1", "", false},
		{"Basic k1", "", false},
		{"Bearer-x k1", "", false},
	} {
		if token, ok := bearerToken(c.header); token != c.token || ok != c.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", c.header, token, ok, c.token, c.ok)
		}
	}
}

// writeCredentials replaces a credentials file as a Secret volume does.
func writeCredentials(t *testing.T, path, content string) { filetest.Replace(t, path, content) }
