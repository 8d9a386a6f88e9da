package admission

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// check reports whether user and secret match a line of the file (user is
// empty for apiKey). The lock is held only to read the current
// credentials: bcrypt, tens to hundreds of milliseconds a run, runs
// outside it, so that clients guessing wrong passwords delay nobody
// else's check; they only queue for a bcrypt slot.
//
// So that timing does not tell which users exist: an unknown user's
// secret is compared with a digest as a known one's is, and a check that
// would run no bcrypt (unknown user, or wrong plain secret) runs one
// against the file's costliest hash and ignores its verdict, when the
// file holds any hash. A wrong guess therefore costs about one bcrypt
// whoever it names; a file of plain secrets only costs none.
func (f *credentialsFile) check(user, secret string) (bool, error) {
	a, reloadErr := f.attempt(user, secret)
	switch {
	case a.plainMatch:
		return true, reloadErr
	case a.cached:
		return a.verdict, reloadErr
	case len(a.hashes) == 0:
		return false, reloadErr
	}
	ok := f.bcryptMatches(a.hashes, secret) && !a.decoy
	f.remember(a, ok)
	return ok, reloadErr
}

// attempt is what one check needs of the credentials, read under the
// lock; hashes are never modified once parsed, so they are read outside it.
type attempt struct {
	version    uint64            // of the credentials read
	key        [sha256.Size]byte // of user and secret, for the verdict cache
	plainMatch bool
	cached     bool // verdict is bcrypt's, remembered for this version
	verdict    bool
	hashes     [][]byte // for bcrypt to try
	decoy      bool     // hashes is the decoy: refuse whatever bcrypt says
}

// noSecret stands in for an unknown user's digest; no secret's SHA-256 is
// all zeros but with negligible probability, and found is checked anyway.
var noSecret [sha256.Size]byte

func (f *credentialsFile) attempt(user, secret string) (attempt, error) {
	sum := sha256.Sum256([]byte(secret))
	a := attempt{key: sha256.Sum256([]byte(user + "\x00" + secret))}

	f.mu.Lock()
	defer f.mu.Unlock()
	var reloadErr error
	if now := time.Now(); now.Sub(f.checked) >= reloadEvery {
		reloadErr = f.reloadLocked(now)
	}
	a.version = f.version
	want, found := f.plain[f.lookupKey(user, sum)]
	if !found {
		want = noSecret
	}
	if subtle.ConstantTimeCompare(want[:], sum[:]) == 1 && found {
		a.plainMatch = true
		return a, reloadErr
	}
	if a.verdict, a.cached = f.verified[a.key]; a.cached {
		return a, reloadErr
	}
	a.hashes = f.hashed[user]
	if len(a.hashes) == 0 && f.decoy != nil {
		a.hashes, a.decoy = [][]byte{f.decoy}, true
	}
	return a, reloadErr
}

// lookupKey is the plain map's key: the user for basic, and for apiKey the
// key's SHA-256, so that the map lookup's timing depends on a digest,
// never on how much of a guessed key matches.
func (f *credentialsFile) lookupKey(user string, secretSum [sha256.Size]byte) string {
	if f.withUser {
		return user
	}
	return string(secretSum[:])
}

// bcryptMatches runs bcrypt against each hash once a slot is free.
func (f *credentialsFile) bcryptMatches(hashes [][]byte, secret string) bool {
	f.bcryptSlots <- struct{}{}
	defer func() { <-f.bcryptSlots }()
	for _, h := range hashes {
		if f.compare(h, []byte(secret)) == nil {
			return true
		}
	}
	return false
}

// remember caches bcrypt's verdict, so a client's every request does not
// pay for it, unless the file changed while bcrypt ran: the verdict is
// about credentials that are gone.
func (f *credentialsFile) remember(a attempt, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.version == a.version && len(f.verified) < maxVerified {
		f.verified[a.key] = ok
	}
}

// maxVerified bounds the cache of bcrypt verdicts, failures included, so
// guessing clients cannot grow it without bound.
const maxVerified = 4096
