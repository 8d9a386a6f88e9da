package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// produceStatus posts one record with token and returns the status.
func produceStatus(t *testing.T, url, token string) int {
	t.Helper()
	resp, _ := produceAs(t, url, bearer(token))
	return resp.StatusCode
}

// pollStatus posts with token until the answer is want, for at most 10 s.
func pollStatus(t *testing.T, url, token string, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := produceStatus(t, url, token)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status %d, want %d within 10 s", what, got, want)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// docs/produce-api.md, "JWT bearer tokens": the issuer rotates its keys.
// Tokens of the old key keep working until they expire; a token of the new
// key is refused until a refetch, which a token naming an unknown key
// causes at most once per jwksMinRefreshMs, then verifies.
func TestProduce_JWT_KeyRotation(t *testing.T) {
	t.Parallel()
	ti := startIssuer(t)
	ti.setMaxAge("3600")
	oldKey, newKey := ti.key(), newECSigner(t, "new")
	ts := startServer(t, jwtConfig(ti, func(j *config.JWT) { j.JWKSMinRefreshMs = 500 }))
	url := ts.url("c", "orders")

	oldToken := oldKey.sign(t, ti.claims("alice", time.Hour))
	if got := produceStatus(t, url, oldToken); got != 200 {
		t.Fatalf("old key before rotation: %d", got)
	}
	fetches := ti.fetches.Load()
	ti.publish(oldKey, newKey)
	newToken := newKey.sign(t, ti.claims("bob", time.Hour))
	// Within jwksMinRefreshMs of the first fetch, an unknown key causes no
	// fetch: the keys cannot be re-asked for by every bad token.
	resp, body := produceAs(t, url, bearer(newToken))
	if resp.StatusCode == 401 {
		wantInvalidToken(t, resp, body, "unknown signing key", newToken)
		if got := produceStatus(t, url, newToken); got != 401 {
			t.Errorf("second try within jwksMinRefreshMs: %d, want 401", got)
		}
		if got := ti.fetches.Load() - fetches; got > 1 {
			t.Errorf("%d JWKS fetches within jwksMinRefreshMs, want at most 1", got)
		}
	}
	pollStatus(t, url, newToken, 200, "the new key after the refetch")
	if got := ti.fetches.Load() - fetches; got < 1 || got > 20 {
		t.Errorf("%d JWKS fetches in the rotation, want one per jwksMinRefreshMs at most", got)
	}
	if got := produceStatus(t, url, oldToken); got != 200 {
		t.Errorf("old key's token after the rotation: %d, want 200 until it expires", got)
	}
	freshOld := oldKey.sign(t, ti.claims("carol", time.Hour))
	if got := produceStatus(t, url, freshOld); got != 200 {
		t.Errorf("a new token of the old key, still published: %d", got)
	}
}

// An outage of the JWKS endpoint while the cached keys are fresh goes
// unnoticed; once they expire, every token is refused 503/50003 (fail
// closed), and when the endpoint is back, tokens verify again.
func TestProduce_JWT_JWKSOutage(t *testing.T) {
	t.Parallel()
	ti := startIssuer(t)
	ti.setMaxAge("2")
	ts := startServer(t, jwtConfig(ti, func(j *config.JWT) { j.JWKSMinRefreshMs = 100 }))
	url := ts.url("c", "orders")
	key := ti.key()
	cached := key.sign(t, ti.claims("alice", time.Hour))
	fetchedBy := time.Now() // the keys are fresh for 2 s from the fetch, which comes after
	if got := produceStatus(t, url, cached); got != 200 {
		t.Fatalf("before the outage: %d", got)
	}
	ti.setDown(true)
	// Before the keys expire, both a remembered token and one never seen
	// verify with the cached keys.
	unseen := key.sign(t, ti.claims("bob", time.Hour))
	gotCached, gotUnseen := produceStatus(t, url, cached), produceStatus(t, url, unseen)
	if time.Since(fetchedBy) < 1800*time.Millisecond && (gotCached != 200 || gotUnseen != 200) {
		t.Errorf("outage before the keys expire: %d and %d, want 200", gotCached, gotUnseen)
	}
	// A token of a key not cached cannot be told bad from new while the
	// issuer is away: 503 once the refetch (after jwksMinRefreshMs) failed.
	pollStatus(t, url, newECSigner(t, "rotated").sign(t, ti.claims("dan", time.Hour)), 503, "an unknown key during the outage")

	pollStatus(t, url, cached, 503, "a remembered token once the keys expired")
	resp, body := produceAs(t, url, bearer(unseen))
	wantError(t, resp, body, 503, 50003, "The token issuer's keys cannot be fetched: try again later.")
	if got := resp.Header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	ti.setDown(false)
	pollStatus(t, url, cached, 200, "after the outage")
}

// A JWKS endpoint that is down from the start: nothing verifies, 503.
func TestProduce_JWT_IssuerDownAtStart(t *testing.T) {
	t.Parallel()
	ti := startIssuer(t)
	ti.setDown(true)
	ts := startServer(t, jwtConfig(ti, nil))
	resp, body := produceAs(t, ts.url("c", "orders"), bearer(ti.key().sign(t, ti.claims("alice", time.Hour))))
	wantError(t, resp, body, http.StatusServiceUnavailable, 50003, "The token issuer's keys cannot be fetched: try again later.")
}
