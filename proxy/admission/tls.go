package admission

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filedigest"
)

// TLSFiles serves the produce listener's HTTPS from http.tls's files and
// re-reads them when they change, so a rotated Kubernetes Secret (a new
// certificate, or a new client CA) takes effect on the next handshake
// without a restart. The files are checked at most once per reloadEvery.
// A change that does not load (a certificate written before its key) keeps
// the last good material, is logged, and is retried at the next check.
type TLSFiles struct {
	cfg        config.HTTPTLS
	clientAuth tls.ClientAuthType
	log        func(msg string, args ...any)

	mu      sync.Mutex
	checked time.Time
	digest  filedigest.Digest // of the files current was built from
	current *tls.Config       // what a handshake uses
}

// NewTLSFiles loads http.tls; nil when HTTPS is off. With a client CA,
// client certificates are required and verified, except under
// authentication.type mtls: there a client without a certificate completes
// the handshake and gets the API's 401/40101, which tells it what is wrong
// better than a handshake alert. A certificate the CA did not sign is
// refused during the handshake either way.
func NewTLSFiles(h config.HTTPTLS, authType string, log func(string, ...any)) (*TLSFiles, error) {
	if h.CertFile == "" {
		return nil, nil
	}
	f := &TLSFiles{cfg: h, log: log, clientAuth: tls.RequireAndVerifyClientCert}
	if authType == config.AuthMTLS {
		f.clientAuth = tls.VerifyClientCertIfGiven
	}
	digest, err := f.read()
	if err != nil {
		return nil, err
	}
	if f.current, err = f.load(); err != nil {
		return nil, err
	}
	f.digest, f.checked = digest, time.Now()
	return f, nil
}

// ServerConfig is the listener's tls.Config: every handshake asks the
// files for the material of the moment.
func (f *TLSFiles) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return f.config(), nil },
	}
}

// config returns the current material, re-reading the files if they
// changed since the last check.
func (f *TLSFiles) config() *tls.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if now.Sub(f.checked) < reloadEvery {
		return f.current
	}
	f.checked = now
	digest, err := f.read()
	if err != nil {
		f.log("re-read http.tls files; keeping the last good certificate", "error", err)
		return f.current
	}
	if digest == f.digest {
		return f.current
	}
	c, err := f.load()
	if err != nil {
		f.log("re-read http.tls files; keeping the last good certificate", "error", err)
		return f.current
	}
	f.current, f.digest = c, digest
	return c
}

// load builds a handshake config from the files.
func (f *TLSFiles) load() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.cfg.CertFile, f.cfg.KeyFile)
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
	if f.cfg.ClientCAFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(f.cfg.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("read http.tls.clientCAFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("http.tls.clientCAFile: no PEM certificate found")
	}
	c.ClientCAs, c.ClientAuth = pool, f.clientAuth
	return c, nil
}

// read identifies the current version of the certificate, key and client
// CA files by their content.
func (f *TLSFiles) read() (filedigest.Digest, error) {
	d, err := filedigest.Of(f.cfg.CertFile, f.cfg.KeyFile, f.cfg.ClientCAFile)
	if err != nil {
		return d, fmt.Errorf("http.tls: %w", err)
	}
	return d, nil
}
