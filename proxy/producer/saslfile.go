package producer

import (
	"context"
	"log/slog"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// passwordFileMechanism is the SASL mechanism of kafka.sasl, re-reading
// kafka.sasl.passwordFile when it changes (a rotated Kubernetes Secret), so
// the proxy's next connections authenticate with the new password without
// a restart. kafka-go asks the mechanism afresh for every connection it
// authenticates; established connections keep theirs. Package reload
// checks the file at most once a second; a file that does not load (an
// emptied one included) keeps the last good password and is logged once,
// never its content (docs/configuration.md, "Files re-read while running").
type passwordFileMechanism struct {
	files *reload.Files[sasl.Mechanism]
}

func newPasswordFileMechanism(cfg config.KafkaSASL, log *slog.Logger, m reload.Metrics) (*passwordFileMechanism, error) {
	files, err := reload.Load(reload.Spec[sasl.Mechanism]{
		Key:     "kafka.sasl.passwordFile",
		Paths:   []string{cfg.PasswordFile},
		Kept:    "password",
		Parse:   func(data [][]byte) (sasl.Mechanism, error) { return newSASL(cfg, data[0]) },
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	return &passwordFileMechanism{files: files}, nil
}

func (m *passwordFileMechanism) Name() string { return m.mechanism().Name() }

func (m *passwordFileMechanism) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	return m.mechanism().Start(ctx)
}

// mechanism returns the mechanism for the file's last good password.
func (m *passwordFileMechanism) mechanism() sasl.Mechanism {
	mech, _ := m.files.Current() // an error was logged; mech is the last good
	return mech
}
