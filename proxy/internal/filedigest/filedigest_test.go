package filedigest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mtime time.Time) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return path
	}
	digest := func(paths ...string) Digest {
		t.Helper()
		d, err := Of(paths...)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tick := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

	a := write("a", "wrong-password", tick)
	before := digest(a)
	// The same size and the same modification time: only the content tells.
	write("a", "right-password", tick)
	if digest(a) == before {
		t.Error("rewriting a file with other content of the same size and mtime kept its digest")
	}
	if digest(a) != digest(a) {
		t.Error("the same content gave two digests")
	}

	// Where one file ends and the next begins is part of the digest, and
	// an absent optional file differs from an empty one.
	ab, c := write("ab", "ab", tick), write("c", "c", tick)
	x, bc := write("x", "a", tick), write("bc", "bc", tick)
	if digest(ab, c) == digest(x, bc) {
		t.Error(`"ab"+"c" and "a"+"bc" gave the same digest`)
	}
	empty := write("empty", "", tick)
	if digest(a, "") == digest(a, empty) {
		t.Error("an absent optional file and an empty file gave the same digest")
	}

	if _, err := Of(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}
