// Package reload re-reads the files the proxy uses while running (the
// credentials file, the HTTPS certificate, key and client CA, the SASL
// password file), so that a rotated Kubernetes Secret takes effect without
// a restart, and gives all of them one behaviour on a file that does not
// load. docs/configuration.md ("Files re-read while running") describes
// that behaviour to operators; this package is its one implementation.
//
// A Files checks its files when it is used, at most once per Every; it
// starts no goroutine. A version of the files is identified by their
// content's SHA-256, not by modification time and size: a file rewritten
// with the same size within one tick of the file system's coarse clock
// keeps both, so a stamp of the two can miss a rotation for good. The
// files are small and read at most once a second, so reading them costs
// nothing that matters.
//
// On a check that does not load (a file missing or unreadable, content the
// parse function refuses, or a file that held something in the version in
// use and is now empty), the last good value stays in use, the check is
// counted, and one warning names the config key, the file and the error,
// never the content. The warning is repeated only when the error changes,
// or after the files loaded again. A new version loaded is logged once at
// info. Only the first load, in Load, returns its error: the server refuses
// to start.
package reload

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Every is how often at most a Files re-reads its files.
const Every = time.Second

// Metrics counts the reloads of every Files, by config key; nil counts
// nothing. The proxy's management.Metrics is one.
type Metrics interface {
	// FileReloadFailed counts a check whose files did not load, the last
	// good version staying in use.
	FileReloadFailed(key string)
	// FileReloaded says a version of the files was loaded at at, the
	// first one (by Load) included.
	FileReloaded(key string, at time.Time)
}

// Spec describes a set of files read together into one value.
type Spec[T any] struct {
	// Key is the config key, in logs and as the metrics' file label:
	// "authentication.credentialsFile", "http.tls".
	Key string
	// Paths are the files; an empty path stands for an absent optional one.
	Paths []string
	// Kept names what the warning says stays in use: "credentials",
	// "certificate", "password".
	Kept string
	// Parse builds the value from the files' contents, in Paths' order (nil
	// for an absent file). Its error must not quote the content: it is
	// logged.
	Parse func(data [][]byte) (T, error)
	// Log receives the warnings and the info lines; nil discards.
	Log *slog.Logger
	// Metrics counts; nil counts nothing.
	Metrics Metrics
}

// Files is the current value of a set of files. It is safe for concurrent
// use.
type Files[T any] struct {
	spec Spec[T]
	now  func() time.Time // time.Now; tests move it on

	mu      sync.Mutex
	checked time.Time // of the last check
	current T         // the last good value
	digest  digest    // of the files current was built from
	filled  []bool    // which of those files held more than white space
	err     error     // why the last check did not load; nil if it did
	warned  string    // the error last warned about; "" since the last load
	// bad is content that did not load and badErr why, so that the same
	// content is not parsed again every second; badErr is nil when none.
	bad    digest
	badErr error
}

// Load reads and parses the files a first time. Its error names the key
// and, through the file system's error or the parse function's, what is
// wrong.
func Load[T any](s Spec[T]) (*Files[T], error) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	f := &Files[T]{spec: s, now: time.Now}
	data, d, err := f.read()
	if err != nil {
		return nil, err
	}
	v, err := s.Parse(data)
	if err != nil {
		return nil, f.parseError(err)
	}
	f.current, f.digest, f.filled = v, d, filled(data)
	f.checked = f.now()
	if s.Metrics != nil {
		s.Metrics.FileReloaded(s.Key, f.checked)
	}
	return f, nil
}

// Current returns the last good value, after re-reading the files if the
// last check is Every old. The error says why the files as they were at the
// last check did not load (nil when they did); it was logged and counted
// already, and the value is the last good one whatever it says.
func (f *Files[T]) Current() (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := f.now(); now.Sub(f.checked) >= Every {
		f.checkLocked(now)
	}
	return f.current, f.err
}

// Check is Current re-reading the files now, however recent the last
// check.
func (f *Files[T]) Check() (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkLocked(f.now())
	return f.current, f.err
}

func (f *Files[T]) checkLocked(now time.Time) {
	f.checked = now
	loaded, path, err := f.loadLocked()
	if err != nil {
		f.err = err
		if f.spec.Metrics != nil {
			f.spec.Metrics.FileReloadFailed(f.spec.Key)
		}
		if msg := err.Error(); msg != f.warned {
			f.warned = msg
			f.spec.Log.Warn("re-read "+f.spec.Key+"; keeping the last good "+f.spec.Kept,
				"file", f.spec.Key, "path", path, "error", err)
		}
		return
	}
	recovered := f.err != nil
	f.err, f.warned = nil, ""
	switch {
	case loaded:
		f.spec.Log.Info("loaded a new version of "+f.spec.Key, "file", f.spec.Key, "path", f.paths())
		if f.spec.Metrics != nil {
			f.spec.Metrics.FileReloaded(f.spec.Key, now)
		}
	case recovered:
		f.spec.Log.Info("re-read "+f.spec.Key+"; back to the version in use", "file", f.spec.Key, "path", f.paths())
	}
}

// loadLocked reads the files and, if their content changed, parses them.
// On error, path is the file at fault, or every file when the parse
// function refused them.
func (f *Files[T]) loadLocked() (loaded bool, path string, err error) {
	data, d, err := f.read()
	if err != nil {
		f.badErr = nil
		return false, f.failedPath(err), err
	}
	if d == f.digest {
		f.badErr = nil
		return false, "", nil
	}
	if f.badErr == nil || d != f.bad {
		f.bad, f.badErr = d, f.parse(data, d)
	}
	if f.badErr != nil {
		return false, f.failedPath(f.badErr), f.badErr
	}
	return true, "", nil
}

// parse builds a new current value from data, or says why it cannot.
func (f *Files[T]) parse(data [][]byte, d digest) error {
	fill := filled(data)
	// A Secret truncated in place, or read between its truncation and its
	// new content, must not replace good content with nothing (every
	// credential revoked, an empty password).
	for i, p := range f.spec.Paths {
		if f.filled[i] && !fill[i] {
			return &fileError{path: p, err: fmt.Errorf("%s: %s is empty, and the version in use is not", f.spec.Key, p)}
		}
	}
	v, err := f.spec.Parse(data)
	if err != nil {
		return f.parseError(err)
	}
	f.current, f.digest, f.filled = v, d, fill
	return nil
}

// read returns the files' contents and their digest. Its error names the
// key and, through the file system's error, the file.
func (f *Files[T]) read() ([][]byte, digest, error) {
	data := make([][]byte, len(f.spec.Paths))
	for i, p := range f.spec.Paths {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, digest{}, &fileError{path: p, err: fmt.Errorf("%s: %w", f.spec.Key, err)}
		}
		if b == nil {
			b = []byte{} // present, if empty: not an absent file
		}
		data[i] = b
	}
	return data, digestOf(data), nil
}

func (f *Files[T]) parseError(err error) error {
	return fmt.Errorf("%s (%s): %w", f.spec.Key, f.paths(), err)
}

// paths lists the files, for a message about all of them.
func (f *Files[T]) paths() string {
	var ps []string
	for _, p := range f.spec.Paths {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return strings.Join(ps, ", ")
}

func (f *Files[T]) failedPath(err error) string {
	if fe, ok := err.(*fileError); ok {
		return fe.path
	}
	return f.paths()
}

// fileError is an error about one of the files.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string { return e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// filled reports which files hold more than white space.
func filled(data [][]byte) []bool {
	out := make([]bool, len(data))
	for i, b := range data {
		out[i] = len(bytes.TrimSpace(b)) > 0
	}
	return out
}

// digest is the SHA-256 of a set of files' contents.
type digest [sha256.Size]byte

// digestOf hashes the files' contents in order; nil stands for an absent
// file, which differs from an empty one.
func digestOf(data [][]byte) digest {
	h := sha256.New()
	var n [8]byte
	for _, b := range data {
		// Each file's length first (0 for an absent one), so the boundary
		// between two files is part of what is hashed.
		size := uint64(0)
		if b != nil {
			size = uint64(len(b)) + 1
		}
		binary.BigEndian.PutUint64(n[:], size)
		h.Write(n[:])
		h.Write(b)
	}
	var d digest
	h.Sum(d[:0])
	return d
}
