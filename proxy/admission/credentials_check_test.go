package admission

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// hangLimit turns a check that never returns into a failure; nothing
// waits for it when the code is right.
const hangLimit = 10 * time.Second

func bcryptHash(t *testing.T, secret string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func credentialsFileOf(t *testing.T, withUser bool, content string) (*credentialsFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, path, content)
	f, err := newCredentialsFile(path, withUser, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

// heldBcrypt replaces f's bcrypt with one that announces each run on
// started and waits for a value on release before comparing; it counts
// runs and the most running at once.
type heldBcrypt struct {
	started, release chan struct{}
	runs, running    atomic.Int32
	peak             atomic.Int32
}

func holdBcrypt(f *credentialsFile) *heldBcrypt {
	h := &heldBcrypt{started: make(chan struct{}, 100), release: make(chan struct{})}
	f.compare = func(hash, secret []byte) error {
		h.runs.Add(1)
		n := h.running.Add(1)
		defer h.running.Add(-1)
		for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
		}
		h.started <- struct{}{}
		<-h.release
		return bcrypt.CompareHashAndPassword(hash, secret)
	}
	return h
}

func checkAsync(f *credentialsFile, user, secret string) <-chan bool {
	done := make(chan bool, 1)
	go func() {
		ok, _ := f.check(user, secret)
		done <- ok
	}()
	return done
}

func wantVerdict(t *testing.T, what string, done <-chan bool, want bool) {
	t.Helper()
	select {
	case ok := <-done:
		if ok != want {
			t.Errorf("%s: %v, want %v", what, ok, want)
		}
	case <-time.After(hangLimit):
		t.Fatalf("%s: no verdict after %v", what, hangLimit)
	}
}

// A wrong guess for a bcrypt user is being checked, and held inside
// bcrypt: another user's check still completes meanwhile, since bcrypt
// runs outside the credentials' lock.
func TestCredentials_BcryptDoesNotBlockOtherChecks(t *testing.T) {
	t.Parallel()
	f, _ := credentialsFileOf(t, true, "alice:plain-secret\nbob:"+bcryptHash(t, "bob-secret")+"\n")
	held := holdBcrypt(f)
	guess := checkAsync(f, "bob", "guess")
	<-held.started

	wantVerdict(t, "alice's check while bob's guess is in bcrypt", checkAsync(f, "alice", "plain-secret"), true)
	select {
	case <-guess:
		t.Fatal("the guess ended before it was released: the test did not hold it")
	default:
	}
	close(held.release)
	wantVerdict(t, "bob's guess", guess, false)
}

// At most bcryptSlots bcrypt runs at once, however many guesses arrive;
// the others wait for a slot and then get their verdict.
func TestCredentials_BcryptRunsBounded(t *testing.T) {
	t.Parallel()
	const slots, guesses = 2, 5
	f, _ := credentialsFileOf(t, true, "bob:"+bcryptHash(t, "bob-secret")+"\n")
	f.bcryptSlots = make(chan struct{}, slots)
	held := holdBcrypt(f)
	var done []<-chan bool
	for i := range guesses {
		done = append(done, checkAsync(f, "bob", string(rune('a'+i))))
	}
	for range slots {
		<-held.started
	}
	if n := len(f.bcryptSlots); n != slots {
		t.Errorf("%d bcrypt slots taken while %d runs are held, want %d", n, slots, slots)
	}
	for range guesses {
		held.release <- struct{}{}
	}
	for i, d := range done {
		wantVerdict(t, "guess "+string(rune('a'+i)), d, false)
	}
	if p := held.peak.Load(); p > slots {
		t.Errorf("%d bcrypt runs at once, want at most %d", p, slots)
	}
}

// bcrypt's verdict on credentials that were replaced while it ran is not
// remembered for the new ones: here it would refuse the new secret.
func TestCredentials_VerdictOfReplacedFileNotCached(t *testing.T) {
	t.Parallel()
	f, path := credentialsFileOf(t, true, "bob:"+bcryptHash(t, "old-secret")+"\n")
	held := holdBcrypt(f)
	guess := checkAsync(f, "bob", "new-secret")
	<-held.started

	writeCredentials(t, path, "# rotated\nbob:"+bcryptHash(t, "new-secret")+"\n")
	if _, err := f.files.Check(); err != nil {
		t.Fatal(err)
	}
	close(held.release)
	wantVerdict(t, "the guess against the old file", guess, false)
	wantVerdict(t, "the new secret after the rotation", checkAsync(f, "bob", "new-secret"), true)
}

// Timing does not tell which users exist: with a hash in the file, a
// check that names an unknown user, or a plain user with a wrong secret,
// runs one bcrypt as a hashed user's would, and is refused even when the
// secret matches the hash it ran against; a right plain secret runs none;
// a file of plain secrets runs none.
func TestCredentials_RefusalCostsOneBcryptWhoeverItNames(t *testing.T) {
	t.Parallel()
	f, _ := credentialsFileOf(t, true, "alice:plain-secret\nbob:"+bcryptHash(t, "bob-secret")+"\n")
	held := holdBcrypt(f)
	close(held.release)
	for _, c := range []struct {
		user, secret string
		want         bool
		runs         int32
	}{
		{"alice", "plain-secret", true, 0},
		{"alice", "wrong", false, 1},
		{"mallory", "wrong", false, 1},
		{"mallory", "bob-secret", false, 1}, // bob's hash is the one run against
		{"bob", "wrong", false, 1},
		{"bob", "bob-secret", true, 1},
		{"bob", "bob-secret", true, 0}, // remembered
	} {
		before := held.runs.Load()
		if ok, err := f.check(c.user, c.secret); ok != c.want || err != nil {
			t.Errorf("%s/%s: %v, %v; want %v", c.user, c.secret, ok, err, c.want)
		}
		if runs := held.runs.Load() - before; runs != c.runs {
			t.Errorf("%s/%s: %d bcrypt runs, want %d", c.user, c.secret, runs, c.runs)
		}
	}

	plainOnly, _ := credentialsFileOf(t, true, "alice:plain-secret\n")
	held = holdBcrypt(plainOnly)
	close(held.release)
	if ok, _ := plainOnly.check("mallory", "wrong"); ok || held.runs.Load() != 0 {
		t.Errorf("unknown user with plain secrets only: ok %v after %d bcrypt runs, want false after none", ok, held.runs.Load())
	}
}
