package admission

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// A credentials file truncated in place after it was read keeps every
// credential: an empty Secret must not revoke every key. The warning names
// the key and the file; it is logged once however many checks see it.
func TestCredentialsFile_TruncatedKeepsLastGood(t *testing.T) {
	t.Parallel()
	f, path := credentialsFileOf(t, false, "key-1\n")
	var log bytes.Buffer
	f, err := newCredentialsFile(path, false, slog.New(slog.NewTextHandler(&log, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, _ = f.files.Check()
		if ok, err := f.check("", "key-1"); !ok || err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Fatalf("after the file was truncated: ok %v err %v, want key-1 kept and the error returned", ok, err)
		}
	}
	if n := strings.Count(log.String(), "level=WARN"); n != 1 ||
		!strings.Contains(log.String(), "file=authentication.credentialsFile") || !strings.Contains(log.String(), "path="+path) {
		t.Errorf("want one warning naming authentication.credentialsFile and %s; got %d:\n%s", path, n, log.String())
	}
}
