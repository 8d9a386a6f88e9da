package reload

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// counted records what a Files told its Metrics.
type counted struct {
	mu     sync.Mutex
	failed map[string]int
	loaded map[string][]time.Time
}

func (c *counted) FileReloadFailed(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed[key]++
}

func (c *counted) FileReloaded(key string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loaded[key] = append(c.loaded[key], at)
}

func (c *counted) counts(key string) (failed, loaded int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed[key], len(c.loaded[key])
}

// fixture is a Files over the test's files with a clock the test moves,
// its log and its metrics.
type fixture[T any] struct {
	t       *testing.T
	files   *Files[T]
	clock   time.Time
	log     bytes.Buffer
	metrics counted
	parses  int
}

func load[T any](t *testing.T, key string, paths []string, parse func([][]byte) (T, error)) *fixture[T] {
	t.Helper()
	fx := &fixture[T]{t: t, metrics: counted{failed: map[string]int{}, loaded: map[string][]time.Time{}}}
	files, err := Load(Spec[T]{
		Key:   key,
		Paths: paths,
		Kept:  "value",
		Parse: func(data [][]byte) (T, error) {
			fx.parses++
			return parse(data)
		},
		Log:     slog.New(slog.NewTextHandler(&fx.log, nil)),
		Metrics: &fx.metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.files, fx.clock = files, files.checked
	files.now = func() time.Time { return fx.clock }
	return fx
}

// next moves the clock to the next check and returns what Current says.
func (fx *fixture[T]) next() (T, error) {
	fx.clock = fx.clock.Add(Every)
	return fx.files.Current()
}

// lines returns the log lines holding s.
func (fx *fixture[T]) lines(s string) []string {
	var out []string
	for _, l := range strings.Split(fx.log.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// versioned accepts a file of one line "v=<version>" and refuses anything
// else, without quoting it.
func versioned(data [][]byte) (string, error) {
	v, ok := strings.CutPrefix(strings.TrimSpace(string(data[0])), "v=")
	if !ok {
		return "", errors.New("no v= line")
	}
	return v, nil
}

// A file that turns bad keeps the last good value, is logged once naming
// the key, the file and the error but never the content, and counted at
// every check; a new error is logged again; a good file is loaded and
// logged at info, and a later bad one is logged again.
func TestFiles_BadFileKeepsLastGoodThenRecovers(t *testing.T) {
	const key = "test.file"
	path := filepath.Join(t.TempDir(), "file")
	write(t, path, "v=1\n")
	fx := load(t, key, []string{path}, versioned)
	if failed, loaded := fx.metrics.counts(key); failed != 0 || loaded != 1 || fx.metrics.loaded[key][0] != fx.clock {
		t.Fatalf("after Load: %d failures and loads at %v, want none and one at %v", failed, fx.metrics.loaded[key], fx.clock)
	}
	if fx.log.Len() != 0 {
		t.Errorf("Load logged:\n%s", fx.log.String())
	}

	const secret = "garbage-s3cr3t"
	write(t, path, secret)
	if v, err := fx.files.Current(); v != "1" || err != nil || fx.parses != 1 {
		t.Fatalf("within the second of the last check: %q, %v after %d parses; want 1 and no re-read", v, err, fx.parses)
	}
	for i := range 3 {
		v, err := fx.next()
		if v != "1" || err == nil || !strings.Contains(err.Error(), "no v= line") {
			t.Fatalf("check %d of the bad file: %q, %v; want 1 kept and the parse error", i, v, err)
		}
	}
	warnings := fx.lines("level=WARN")
	if len(warnings) != 1 {
		t.Fatalf("%d warnings for one bad file, want 1:\n%s", len(warnings), fx.log.String())
	}
	for _, want := range []string{"re-read " + key + "; keeping the last good value", "file=" + key, "path=" + path, "no v= line"} {
		if !strings.Contains(warnings[0], want) {
			t.Errorf("warning %q does not say %q", warnings[0], want)
		}
	}
	if strings.Contains(fx.log.String(), secret) {
		t.Errorf("the log quotes the file:\n%s", fx.log.String())
	}
	if failed, _ := fx.metrics.counts(key); failed != 3 {
		t.Errorf("%d failures counted after three checks of the bad file, want 3", failed)
	}
	if fx.parses != 2 {
		t.Errorf("the same bad content was parsed %d times, want once", fx.parses-1)
	}

	// Another error is logged again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if v, err := fx.next(); v != "1" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file removed: %q, %v; want 1 kept and a not-exist error", v, err)
	}
	if warnings := fx.lines("level=WARN"); len(warnings) != 2 || !strings.Contains(warnings[1], "no such file") {
		t.Fatalf("want a second warning for the removed file:\n%s", fx.log.String())
	}

	// Good again: loaded, logged at info, counted.
	write(t, path, "v=2\n")
	if v, err := fx.next(); v != "2" || err != nil {
		t.Fatalf("good again: %q, %v; want 2", v, err)
	}
	if infos := fx.lines("level=INFO"); len(infos) != 1 || !strings.Contains(infos[0], "loaded a new version of "+key) || !strings.Contains(infos[0], "path="+path) {
		t.Errorf("want one info line for the new version:\n%s", fx.log.String())
	}
	if _, loaded := fx.metrics.counts(key); loaded != 2 || fx.metrics.loaded[key][1] != fx.clock {
		t.Errorf("loads %v, want a second at %v", fx.metrics.loaded[key], fx.clock)
	}
	if _, err := fx.next(); err != nil || len(fx.lines("level=INFO")) != 1 {
		t.Errorf("an unchanged file: %v, or logged again:\n%s", err, fx.log.String())
	}

	// After the recovery, the same bad content as before is logged again.
	write(t, path, secret)
	if v, _ := fx.next(); v != "2" || len(fx.lines("level=WARN")) != 3 {
		t.Fatalf("bad after the recovery: %q; want 2 kept and a third warning:\n%s", v, fx.log.String())
	}
	// Back to the version in use: said at info, not counted as a load.
	write(t, path, "v=2\n")
	if v, err := fx.next(); v != "2" || err != nil {
		t.Fatalf("back to the version in use: %q, %v", v, err)
	}
	if infos := fx.lines("level=INFO"); len(infos) != 2 || !strings.Contains(infos[1], "back to the version in use") {
		t.Errorf("want an info line for the return to the version in use:\n%s", fx.log.String())
	}
	if failed, loaded := fx.metrics.counts(key); failed != 5 || loaded != 2 {
		t.Errorf("%d failures and %d loads, want 5 and 2", failed, loaded)
	}
}

// A file rewritten with the same size and the same modification time is
// noticed: versions are told apart by content.
func TestFiles_SameSizeSameSecondRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	stamp := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	writeStamped := func(content string) {
		t.Helper()
		write(t, path, content)
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	writeStamped("v=a")
	fx := load(t, "test.file", []string{path}, versioned)
	writeStamped("v=b")
	if v, err := fx.next(); v != "b" || err != nil {
		t.Errorf("after a same-size, same-mtime rewrite: %q, %v; want b", v, err)
	}
}

// nonBlankLines parses a credentials-like file: any number of non-blank lines,
// none at all included.
func nonBlankLines(data [][]byte) ([]string, error) {
	var out []string
	for _, l := range strings.Split(string(data[0]), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// A file emptied after a version with content was loaded (a Secret
// truncated in place) is a bad file even though the parse function accepts
// it: the last good credentials stay. An empty file at start is loaded.
func TestFiles_EmptiedFileIsBad(t *testing.T) {
	const key = "authentication.credentialsFile"
	path := filepath.Join(t.TempDir(), "credentials")
	write(t, path, "")
	fx := load(t, key, []string{path}, nonBlankLines)
	if v, err := fx.files.Current(); len(v) != 0 || err != nil {
		t.Fatalf("empty at start: %q, %v; want loaded", v, err)
	}
	write(t, path, "key-1\nkey-2\n")
	if v, err := fx.next(); len(v) != 2 || err != nil {
		t.Fatalf("filled: %q, %v; want two lines", v, err)
	}
	for _, empty := range []string{"", "\n \n"} {
		write(t, path, empty)
		v, err := fx.next()
		if len(v) != 2 || err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("emptied to %q: %q, %v; want the two lines kept and an error", empty, v, err)
		}
	}
	warnings := fx.lines("level=WARN")
	if len(warnings) != 1 || !strings.Contains(warnings[0], "path="+path) || !strings.Contains(warnings[0], "file="+key) {
		t.Errorf("want one warning naming the key and the file:\n%s", fx.log.String())
	}
	if failed, _ := fx.metrics.counts(key); failed != 2 {
		t.Errorf("%d failures counted, want 2", failed)
	}
	write(t, path, "# every key revoked\n")
	if v, err := fx.next(); len(v) != 1 || err != nil {
		t.Errorf("a file with a line again: %q, %v; want it loaded", v, err)
	}
}

// Several files make one version; an optional file may be absent; Check
// re-reads whatever the time of the last check.
func TestFiles_SeveralFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "A1")
	write(t, b, "B1")
	joined := func(data [][]byte) (string, error) {
		if data[1] != nil {
			return "", errors.New("an absent file was read")
		}
		return string(data[0]) + "+" + string(data[2]), nil
	}
	fx := load(t, "test.pair", []string{a, "", b}, joined)
	write(t, b, "B2")
	if v, err := fx.files.Check(); v != "A1+B2" || err != nil {
		t.Errorf("Check after b changed: %q, %v; want A1+B2", v, err)
	}
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	if v, err := fx.files.Check(); v != "A1+B2" || err == nil {
		t.Errorf("b removed: %q, %v; want A1+B2 kept", v, err)
	}
	if w := fx.lines("level=WARN"); len(w) != 1 || !strings.Contains(w[0], "path="+b) {
		t.Errorf("want one warning naming %s:\n%s", b, fx.log.String())
	}
}

// Load's error names the key and what is wrong; it is not logged.
func TestLoad_Errors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	bad := filepath.Join(dir, "bad")
	write(t, bad, "s3cr3t")
	for _, c := range []struct {
		path string
		want []string
	}{
		{missing, []string{"test.file", missing, "no such file"}},
		{bad, []string{"test.file", bad, "no v= line"}},
	} {
		var log bytes.Buffer
		_, err := Load(Spec[string]{Key: "test.file", Paths: []string{c.path}, Parse: versioned, Log: slog.New(slog.NewTextHandler(&log, nil))})
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%s): %v, want an error saying %q", c.path, err, want)
			}
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Load(%s): %v quotes the file", c.path, err)
		}
		if log.Len() != 0 {
			t.Errorf("Load(%s) logged:\n%s", c.path, log.String())
		}
	}
}

func TestDigestOf(t *testing.T) {
	d := func(files ...string) digest {
		data := make([][]byte, len(files))
		for i, f := range files {
			if f != "<absent>" {
				data[i] = []byte(f)
			}
		}
		return digestOf(data)
	}
	for _, c := range []struct{ a, b []string }{
		{[]string{"wrong-password"}, []string{"right-password"}},
		// Where one file ends and the next begins is part of the digest.
		{[]string{"ab", "c"}, []string{"a", "bc"}},
		// An absent optional file differs from an empty one.
		{[]string{"a", "<absent>"}, []string{"a", ""}},
	} {
		if d(c.a...) == d(c.b...) {
			t.Errorf("%q and %q gave the same digest", c.a, c.b)
		}
	}
	if d("a", "b") != d("a", "b") {
		t.Error("the same content gave two digests")
	}
}

// Current is safe for concurrent use while the file changes (run with
// -race).
func TestFiles_Concurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	write(t, path, "v=0")
	files, err := Load(Spec[string]{Key: "test.file", Paths: []string{path}, Parse: versioned})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if v, _ := files.Current(); v == "" {
					t.Error("empty value")
					return
				}
			}
		})
	}
	for i := range 20 {
		// Replaced as a Secret volume does, so that no reader sees it half written.
		write(t, path+".new", fmt.Sprintf("v=%d", i+1))
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
		if v, err := files.Check(); v != fmt.Sprint(i+1) || err != nil {
			t.Fatalf("Check after writing version %d: %q, %v", i+1, v, err)
		}
	}
	wg.Wait()
}
