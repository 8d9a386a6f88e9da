package producer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
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
// once and ask.
type credentials struct {
	dialer    *kafka.Dialer // nil when SASL is off: nothing to check
	addrs     []string
	mechanism string
	username  string
	log       *slog.Logger

	mu        sync.Mutex // held during a check, so a burst waits for one answer
	checkedAt time.Time
	refused   bool
}

// classify returns err, or errCredentialsRefused wrapping it when err is a
// connection-level failure and the broker refuses our credentials.
func (c *credentials) classify(err error) error {
	if c.dialer == nil || !isConnectionLevel(err) || !c.areRefused() {
		return err
	}
	return errors.Join(errCredentialsRefused, err)
}

func (c *credentials) areRefused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checkedAt) < credentialsCheckEvery {
		return c.refused
	}
	refused := c.dial()
	c.checkedAt = time.Now()
	switch {
	case refused && !c.refused:
		c.log.Error("Kafka refused the proxy's SASL credentials: records fail with 40101 until kafka.sasl.username or the password file is fixed",
			"mechanism", c.mechanism, "username", c.username)
	case !refused && c.refused:
		c.log.Info("Kafka accepts the proxy's SASL credentials again", "mechanism", c.mechanism, "username", c.username)
	}
	c.refused = refused
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
