package admission

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// jwksFetcher fetches an issuer's JWKS: from jwksURL, or from the
// jwks_uri of the issuer's discovery document (go-oidc checks that the
// document names the issuer it was fetched from). The discovered URI is
// kept until a fetch from it fails, then discovered again.
type jwksFetcher struct {
	client    *http.Client
	issuerURL string
	jwksURL   string // configured; "" to discover

	mu         sync.Mutex
	discovered string
}

// Bounds of how long fetched keys are trusted: the response's max-age,
// defaultKeysMaxAge without one, never less than jwksMinRefresh nor more
// than a day.
const (
	defaultKeysMaxAge = 10 * time.Minute
	maxKeysMaxAge     = 24 * time.Hour
	maxJWKSBytes      = 1 << 20
)

func newJWKSFetcher(j config.JWT) (*jwksFetcher, error) {
	tokenHost := j.IssuerURL
	if tokenHost == "" {
		tokenHost = j.JWKSURL
	}
	client, err := issuerClient(j.IssuerCAFile, j.IssuerTokenFile, tokenHost)
	if err != nil {
		return nil, err
	}
	return &jwksFetcher{client: client, issuerURL: j.IssuerURL, jwksURL: j.JWKSURL}, nil
}

// fetch returns the key set and how long it may be trusted.
func (f *jwksFetcher) fetch(ctx context.Context) (jose.JSONWebKeySet, time.Duration, error) {
	uri, err := f.uri(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, 0, err
	}
	set, maxAge, err := f.get(ctx, uri)
	if err != nil && f.jwksURL == "" {
		f.mu.Lock()
		f.discovered = "" // the issuer may have moved its keys
		f.mu.Unlock()
	}
	return set, maxAge, err
}

func (f *jwksFetcher) uri(ctx context.Context) (string, error) {
	if f.jwksURL != "" {
		return f.jwksURL, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.discovered != "" {
		return f.discovered, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, f.client), f.issuerURL)
	if err != nil {
		return "", fmt.Errorf("discovery at %s: %w", f.issuerURL, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return "", fmt.Errorf("discovery at %s names no jwks_uri", f.issuerURL)
	}
	f.discovered = doc.JWKSURI
	return doc.JWKSURI, nil
}

func (f *jwksFetcher) get(ctx context.Context, uri string) (jose.JSONWebKeySet, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, 0, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, 0, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, 0, fmt.Errorf("fetch JWKS %s: HTTP %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return jose.JSONWebKeySet{}, 0, fmt.Errorf("fetch JWKS %s: %w", uri, err)
	}
	set, err := parseJWKS(body)
	if err != nil {
		return set, 0, fmt.Errorf("JWKS %s: %w", uri, err)
	}
	return set, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads Cache-Control's max-age, defaultKeysMaxAge without one;
// the caller bounds it.
func maxAge(cacheControl string) time.Duration {
	for _, d := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(name, "max-age") {
			if s, err := strconv.Atoi(strings.Trim(value, `"`)); err == nil && s >= 0 {
				return time.Duration(s) * time.Second
			}
		}
	}
	return defaultKeysMaxAge
}

// issuerClient is the HTTP client of the discovery and JWKS fetches: TLS
// verified against caFile (empty: the system roots), and the token of
// tokenFile, when set, sent as a bearer token to the host of tokenURL
// only, never to a host a discovery document names.
func issuerClient(caFile, tokenFile, tokenURL string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("authentication.jwt.issuerCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("authentication.jwt.issuerCAFile %s: no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = tr
	if tokenFile != "" {
		u, err := url.Parse(tokenURL)
		if err != nil {
			return nil, fmt.Errorf("authentication.jwt: %w", err)
		}
		rt = bearerFromFile{next: tr, path: tokenFile, host: u.Host}
	}
	return &http.Client{Transport: rt, Timeout: fetchTimeout}, nil
}

// bearerFromFile sends the token in path, read on every request: a
// projected service-account token is rotated in place.
type bearerFromFile struct {
	next http.RoundTripper
	path string
	host string
}

func (b bearerFromFile) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != b.host {
		return b.next.RoundTrip(req)
	}
	token, err := os.ReadFile(b.path)
	if err != nil {
		return nil, fmt.Errorf("authentication.jwt.issuerTokenFile: %w", err)
	}
	if len(strings.TrimSpace(string(token))) == 0 {
		return nil, errors.New("authentication.jwt.issuerTokenFile is empty")
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	return b.next.RoundTrip(req)
}
