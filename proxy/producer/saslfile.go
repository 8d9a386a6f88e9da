package producer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filedigest"
)

// passwordFileMechanism is the SASL mechanism of kafka.sasl, re-reading
// kafka.sasl.passwordFile when it changes (a rotated Kubernetes Secret), so
// the proxy's next connections authenticate with the new password without
// a restart. kafka-go asks the mechanism afresh for every connection it
// authenticates; established connections keep theirs. The file's content is
// never logged; a file that cannot be read keeps the last good password.
type passwordFileMechanism struct {
	cfg config.KafkaSASL

	mu      sync.Mutex
	checked time.Time
	digest  filedigest.Digest // of the file current was built from
	current sasl.Mechanism
}

// passwordRecheck bounds how often a connection attempt stats the file.
const passwordRecheck = time.Second

func newPasswordFileMechanism(cfg config.KafkaSASL) (*passwordFileMechanism, error) {
	m := &passwordFileMechanism{cfg: cfg}
	if err := m.reloadLocked(time.Now()); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *passwordFileMechanism) Name() string { return m.mechanism().Name() }

func (m *passwordFileMechanism) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	return m.mechanism().Start(ctx)
}

// mechanism returns the mechanism for the file's current password.
func (m *passwordFileMechanism) mechanism() sasl.Mechanism {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := time.Now(); now.Sub(m.checked) >= passwordRecheck {
		_ = m.reloadLocked(now) // on error the last good password stays
	}
	return m.current
}

func (m *passwordFileMechanism) reloadLocked(now time.Time) error {
	m.checked = now
	digest, err := filedigest.Of(m.cfg.PasswordFile)
	if err != nil {
		if m.current == nil {
			return fmt.Errorf("kafka.sasl.passwordFile: %w", err)
		}
		return nil
	}
	if m.current != nil && digest == m.digest {
		return nil
	}
	mech, err := newSASL(m.cfg)
	if err != nil {
		return err
	}
	m.current, m.digest = mech, digest
	return nil
}
