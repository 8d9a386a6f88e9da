package admission

import (
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
)

// lineError is the only error parseCredentials may return: it names the
// line by number, never by content, since the line holds a secret.
var lineError = regexp.MustCompile(`^line [0-9]+ is not user:secret$`)

// FuzzParseCredentials: the credentials-file parser never panics, never
// quotes the file in an error, and admits nothing the file does not say:
// every plain entry is the SHA-256 of a secret (or key) of the file's
// lines, filed under that line's user (or, for keys, under the digest
// itself), and every hash is a bcrypt hash of the file. Run as a normal test it checks the seeds; `go test
// -fuzz FuzzParseCredentials ./proxy` explores further.
func FuzzParseCredentials(f *testing.F) {
	for _, seed := range []struct {
		data     string
		withUser bool
	}{
		{"", true},
		{"alice:secret\nbob:$2a$04$8aP6Tkz6mX1m2Jf8p0e8Fe3f1cQ2yC0T9bV1hS7m1a0Y3b4c5d6e7\n", true},
		{"# comment\n\n  carol:pa:ss  \r\n", true},
		{"no-colon\n", true},
		{":secret\n", true},
		{"user:\n", true},
		{"key-1\nkey-2\n# comment\n", false},
		{"$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n", false},
		{"\x00:\xff\n\ta:b", true},
		{"$2y$31$", false},
	} {
		f.Add([]byte(seed.data), seed.withUser)
	}
	f.Fuzz(func(t *testing.T, data []byte, withUser bool) {
		plain, hashed, err := parseCredentials(data, withUser)
		if err != nil {
			if !lineError.MatchString(err.Error()) {
				t.Fatalf("error %q is not of the form %q", err, lineError)
			}
			return
		}
		// What the file's lines allow: user → digests of their secrets
		// ("" for keys), skipping comments.
		allowed := map[string]map[[sha256.Size]byte]bool{}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "#") {
				continue
			}
			user, secret := "", line
			if withUser {
				user, secret, _ = strings.Cut(line, ":")
			}
			if allowed[user] == nil {
				allowed[user] = map[[sha256.Size]byte]bool{}
			}
			allowed[user][sha256.Sum256([]byte(secret))] = true
		}
		for user, digest := range plain {
			if !withUser {
				if user != string(digest[:]) {
					t.Errorf("key digest %x is filed under %x, want the digest itself", digest, user)
				}
				user = ""
			}
			if !allowed[user][digest] {
				t.Errorf("entry of %q with digest %x is not a line of the file", user, digest)
			}
		}
		for user, hashes := range hashed {
			if !withUser && user != "" {
				t.Errorf("apiKey hash filed under user %q", user)
			}
			for _, h := range hashes {
				if !isBcrypt(string(h)) {
					t.Errorf("hash %q of %q is not bcrypt", h, user)
				}
			}
		}
	})
}
