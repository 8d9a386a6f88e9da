package admission

import (
	"crypto/sha256"
	"sync"
	"time"
)

// tokenCache remembers verified tokens by their SHA-256 until they
// expire. It is bounded: when full, expired entries go, and if none had,
// everything does (the tokens verify again, at a signature's cost).
type tokenCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]Principal
}

const maxCachedTokens = 10000

func newTokenCache() *tokenCache {
	return &tokenCache{entries: map[[sha256.Size]byte]Principal{}}
}

func (c *tokenCache) get(sum [sha256.Size]byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.entries[sum]
	if ok && !now.Before(t.Expiry) {
		delete(c.entries, sum)
		return Principal{}, false
	}
	return t, ok
}

func (c *tokenCache) put(sum [sha256.Size]byte, t Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedTokens {
		for k, e := range c.entries {
			if !now.Before(e.Expiry) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedTokens {
			clear(c.entries)
		}
	}
	c.entries[sum] = t
}
