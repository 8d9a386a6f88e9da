package admission

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
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
//
// Plain secrets are held as SHA-256 digests: comparing digests takes the
// same time whatever the secret's length, and memory holds no secret.
type credentialsFile struct {
	path     string
	withUser bool // basic: "user:secret"; apiKey: the key alone

	// compare is bcrypt.CompareHashAndPassword; tests replace it to see
	// when a bcrypt run starts and to hold it there.
	compare func(hash, secret []byte) error
	// bcryptSlots bounds the bcrypt runs in progress, so that guessing
	// clients get at most every core, never more, and wait for a slot.
	bcryptSlots chan struct{}

	mu       sync.Mutex
	checked  time.Time
	digest   [sha256.Size]byte            // of the content the credentials were read from
	version  uint64                       // counts the reads that changed the credentials
	plain    map[string][sha256.Size]byte // user (or keyDigest of the key) → SHA-256 of the secret
	hashed   map[string][][]byte          // user (or "" for apiKey) → bcrypt hashes
	decoy    []byte                       // the costliest hash of the file, for checks that would run none
	verified map[[sha256.Size]byte]bool   // bcrypt verdicts of this version
}

const reloadEvery = time.Second

func newCredentialsFile(path string, withUser bool) (*credentialsFile, error) {
	f := &credentialsFile{
		path:        path,
		withUser:    withUser,
		compare:     bcrypt.CompareHashAndPassword,
		bcryptSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	if err := f.reloadLocked(time.Now()); err != nil {
		return nil, err
	}
	return f, nil
}

// reloadLocked reads the file and parses it again if its content changed
// (see filedigest for why content, not modification time and size).
func (f *credentialsFile) reloadLocked(now time.Time) error {
	f.checked = now
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("authentication.credentialsFile: %w", err)
	}
	digest := sha256.Sum256(data)
	if f.plain != nil && digest == f.digest {
		return nil
	}
	plain, hashed, err := parseCredentials(data, f.withUser)
	if err != nil {
		return fmt.Errorf("authentication.credentialsFile %s: %w", f.path, err)
	}
	f.plain, f.hashed, f.decoy = plain, hashed, costliest(hashed)
	f.verified = map[[sha256.Size]byte]bool{}
	f.version++
	f.digest = digest
	return nil
}

// costliest returns the hash of the highest bcrypt cost, or nil.
func costliest(hashed map[string][][]byte) []byte {
	var best []byte
	bestCost := -1
	for _, hashes := range hashed {
		for _, h := range hashes {
			if cost, err := bcrypt.Cost(h); err == nil && cost > bestCost {
				best, bestCost = h, cost
			}
		}
	}
	return best
}

// parseCredentials reads a credentials file: blank lines and lines starting
// with # are skipped, others are "user:secret" (withUser) or a key, where a
// bcrypt hash may stand in for the secret or key. It returns the SHA-256 of
// each plain secret by user (or by keyDigest of the key) and the hashes by
// user ("" for keys). An error names the line by number only: the line
// holds a secret.
func parseCredentials(data []byte, withUser bool) (plain map[string][sha256.Size]byte, hashed map[string][][]byte, err error) {
	plain, hashed = map[string][sha256.Size]byte{}, map[string][][]byte{}
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
			plain[user] = sha256.Sum256([]byte(secret))
		} else {
			plain[keyDigest(secret)] = sha256.Sum256([]byte(secret))
		}
	}
	return plain, hashed, nil
}

func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return string(sum[:])
}

func isBcrypt(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil && bytes.HasPrefix([]byte(s), []byte("$2"))
}
