package proxy

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// credentialsFile is authentication.credentialsFile: one credential a line,
// "user:secret" for basic and a key for apiKey, where a bcrypt hash may
// stand in for the secret or key. It is re-read when it changes (a
// rotated Kubernetes Secret), checked at most once per reloadEvery, so
// credentials change without a restart. A file that cannot be read keeps
// the last good credentials and is logged, never its content.
type credentialsFile struct {
	path     string
	withUser bool // basic: "user:secret"; apiKey: the key alone

	mu       sync.Mutex
	checked  time.Time
	modTime  time.Time
	size     int64
	plain    map[string][]byte   // user (or key) → secret (or key)
	hashed   map[string][][]byte // user (or "" for apiKey) → bcrypt hashes
	verified map[[sha256.Size]byte]bool
}

const reloadEvery = time.Second

func newCredentialsFile(path string, withUser bool) (*credentialsFile, error) {
	f := &credentialsFile{path: path, withUser: withUser}
	if err := f.reloadLocked(time.Now()); err != nil {
		return nil, err
	}
	return f, nil
}

// check reports whether user and secret match a line of the file (user is
// empty for apiKey).
func (f *credentialsFile) check(user, secret string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var reloadErr error
	if now := time.Now(); now.Sub(f.checked) >= reloadEvery {
		reloadErr = f.reloadLocked(now)
	}
	if want, ok := f.plain[f.lookupKey(user, secret)]; ok && subtle.ConstantTimeCompare(want, []byte(secret)) == 1 {
		return true, reloadErr
	}
	// bcrypt costs tens of milliseconds: remember what matched, per file
	// version, so a client's every request does not pay it.
	sum := sha256.Sum256([]byte(user + "\x00" + secret))
	if ok, seen := f.verified[sum]; seen {
		return ok, reloadErr
	}
	ok := false
	for _, h := range f.hashed[user] {
		if bcrypt.CompareHashAndPassword(h, []byte(secret)) == nil {
			ok = true
			break
		}
	}
	if len(f.verified) < maxVerified {
		f.verified[sum] = ok
	}
	return ok, reloadErr
}

// maxVerified bounds the cache of bcrypt verdicts, failures included, so
// guessing clients cannot grow it without bound.
const maxVerified = 4096

// lookupKey is the plain map's key: the user for basic, and for apiKey the
// key's SHA-256, so that the map lookup's timing depends on a digest, never
// on how much of a guessed key matches; the secret is then compared in
// constant time.
func (f *credentialsFile) lookupKey(user, secret string) string {
	if f.withUser {
		return user
	}
	return keyDigest(secret)
}

func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return string(sum[:])
}

// reloadLocked reads the file if its modification time or size changed.
func (f *credentialsFile) reloadLocked(now time.Time) error {
	f.checked = now
	info, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("authentication.credentialsFile: %w", err)
	}
	if f.plain != nil && info.ModTime().Equal(f.modTime) && info.Size() == f.size {
		return nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("authentication.credentialsFile: %w", err)
	}
	plain, hashed, err := parseCredentials(data, f.withUser)
	if err != nil {
		return fmt.Errorf("authentication.credentialsFile %s: %w", f.path, err)
	}
	f.plain, f.hashed = plain, hashed
	f.verified = map[[sha256.Size]byte]bool{}
	f.modTime, f.size = info.ModTime(), info.Size()
	return nil
}

// parseCredentials reads a credentials file: blank lines and lines starting
// with # are skipped, others are "user:secret" (withUser) or a key, where a
// bcrypt hash may stand in for the secret or key. It returns the plain
// secrets by user (or by keyDigest of the key) and the hashes by user ("" for keys). An
// error names the line by number only: the line holds a secret.
func parseCredentials(data []byte, withUser bool) (plain map[string][]byte, hashed map[string][][]byte, err error) {
	plain, hashed = map[string][]byte{}, map[string][][]byte{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, secret := "", line
		if withUser {
			var ok bool
			if user, secret, ok = strings.Cut(line, ":"); !ok || user == "" || secret == "" {
				return nil, nil, fmt.Errorf("line %d is not user:secret", i+1)
			}
		}
		if isBcrypt(secret) {
			hashed[user] = append(hashed[user], []byte(secret))
			continue
		}
		if withUser {
			plain[user] = []byte(secret)
		} else {
			plain[keyDigest(secret)] = []byte(secret)
		}
	}
	return plain, hashed, nil
}

func isBcrypt(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil && bytes.HasPrefix([]byte(s), []byte("$2"))
}
