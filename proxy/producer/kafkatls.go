package producer

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// kafkaTLS is what a handshake with a broker uses, from kafka.tls's files.
type kafkaTLS struct {
	roots *x509.CertPool   // nil: the system's roots
	cert  *tls.Certificate // nil: no client certificate
}

// newTLSConfig is the tls.Config of the connections to Kafka. It re-reads
// kafka.tls's CA, certificate and key when they change (package reload:
// at most once a second, the last good material kept when a change does
// not load), so a rotated Kubernetes Secret takes effect at the next
// connection without a restart (docs/configuration.md, "Files re-read
// while running"). Connections already open keep the material they were
// made with.
//
// The standard verification reads a fixed RootCAs, so it is replaced by
// verifyBroker, which does the same against the roots of the moment.
func newTLSConfig(cfg config.KafkaTLS, log *slog.Logger, m reload.Metrics) (*tls.Config, error) {
	files, err := reload.Load(reload.Spec[kafkaTLS]{
		Key:     "kafka.tls",
		Paths:   []string{cfg.CAFile, cfg.CertFile, cfg.KeyFile},
		Kept:    "certificate",
		Parse:   func(data [][]byte) (kafkaTLS, error) { return parseKafkaTLS(cfg, data[0], data[1], data[2]) },
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	current := func() kafkaTLS {
		c, _ := files.Current() // an error was logged; c is the last good
		return c
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verifyBroker verifies, with the current roots
		VerifyConnection:   func(cs tls.ConnectionState) error { return verifyBroker(cs, current().roots) },
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c := current().cert; c != nil {
				return c, nil
			}
			return &tls.Certificate{}, nil // none: the broker decides
		},
	}, nil
}

// parseKafkaTLS reads the files' contents; nil for a file not configured.
func parseKafkaTLS(cfg config.KafkaTLS, caPEM, certPEM, keyPEM []byte) (kafkaTLS, error) {
	var k kafkaTLS
	if caPEM != nil {
		k.roots = x509.NewCertPool()
		if !k.roots.AppendCertsFromPEM(caPEM) {
			return kafkaTLS{}, fmt.Errorf("kafka.tls.caFile %s: no PEM certificate found", cfg.CAFile)
		}
	}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return kafkaTLS{}, fmt.Errorf("kafka.tls.certFile and keyFile: %w", err)
		}
		k.cert = &cert
	}
	return k, nil
}

// verifyBroker verifies the broker's chain and name as crypto/tls does
// when InsecureSkipVerify is off. Its error is a
// *tls.CertificateVerificationError, as that of the standard
// verification, so TLSRefused knows it.
func verifyBroker(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return &tls.CertificateVerificationError{Err: fmt.Errorf("the broker sent no certificate")}
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	return nil
}
