package controllers

import (
	"sync"
	"time"
)

// reachability checks what RestProxies name outside the cluster and the
// operator can reach too: their JWT issuer and their Schema Registry.
// What does not answer is reported in the Degraded condition, and Ready is
// unaffected: the proxies keep serving what needs neither.
type reachability struct {
	issuers    *issuerChecks
	registries *registryChecks
}

func newReachability() *reachability {
	return &reachability{issuers: newIssuerChecks(), registries: newRegistryChecks()}
}

// recheckAfter is when a RestProxy that something did not answer for is
// reconciled again: once the cached answers may have changed.
const recheckAfter = min(issuerCheckEvery, registryCheckEvery)

// probeCache keeps the outcome of a reachability probe per key (a URL and
// how it is probed) for a period: one request per key that often at
// most, however many RestProxies name it. It serves the JWT issuer and
// the Schema Registry checks.
type probeCache struct {
	every time.Duration

	mu   sync.Mutex
	seen map[string]probeOutcome
}

type probeOutcome struct {
	at  time.Time
	err error
}

func newProbeCache(every time.Duration) *probeCache {
	return &probeCache{every: every, seen: map[string]probeOutcome{}}
}

// check runs probe unless an outcome younger than the period is kept for
// key, and returns the outcome.
func (c *probeCache) check(key string, probe func() error) error {
	c.mu.Lock()
	last, ok := c.seen[key]
	c.mu.Unlock()
	if ok && time.Since(last.at) < c.every {
		return last.err
	}
	err := probe()
	c.mu.Lock()
	c.seen[key] = probeOutcome{at: time.Now(), err: err}
	c.mu.Unlock()
	return err
}
