package admission

import (
	"crypto/sha256"
	"crypto/subtle"
)

// check reports whether user and secret match a line of the file (user is
// empty for apiKey), against the last good credentials; the error says why
// the file did not load at its last check, already logged and counted by
// package reload. Locks are held only to read the current credentials and
// verdicts: bcrypt, tens to hundreds of milliseconds a run, runs
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
	ok, _, err := f.checkLimited(user, secret, nil)
	return ok, err
}

// checkLimited is check with bcrypt, the costly part, run only when
// mayBcrypt (nil: always) allows it; limited reports that it did not.
func (f *credentialsFile) checkLimited(user, secret string, mayBcrypt func() bool) (ok, limited bool, err error) {
	a, reloadErr := f.attempt(user, secret)
	switch {
	case a.plainMatch:
		return true, false, reloadErr
	case a.cached:
		return a.verdict, false, reloadErr
	case len(a.hashes) == 0:
		return false, false, reloadErr
	case mayBcrypt != nil && !mayBcrypt():
		return false, true, reloadErr
	}
	ok = f.bcryptMatches(a.hashes, secret) && !a.decoy
	f.remember(a, ok)
	return ok, false, reloadErr
}

// attempt is what one check needs of the credentials; only the verdicts
// change once parsed, so only they are read under the lock.
type attempt struct {
	creds      *credentials      // the version checked against
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

	creds, reloadErr := f.files.Current()
	a.creds = creds
	want, found := creds.plain[f.lookupKey(user, sum)]
	if !found {
		want = noSecret
	}
	if subtle.ConstantTimeCompare(want[:], sum[:]) == 1 && found {
		a.plainMatch = true
		return a, reloadErr
	}
	f.mu.Lock()
	a.verdict, a.cached = creds.verified[a.key]
	f.mu.Unlock()
	if a.cached {
		return a, reloadErr
	}
	a.hashes = creds.hashed[user]
	if len(a.hashes) == 0 && creds.decoy != nil {
		a.hashes, a.decoy = [][]byte{creds.decoy}, true
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
// pay for it. The cache belongs to the version checked against: if the
// file changed while bcrypt ran, the verdict goes with the credentials that
// are gone and never answers for the new ones.
func (f *credentialsFile) remember(a attempt, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Only successes: guesses would fill the cache and push valid
	// credentials out of it, and the bcrypt runs a client address may cause
	// are bounded anyway.
	if ok && len(a.creds.verified) < maxVerified {
		a.creds.verified[a.key] = true
	}
}

// maxVerified bounds the cache of bcrypt verdicts: the distinct valid
// credentials of one file version.
const maxVerified = 4096
