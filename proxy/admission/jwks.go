package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// Why a token's key could not be had: errUnknownKey is the client's
// problem (401), errKeysUnavailable the issuer's (503, fail closed).
var (
	errUnknownKey      = errors.New("unknown signing key")
	errKeysUnavailable = errors.New("the issuer's keys cannot be fetched")
)

// keySource gives the verification keys of a key id ("" when the token
// names none: every key), and whether tokens it verified may still be
// trusted without asking it again.
type keySource interface {
	keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error)
	fresh(now time.Time) bool
}

// remoteKeys is a JWKS fetched over HTTP: cached for the response's
// max-age, fetched again when it expired or when a token names a key it
// does not hold, at most once per minRefresh. One fetch runs at a time;
// requests that need it wait for it. While the cache is fresh an outage
// goes unnoticed; once it expired every token is refused 503.
type remoteKeys struct {
	fetch      func(ctx context.Context) (jose.JSONWebKeySet, time.Duration, error)
	minRefresh time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu        sync.Mutex
	set       jose.JSONWebKeySet
	expires   time.Time     // the set is fresh before
	lastFetch time.Time     // the last fetch's start
	lastErr   error         // the last fetch's failure; nil if it worked
	inflight  chan struct{} // closed when the running fetch ends; nil for none
}

// fetchTimeout bounds one fetch of the discovery document or the JWKS.
const fetchTimeout = 10 * time.Second

func (r *remoteKeys) fresh(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return now.Before(r.expires)
}

func (r *remoteKeys) keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	for fetched := false; ; fetched = true {
		r.mu.Lock()
		now := r.now()
		fresh := now.Before(r.expires)
		found := lookup(r.set, kid)
		if fresh && len(found) > 0 {
			r.mu.Unlock()
			return found, nil
		}
		if wait := r.inflight; wait != nil {
			r.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, errKeysUnavailable
			}
		}
		if fetched || (!r.lastFetch.IsZero() && now.Sub(r.lastFetch) < r.minRefresh) {
			err := r.verdictLocked(fresh)
			r.mu.Unlock()
			return nil, err
		}
		r.startLocked(ctx, now)
	}
}

// verdictLocked is why keys cannot be given without another fetch: the
// issuer's keys are stale or the last fetch failed (503), or the key is
// not among the fresh ones (401).
func (r *remoteKeys) verdictLocked(fresh bool) error {
	if !fresh || r.lastErr != nil {
		return errKeysUnavailable
	}
	return errUnknownKey
}

// startLocked runs a fetch in its own goroutine, with its own deadline:
// a client that hangs up must not fail the fetch others wait for. It
// returns with the lock released, once the fetch ended or ctx is done.
func (r *remoteKeys) startLocked(ctx context.Context, now time.Time) {
	done := make(chan struct{})
	r.inflight, r.lastFetch = done, now
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		set, maxAge, err := r.fetch(ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.lastErr = err
		if err != nil {
			r.log.Warn("fetch the JWT issuer's keys; tokens are refused 503 once the cached keys expire",
				"error", err, "cached_until", r.expires)
		} else {
			r.set, r.expires = set, now.Add(min(max(maxAge, r.minRefresh), maxKeysMaxAge))
		}
		close(done)
		r.inflight = nil
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// lookup returns the keys of set with id kid, every key for "", leaving
// out keys for encryption only.
func lookup(set jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if (kid == "" || k.KeyID == kid) && k.Use != "enc" {
			out = append(out, k)
		}
	}
	return out
}

// fileKeys is authentication.jwt.jwksFile, re-read when it changes as the
// other credential files are (package reload); its keys never go stale.
type fileKeys struct {
	files *reload.Files[jose.JSONWebKeySet]
}

func newFileKeys(path string, log *slog.Logger, m reload.Metrics) (*fileKeys, error) {
	files, err := reload.Load(reload.Spec[jose.JSONWebKeySet]{
		Key:   "authentication.jwt.jwksFile",
		Paths: []string{path},
		Kept:  "keys",
		Parse: func(data [][]byte) (jose.JSONWebKeySet, error) {
			return parseJWKS(data[0])
		},
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	return &fileKeys{files: files}, nil
}

func (f *fileKeys) keys(_ context.Context, kid string) ([]jose.JSONWebKey, error) {
	set, _ := f.files.Current() // package reload logged a failed re-read
	if found := lookup(set, kid); len(found) > 0 {
		return found, nil
	}
	return nil, errUnknownKey
}

func (f *fileKeys) fresh(time.Time) bool { return true }

// parseJWKS reads a JSON Web Key Set of public keys; it holds at least
// one key. Private keys are refused: the file would be a secret that no
// verifier needs.
func parseJWKS(data []byte) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return set, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	if len(set.Keys) == 0 {
		return set, errors.New("the JSON Web Key Set holds no key")
	}
	for i, k := range set.Keys {
		if !k.IsPublic() {
			return set, fmt.Errorf("key %d (kid %q) is not a public key", i, k.KeyID)
		}
	}
	return set, nil
}
