package admission

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
)

// TLSFiles serves the produce listener's HTTPS from http.tls's files and
// re-reads them when they change, so a rotated Kubernetes Secret (a new
// certificate, or a new client CA) takes effect on the next handshake
// without a restart. Package reload checks them at most once a second; a
// change that does not load (a certificate written before its key) keeps
// the last good material, is logged once, and is retried at the next
// check (docs/configuration.md, "Files re-read while running").
type TLSFiles struct {
	files *reload.Files[*tls.Config] // what a handshake uses
}

// NewTLSFiles loads http.tls; nil when HTTPS is off. With a client CA,
// client certificates are required and verified, except under
// authentication.type mtls: there a client without a certificate completes
// the handshake and gets the API's 401/40101, which tells it what is wrong
// better than a handshake alert. A certificate the CA did not sign is
// refused during the handshake either way. log and m receive the files'
// reloads (package reload); either may be nil.
func NewTLSFiles(h config.HTTPTLS, authType string, log *slog.Logger, m reload.Metrics) (*TLSFiles, error) {
	if h.CertFile == "" {
		return nil, nil
	}
	clientAuth := tls.RequireAndVerifyClientCert
	if authType == config.AuthMTLS {
		clientAuth = tls.VerifyClientCertIfGiven
	}
	files, err := reload.Load(reload.Spec[*tls.Config]{
		Key:     "http.tls",
		Paths:   []string{h.CertFile, h.KeyFile, h.ClientCAFile},
		Kept:    "certificate",
		Parse:   func(data [][]byte) (*tls.Config, error) { return serverTLS(data[0], data[1], data[2], clientAuth) },
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	return &TLSFiles{files: files}, nil
}

// ServerConfig is the listener's tls.Config: every handshake asks the
// files for the material of the moment.
func (f *TLSFiles) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			c, _ := f.files.Current() // an error was logged; c is the last good
			return c, nil
		},
	}
}

// serverTLS builds a handshake config from the files' contents; clientCA
// is nil without http.tls.clientCAFile.
func serverTLS(certPEM, keyPEM, clientCA []byte, clientAuth tls.ClientAuthType) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load http.tls.certFile and keyFile: %w", err)
	}
	c := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// GetConfigForClient's answer replaces the listener's config, ALPN
		// included: without h2 here, HTTP/2 would never be negotiated.
		NextProtos: []string{"h2", "http/1.1"},
	}
	if clientCA == nil {
		return c, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(clientCA) {
		return nil, errors.New("http.tls.clientCAFile: no PEM certificate found")
	}
	c.ClientCAs, c.ClientAuth = pool, clientAuth
	return c, nil
}
