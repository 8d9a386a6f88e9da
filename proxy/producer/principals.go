package producer

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// principalWriters are the kafka-go Writers of kafka.identity principal:
// one per principal that produced lately, each authenticating to Kafka with
// the SASL user kafka.principals maps it to, so that Kafka's ACLs apply to
// each client. A Writer is opened on a principal's first record, closed
// after kafka.principalWriterIdleMs unused, and at most
// kafka.maxPrincipalWriters are open: the one used least recently is closed
// to make room. Closing flushes what the Writer holds; its records are
// reported as usual.
type principalWriters struct {
	users map[string]config.KafkaPrincipal
	open  func(kafka.RoundTripper) *kafka.Writer // a Writer of the proxy's settings over a transport
	sec   security                               // TLS, shared; SASL is each principal's
	kafka config.Kafka
	max   int
	idle  time.Duration
	log   *slog.Logger

	mu      sync.Mutex
	writers map[string]*principalWriter
}

type principalWriter struct {
	w        *kafka.Writer
	lastUsed time.Time
}

// errNoKafkaUser fails the records of a principal kafka.principals does
// not map (40101): they are never written as the proxy instead.
var errNoKafkaUser = errors.New("no Kafka user is mapped to the principal in kafka.principals")

func newPrincipalWriters(k config.Kafka, sec security, open func(kafka.RoundTripper) *kafka.Writer, log *slog.Logger) *principalWriters {
	users := make(map[string]config.KafkaPrincipal, len(k.Principals))
	for _, p := range k.Principals {
		users[p.Principal] = p
	}
	return &principalWriters{
		users: users, open: open, sec: sec, kafka: k, log: log,
		max: k.MaxPrincipalWriters, idle: time.Duration(k.PrincipalWriterIdleMs) * time.Millisecond,
		writers: map[string]*principalWriter{},
	}
}

// writer returns the open Writer of principal, opening it if need be.
func (pw *principalWriters) writer(principal string, now time.Time) (*kafka.Writer, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if w, ok := pw.writers[principal]; ok {
		w.lastUsed = now
		return w.w, nil
	}
	user, ok := pw.users[principal]
	if !ok {
		return nil, fmt.Errorf("%w: %q", errNoKafkaUser, principal)
	}
	mech, err := newPasswordFileMechanism(config.KafkaSASL{
		Mechanism: pw.kafka.SASL.Mechanism, Username: user.Username, PasswordFile: user.PasswordFile,
	}, pw.log, nil)
	if err != nil {
		pw.log.Error("open the Kafka writer of a principal", "principal", principal, "username", user.Username, "error", err)
		return nil, fmt.Errorf("%w: the password file of Kafka user %q of principal %q cannot be read", errNoKafkaUser, user.Username, principal)
	}
	if len(pw.writers) >= pw.max {
		pw.closeLocked(pw.leastRecentLocked())
	}
	w := pw.open(newTransport(pw.kafka, security{tls: pw.sec.tls, sasl: mech}))
	pw.writers[principal] = &principalWriter{w: w, lastUsed: now}
	return w, nil
}

func (pw *principalWriters) leastRecentLocked() string {
	var oldest string
	var at time.Time
	for name, w := range pw.writers {
		if oldest == "" || w.lastUsed.Before(at) {
			oldest, at = name, w.lastUsed
		}
	}
	return oldest
}

// closeLocked closes principal's Writer in the background: Close flushes
// and waits for Kafka, which no request should wait for.
func (pw *principalWriters) closeLocked(principal string) {
	w, ok := pw.writers[principal]
	if !ok {
		return
	}
	delete(pw.writers, principal)
	go func() {
		if err := w.w.Close(); err != nil {
			pw.log.Warn("close the Kafka writer of a principal", "principal", principal, "error", err)
		}
	}()
}

// closeIdle closes the Writers unused since now minus the idle time.
func (pw *principalWriters) closeIdle(now time.Time) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	for name, w := range pw.writers {
		if now.Sub(w.lastUsed) >= pw.idle {
			pw.closeLocked(name)
		}
	}
}

// count reports how many Writers are open.
func (pw *principalWriters) count() int {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	return len(pw.writers)
}

// closeAll closes every Writer and waits for them: the producer is closing.
func (pw *principalWriters) closeAll() error {
	pw.mu.Lock()
	writers := pw.writers
	pw.writers = map[string]*principalWriter{}
	pw.mu.Unlock()
	var first error
	for _, w := range writers {
		if err := w.w.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writers are the kafka-go Writers records go to: the proxy's own, and
// under kafka.identity principal each principal's.
type writers struct {
	proxy      *kafka.Writer
	principals *principalWriters // nil: kafka.identity proxy
}

// of returns the Writer of principal's records.
func (w *writers) of(principal string) (*kafka.Writer, error) {
	if w.principals == nil {
		return w.proxy, nil
	}
	return w.principals.writer(principal, time.Now())
}

// close closes every Writer, flushing what they hold.
func (w *writers) close() error {
	err := w.proxy.Close()
	if w.principals != nil {
		err = errors.Join(err, w.principals.closeAll())
	}
	return err
}
