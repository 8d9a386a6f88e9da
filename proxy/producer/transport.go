package producer

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/tlsfiles"
)

const (
	// dialTimeout bounds connecting to a broker, TLS and SASL included.
	dialTimeout = 5 * time.Second
	// metadataTTL is how stale the transport's cached cluster layout may get
	// without an error prompting a refresh: new partitions of a topic, and a
	// cluster that was down at start, are seen within it.
	metadataTTL = 5 * time.Second
)

// security is how the proxy authenticates to Kafka, shared by the Writer's
// transport and the credentials check's dialer.
type security struct {
	tls  *tls.Config    // nil: plaintext
	sasl sasl.Mechanism // nil: no SASL
}

// newSecurity reads the TLS files and the SASL password file named in cfg;
// log and m receive their reloads (package reload). The
// password stays inside the mechanism; it is never logged or wrapped into
// an error.
func newSecurity(cfg config.Kafka, log *slog.Logger, m reload.Metrics) (security, error) {
	var s security
	var err error
	if cfg.TLS.Enabled {
		f := tlsfiles.Files{Key: "kafka.tls", CAFile: cfg.TLS.CAFile, CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile}
		if s.tls, err = tlsfiles.ClientConfig(f, log, m); err != nil {
			return security{}, err
		}
	}
	if cfg.SASL.Mechanism != config.SASLNone {
		if s.sasl, err = newPasswordFileMechanism(cfg.SASL, log, m); err != nil {
			return security{}, err
		}
	}
	return s, nil
}

// newSASL is the mechanism of cfg with the password file's content data.
func newSASL(cfg config.KafkaSASL, data []byte) (sasl.Mechanism, error) {
	// Secrets mounted from Kubernetes or written by editors often end in a
	// newline that is not part of the password.
	password := strings.TrimRight(string(data), "\r\n")
	switch cfg.Mechanism {
	case config.SASLPlain:
		return plain.Mechanism{Username: cfg.Username, Password: password}, nil
	case config.SASLScramSHA256, config.SASLScramSHA512:
		algo := scram.SHA256
		if cfg.Mechanism == config.SASLScramSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, cfg.Username, password)
		if err != nil {
			// Not wrapped: the SCRAM library's error quotes the password.
			return nil, fmt.Errorf("kafka.sasl: %s for user %q: the username or the password in kafka.sasl.passwordFile has characters SASLprep prohibits (control characters, for example)", cfg.Mechanism, cfg.Username)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("kafka.sasl.mechanism: unsupported %q", cfg.Mechanism)
	}
}

// newTransport is the connection pool and metadata cache shared by the
// Writer and the metadata client, so both see the same cluster layout.
func newTransport(cfg config.Kafka, sec security) *kafka.Transport {
	return &kafka.Transport{
		Dial:        (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		DialTimeout: dialTimeout,
		MetadataTTL: metadataTTL,
		ClientID:    cfg.ClientID,
		TLS:         sec.tls,
		SASL:        sec.sasl,
	}
}

func requiredAcks(acks string) (kafka.RequiredAcks, error) {
	switch acks {
	case "all":
		return kafka.RequireAll, nil
	case "leader":
		return kafka.RequireOne, nil
	case "none":
		return kafka.RequireNone, nil
	}
	return 0, fmt.Errorf("producer.acks: unsupported %q", acks)
}

func compression(name string) (kafka.Compression, error) {
	switch name {
	case "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("producer.compression: unsupported %q", name)
}
