package admission

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// credentialsFile is authentication.credentialsFile: one credential a line,
// "user:secret" for basic and a key for apiKey, where a bcrypt hash may
// stand in for the secret or key. It is re-read when it changes (a
// rotated Kubernetes Secret), so credentials change without a restart;
// package reload checks it at most once a second and, on a file that does
// not load (an emptied one included), keeps the last good credentials
// (docs/configuration.md, "Files re-read while running").
//
// Plain secrets are held as SHA-256 digests: comparing digests takes the
// same time whatever the secret's length, and memory holds no secret.
type credentialsFile struct {
	withUser bool // basic: "user:secret"; apiKey: the key alone
	files    *reload.Files[*credentials]

	// compare is bcrypt.CompareHashAndPassword; tests replace it to see
	// when a bcrypt run starts and to hold it there.
	compare func(hash, secret []byte) error
	// bcryptSlots bounds the bcrypt runs in progress, so that guessing
	// clients get at most every core, never more, and wait for a slot.
	bcryptSlots chan struct{}

	mu sync.Mutex // guards the verified maps
}

// credentials are one version of the file, parsed.
type credentials struct {
	plain    map[string][sha256.Size]byte // user (or keyDigest of the key) → SHA-256 of the secret
	hashed   map[string][][]byte          // user (or "" for apiKey) → bcrypt hashes
	decoy    []byte                       // the costliest hash of the file, for checks that would run none
	verified map[[sha256.Size]byte]bool   // bcrypt verdicts on these credentials, under credentialsFile.mu
}

func newCredentialsFile(path string, withUser bool, log *slog.Logger, m reload.Metrics) (*credentialsFile, error) {
	files, err := reload.Load(reload.Spec[*credentials]{
		Key:   "authentication.credentialsFile",
		Paths: []string{path},
		Kept:  "credentials",
		Parse: func(data [][]byte) (*credentials, error) {
			plain, hashed, err := parseCredentials(data[0], withUser)
			if err != nil {
				return nil, err
			}
			return &credentials{plain: plain, hashed: hashed, decoy: costliest(hashed), verified: map[[sha256.Size]byte]bool{}}, nil
		},
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	return &credentialsFile{
		withUser:    withUser,
		files:       files,
		compare:     bcrypt.CompareHashAndPassword,
		bcryptSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}, nil
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
