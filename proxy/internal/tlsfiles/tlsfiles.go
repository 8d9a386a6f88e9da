// Package tlsfiles builds the tls.Config of the proxy's outgoing
// connections (to Kafka, to the Schema Registry) from a CA file and a
// client certificate and key, re-read when they change (package reload:
// at most once a second, the last good material kept when a change does
// not load), so a rotated Kubernetes Secret takes effect at the next
// connection without a restart (docs/configuration.md, "Files re-read
// while running"). Connections already open keep the material they were
// made with.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// Files names the files of one client's TLS, and the config key they are
// logged and counted under ("kafka.tls").
type Files struct {
	Key                       string
	CAFile, CertFile, KeyFile string // "": the system's roots; no certificate
}

// material is what a handshake uses.
type material struct {
	roots *x509.CertPool   // nil: the system's roots
	cert  *tls.Certificate // nil: no client certificate
}

// ClientConfig is the tls.Config of f. The standard verification reads a
// fixed RootCAs, so it is replaced by one that does the same against the
// roots of the moment; its error is a *tls.CertificateVerificationError,
// as the standard one's.
func ClientConfig(f Files, log *slog.Logger, m reload.Metrics) (*tls.Config, error) {
	files, err := reload.Load(reload.Spec[material]{
		Key:     f.Key,
		Paths:   []string{f.CAFile, f.CertFile, f.KeyFile},
		Kept:    "certificate",
		Parse:   func(data [][]byte) (material, error) { return parse(f, data[0], data[1], data[2]) },
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	current := func() material {
		c, _ := files.Current() // an error was logged; c is the last good
		return c
	}
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verifyPeer verifies, with the current roots
		VerifyConnection:   func(cs tls.ConnectionState) error { return verifyPeer(cs, current().roots) },
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c := current().cert; c != nil {
				return c, nil
			}
			return &tls.Certificate{}, nil // none: the server decides
		},
	}, nil
}

// parse reads the files' contents; nil for a file not configured.
func parse(f Files, caPEM, certPEM, keyPEM []byte) (material, error) {
	var k material
	if caPEM != nil {
		k.roots = x509.NewCertPool()
		if !k.roots.AppendCertsFromPEM(caPEM) {
			return material{}, fmt.Errorf("%s.caFile %s: no PEM certificate found", f.Key, f.CAFile)
		}
	}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return material{}, fmt.Errorf("%s.certFile and keyFile: %w", f.Key, err)
		}
		k.cert = &cert
	}
	return k, nil
}

// verifyPeer verifies the server's chain and name as crypto/tls does when
// InsecureSkipVerify is off.
func verifyPeer(cs tls.ConnectionState, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return &tls.CertificateVerificationError{Err: fmt.Errorf("the server sent no certificate")}
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
