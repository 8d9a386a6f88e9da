// Package filetest writes the files tests hand to the proxy the way a
// Kubernetes Secret volume updates them.
package filetest

import (
	"os"
	"testing"
)

// Replace writes content to a file beside path, then renames it over path,
// as a Secret volume's update appears at once and whole.
func Replace(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
