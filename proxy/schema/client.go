package schema

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/reload"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/tlsfiles"
)

// newTransport is the HTTP transport to the registry: TLS from
// schemaRegistry.tls's files, re-read when they change.
func newTransport(cfg config.SchemaRegistry, log *slog.Logger, m reload.Metrics) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 4
	c := cfg.TLS
	if c.CAFile == "" && c.CertFile == "" {
		return t, nil
	}
	files := tlsfiles.Files{Key: "schemaRegistry.tls", CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile}
	tc, err := tlsfiles.ClientConfig(files, log, m)
	if err != nil {
		return nil, err
	}
	t.TLSClientConfig = tc
	return t, nil
}

// auth is the registry's credentials, from files re-read when they change,
// so a rotated Secret takes effect at the next request.
type auth struct {
	files *reload.Files[credentials]
}

type credentials struct {
	user, password, token string
}

func newAuth(cfg config.SchemaRegistry, log *slog.Logger, m reload.Metrics) (*auth, error) {
	b := cfg.BasicAuth
	if b.PasswordFile == "" && cfg.BearerTokenFile == "" {
		return &auth{}, nil
	}
	files, err := reload.Load(reload.Spec[credentials]{
		Key:     "schemaRegistry.credentials",
		Paths:   []string{b.UsernameFile, b.PasswordFile, cfg.BearerTokenFile},
		Kept:    "credentials",
		Parse:   parseCredentials,
		Log:     log,
		Metrics: m,
	})
	if err != nil {
		return nil, err
	}
	return &auth{files: files}, nil
}

// parseCredentials reads the files; its errors never quote them.
func parseCredentials(data [][]byte) (credentials, error) {
	c := credentials{
		user:     string(bytes.TrimSpace(data[0])),
		password: string(bytes.TrimRight(data[1], "\r\n")),
		token:    string(bytes.TrimSpace(data[2])),
	}
	switch {
	case data[1] != nil && (c.user == "" || c.password == ""):
		return credentials{}, errors.New("the basic auth username or password file is empty")
	case data[2] != nil && c.token == "":
		return credentials{}, errors.New("the bearer token file is empty")
	}
	return c, nil
}

// apply sets the request's Authorization header.
func (a *auth) apply(req *http.Request) error {
	if a.files == nil {
		return nil
	}
	c, _ := a.files.Current() // an error was logged; c is the last good
	switch {
	case c.token != "":
		req.Header.Set("Authorization", fmt.Sprintf("Bearer %s", c.token))
	case c.user != "":
		req.SetBasicAuth(c.user, c.password)
	}
	return nil
}
