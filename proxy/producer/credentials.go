package producer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// credentialsCheckEvery bounds how often a burst of connection failures
// dials the broker to find out why.
const credentialsCheckEvery = time.Second

// credentials tells a broker that rejects the proxy's SASL credentials apart
// from one that merely dropped the connection. kafka-go's Transport reports
// a rejection by a broker that closes the connection as a bare "unexpected
// EOF", indistinguishable from a network failure, while its Dialer, which
// speaks the same SASL exchange on a fresh connection, names it
// SASL_AUTHENTICATION_FAILED. So after a connection-level failure we dial
// once and ask, at most once per credentialsCheckEvery.
type credentials struct {
	dialer    *kafka.Dialer // nil when SASL is off: nothing to check
	addrs     []string
	mechanism string
	username  string
	log       *slog.Logger

	mu        sync.Mutex // held during a check, so a burst waits for one answer
	checkedAt time.Time
	refused   atomic.Bool // the last check's verdict
	checking  atomic.Bool // a background check is under way
}

// classify returns err, or errCredentialsRefused joined to it when err is a
// connection-level failure and the broker refuses our credentials. With
// wait it checks now if the last check is stale; without, it answers from
// the last check and refreshes that in the background, so the produce path
// never waits for a dial: the first failures after credentials go bad may
// still read 50003.
func (c *credentials) classify(err error, wait bool) error {
	if c.dialer == nil || !isConnectionLevel(err) {
		return err
	}
	var refused bool
	if wait {
		refused = c.check()
	} else {
		refused = c.refused.Load()
		if c.checking.CompareAndSwap(false, true) {
			go func() {
				defer c.checking.Store(false)
				c.check()
			}()
		}
	}
	if !refused {
		return err
	}
	return errors.Join(errCredentialsRefused, err)
}

// check dials unless the last check is recent, and logs when the verdict
// changes: one clear line, not one per failed record.
func (c *credentials) check() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checkedAt) < credentialsCheckEvery {
		return c.refused.Load()
	}
	refused := c.dial()
	c.checkedAt = time.Now()
	switch was := c.refused.Swap(refused); {
	case refused && !was:
		c.log.Error("Kafka refused the proxy's SASL credentials: records fail with 40101 until kafka.sasl.username or the password file is fixed",
			"mechanism", c.mechanism, "username", c.username)
	case !refused && was:
		c.log.Info("Kafka accepts the proxy's SASL credentials again", "mechanism", c.mechanism, "username", c.username)
	}
	return refused
}

// dial authenticates on a fresh connection to the first broker that answers.
func (c *credentials) dial() (refused bool) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	for _, addr := range c.addrs {
		conn, err := c.dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return false
		}
		if isKafka(err, kafka.SASLAuthenticationFailed, kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState) {
			return true
		}
	}
	return false
}
