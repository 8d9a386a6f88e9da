package proxy

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/filetest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/testpki"
)

// produceAs posts oneRecord with the Authorization header auth (none when
// empty) and returns the response and its body.
func produceAs(t *testing.T, url, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(oneRecord))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, req)
}

func basic(user, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(user, secret)
	return req.Header.Get("Authorization")
}

// writeCredentials replaces a credentials file as a Secret volume does.
func writeCredentials(t *testing.T, path, content string) { filetest.Replace(t, path, content) }

// docs/produce-api.md, "Authentication": with authentication.type basic, a
// missing or wrong credential is 401/40101 before any other check, a right
// one (plain or bcrypt, the scheme name in any case) produces; the file is
// re-read when it changes, without a restart; no secret reaches a log line.
func TestProduce_BasicAuth_401(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("hashed-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, creds, "alice:plain-secret\nbob:"+string(hash)+"\n")
	cfg := testConfig(testBroker.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
	cfg.Logging.Level = "debug"
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)
	url := ts.url("c", "orders")

	for _, auth := range []string{"", basic("alice", "wrong"), basic("mallory", "plain-secret"), basic("bob", "wrong"), "Bearer plain-secret"} {
		resp, body := produceAs(t, url, auth)
		wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
		if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="restproxy"` {
			t.Errorf("%q: WWW-Authenticate %q", auth, got)
		}
	}
	// Before the other checks: an unauthenticated client learns nothing.
	resp, body := produceAs(t, ts.url("c", "no-such-topic"), "")
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	// The scheme name is case-insensitive (RFC 7235).
	lower := "basic " + strings.TrimPrefix(basic("alice", "plain-secret"), "Basic ")
	upper := "BASIC " + strings.TrimPrefix(basic("bob", "hashed-secret"), "Basic ")
	for _, auth := range []string{basic("alice", "plain-secret"), basic("bob", "hashed-secret"), lower, upper} {
		resp, body := produceAs(t, url, auth)
		if reports := parseReports(t, body); resp.StatusCode != 200 || len(reports) != 1 || reports[0].ErrorCode != 200 {
			t.Errorf("%q: status %d body %s, want one success", auth, resp.StatusCode, body)
		}
	}

	// Rotated: alice's secret changes and carol appears, without a restart.
	writeCredentials(t, creds, "alice:rotated-secret-longer\ncarol:carol-secret\n")
	waitFor(t, "the new credentials", func() bool {
		resp, _ := produceAs(t, url, basic("carol", "carol-secret"))
		return resp.StatusCode == 200
	})
	resp, body = produceAs(t, url, basic("alice", "plain-secret"))
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	if resp, _ := produceAs(t, url, basic("alice", "rotated-secret-longer")); resp.StatusCode != 200 {
		t.Errorf("rotated secret: status %d", resp.StatusCode)
	}

	for _, secret := range []string{"plain-secret", "hashed-secret", "carol-secret", "rotated-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a log line shows a secret:\n%s", logs.String())
		}
	}
}

// docs/produce-api.md, "Authentication": with authentication.type apiKey,
// "Authorization: Bearer <key>" with a listed key (plain or bcrypt) produces,
// whatever the case of the scheme name; others are 401.
func TestProduce_APIKeyAuth_401(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("hashed-key"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "keys")
	writeCredentials(t, creds, "# comment\nplain-key\n"+string(hash)+"\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: creds}
	})
	url := ts.url("c", "orders")
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", "Bearer # comment", basic("plain-key", "plain-key"), "Bearerplain-key", "Token plain-key"} {
		resp, body := produceAs(t, url, auth)
		wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
		if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%q: WWW-Authenticate %q", auth, got)
		}
	}
	// The scheme name is case-insensitive (RFC 7235).
	for _, auth := range []string{"Bearer plain-key", "Bearer hashed-key", "bearer plain-key", "BEARER hashed-key"} {
		if resp, body := produceAs(t, url, auth); resp.StatusCode != 200 {
			t.Errorf("%q: status %d body %s, want 200", auth, resp.StatusCode, body)
		}
	}

	// Rotated without a restart: plain-key is revoked, new-key added.
	writeCredentials(t, creds, "new-key\n"+string(hash)+"\n")
	waitFor(t, "the rotated keys", func() bool {
		resp, _ := produceAs(t, url, "Bearer new-key")
		return resp.StatusCode == 200
	})
	// The polling above may have spent this second's bcrypt runs of the
	// test's address (each refused check costs one): wait for a refusal
	// that is not the rate limit's.
	var resp *http.Response
	var body []byte
	waitFor(t, "a refusal past the bcrypt bound", func() bool {
		resp, body = produceAs(t, url, "Bearer plain-key")
		return resp.StatusCode != 429
	})
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
}

// docs/produce-api.md, "Topic authorization": authorization.topics admits the
// named topics and prefixes only; others are 403/40301 before streaming.
func TestProduce_TopicNotAllowed_40301(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.Authorization.Topics = []config.TopicRule{{Name: "orders"}, {Prefix: "sin"}}
	})
	for _, topic := range []string{"orders", "single"} {
		if reports := postRecords(t, ts.url("c", topic), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
			t.Errorf("allowed topic %s: %v", topic, reports)
		}
	}
	for _, topic := range []string{"duplex", "order", "no-such-topic"} {
		resp, body := post(t, ts.url("c", topic), "application/json", oneRecord)
		wantError(t, resp, body, 403, 40301, "Not authorized to access topic "+topic+".")
	}
}

// A credentials file that cannot be read at start is an error naming the
// key; one that disappears later keeps the last good credentials.
func TestAccessControl_CredentialsFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := testConfig(testBroker.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: filepath.Join(dir, "missing")}
	if _, err := New(cfg, NewLogger(cfg.Logging, io.Discard)); err == nil || !strings.Contains(err.Error(), "authentication.credentialsFile") {
		t.Errorf("missing file: err %v, want one naming authentication.credentialsFile", err)
	}
	bad := filepath.Join(dir, "bad")
	writeCredentials(t, bad, "ok:fine\nno-colon-secret-xyz\n")
	cfg.Authentication.CredentialsFile = bad
	_, err := New(cfg, NewLogger(cfg.Logging, io.Discard))
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "secret-xyz") {
		t.Errorf("bad line: err %v, want one naming line 2 without its content", err)
	}
}

// authentication.type mtls: a client with a certificate the CA signed
// produces; one without a certificate completes the handshake and gets
// 401/40101 with a challenge; one whose certificate another CA signed is
// refused during the handshake. Refused clients produce nothing.
func TestProduce_MTLSAuth(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"mtls": 1})
	ca, otherCA := testpki.New(t), testpki.New(t)
	server := ca.Issue(t, "server")
	cfg := testConfig(b.Addr())
	cfg.HTTP.TLS = config.HTTPTLS{CertFile: server.CertFile, KeyFile: server.KeyFile, ClientCAFile: ca.File}
	cfg.Authentication.Type = config.AuthMTLS
	ts := startServerConfig(t, cfg, io.Discard)
	url := "https://" + ts.Addr().String() + "/v3/clusters/c/topics/mtls/records"

	resp, body, err := postTLS(t, url, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{ca.Issue(t, "client").Pair}})
	if err != nil {
		t.Fatal(err)
	}
	if reports := parseReports(t, body); resp.StatusCode != 200 || len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Errorf("status %d body %s, want one success", resp.StatusCode, body)
	}

	resp, body, err = postTLS(t, url, &tls.Config{RootCAs: ca.Pool})
	if err != nil {
		t.Fatalf("client without a certificate: %v; want the handshake to complete and a 401", err)
	}
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	if got := resp.Header.Get("WWW-Authenticate"); got != `ClientCertificate realm="restproxy"` {
		t.Errorf("WWW-Authenticate %q", got)
	}

	if resp, _, err := postTLS(t, url, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{otherCA.Issue(t, "stranger").Pair}}); err == nil {
		t.Errorf("a certificate of another CA got HTTP %d; want the handshake refused", resp.StatusCode)
	}
	if n := kafkatest.EndOffset(t, b.Addr(), "mtls", 0); n != 1 {
		t.Errorf("topic holds %d records, want 1: refused clients must produce nothing", n)
	}
}

// A request refused by authentication (401) or by the topic allow-list (403)
// produces nothing, whatever its body holds, and each refusal is counted in
// /metrics; an admitted one produces.
func TestProduce_AccessRefused_NothingProduced(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{config.AuthBasic, config.AuthAPIKey} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			b := kafkatest.StartBroker(t, map[string]int32{"allowed": 1, "denied": 1})
			creds := filepath.Join(t.TempDir(), "credentials")
			good, bad := basic("alice", "s3cret"), basic("alice", "wrong")
			writeCredentials(t, creds, "alice:s3cret\n")
			if kind == config.AuthAPIKey {
				good, bad = "Bearer s3cret", "Bearer wrong"
				writeCredentials(t, creds, "s3cret\n")
			}
			cfg := testConfig(b.Addr())
			cfg.Authentication = config.Authentication{Type: kind, CredentialsFile: creds}
			cfg.Authorization.Topics = []config.TopicRule{{Name: "allowed"}}
			ts := startServerConfig(t, cfg, io.Discard)

			for _, refused := range []struct {
				topic, auth string
				status      int
			}{
				{"allowed", "", 401},
				{"allowed", bad, 401},
				{"denied", bad, 401},
				{"denied", good, 403},
			} {
				req, err := http.NewRequest(http.MethodPost, ts.url("c", refused.topic), strings.NewReader(oneRecord+oneRecord))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if refused.auth != "" {
					req.Header.Set("Authorization", refused.auth)
				}
				if resp, body := do(t, req); resp.StatusCode != refused.status {
					t.Errorf("%s with %q: status %d body %s, want %d", refused.topic, refused.auth, resp.StatusCode, body, refused.status)
				}
			}
			if resp, body := produceAs(t, ts.url("c", "allowed"), good); resp.StatusCode != 200 {
				t.Fatalf("admitted request: status %d body %s", resp.StatusCode, body)
			}
			for topic, want := range map[string]int64{"allowed": 1, "denied": 0} {
				if n := kafkatest.EndOffset(t, b.Addr(), topic, 0); n != want {
					t.Errorf("topic %s holds %d records, want %d", topic, n, want)
				}
			}
			m := scrape(t, ts.mgmt)
			for series, want := range map[string]float64{
				`restproxy_streams_rejected_total{reason="unauthenticated"}`: 3,
				`restproxy_streams_rejected_total{reason="topic_forbidden"}`: 1,
			} {
				if m[series] != want {
					t.Errorf("%s = %v, want %v", series, m[series], want)
				}
			}
		})
	}
}

// docs/configuration.md, "Top level": with authentication on, health and
// metrics stay on the management listener and need no credentials; the
// produce listener does not serve them.
func TestManagement_UnauthenticatedWithAuthOn(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, creds, "alice:s3cret\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
	})
	for _, path := range []string{"/livez", "/readyz", "/metrics"} {
		if resp, body := get(t, ts.mgmt+path); resp.StatusCode != 200 {
			t.Errorf("management %s without credentials: %d %s, want 200", path, resp.StatusCode, body)
		}
		resp, body := get(t, ts.base+path)
		wantError(t, resp, body, 404, 404, "HTTP 404 Not Found")
	}
}

// docs/produce-api.md, "Failures of one record": a key removed from the
// credentials file ends the streams that use it, not only new requests:
// the next record on such a stream gets 40101 as its last report and is
// not produced.
func TestProduce_RevokedKeyEndsItsStream(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "keys")
	writeCredentials(t, creds, "key-a\nkey-b\n")
	b := kafkatest.StartBroker(t, map[string]int32{"revoked": 1})
	cfg := testConfig(b.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: creds}
	ts := startServerConfig(t, cfg, io.Discard)
	url := ts.url("c", "revoked")
	sc := openStreamWith(t, http.DefaultClient, url, "Bearer key-a")
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("first record: %v", r)
	}
	writeCredentials(t, creds, "key-b\n")
	stored := 1
	waitFor(t, "key-a to be refused to new requests", func() bool {
		resp, _ := produceAs(t, url, "Bearer key-a")
		if resp.StatusCode == 200 {
			stored++ // still valid: produced
		}
		return resp.StatusCode == 401
	})
	// The stream checks at most once a second: within two, a record gets
	// the refusal.
	var last report
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		sc.send(oneRecord)
		if last = sc.next(); last.ErrorCode != 200 {
			break
		}
		stored++
	}
	if last.ErrorCode != 40101 || last.Message != "Unauthorized: the stream's credentials are no longer valid." {
		t.Fatalf("report after the revocation: %v, want 40101", last)
	}
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("reports after the 40101: %v", rest)
	}
	if n := kafkatest.EndOffset(t, b.Addr(), "revoked", 0); n != int64(stored) {
		t.Errorf("topic holds %d records, %d were reported 200: the refused record must not be produced", n, stored)
	}
	if resp, _ := produceAs(t, url, "Bearer key-b"); resp.StatusCode != 200 {
		t.Errorf("the key still in the file: status %d, want 200", resp.StatusCode)
	}
}

// Two Authorization headers are refused 400, whatever they say.
func TestProduce_TwoAuthorizationHeaders_400(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "keys")
	writeCredentials(t, creds, "key-a\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: creds}
	})
	req, err := http.NewRequest(http.MethodPost, ts.url("c", "orders"), strings.NewReader(oneRecord))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Authorization", "Bearer key-a")
	req.Header.Add("Authorization", "Bearer key-a")
	resp, body := do(t, req)
	wantError(t, resp, body, 400, 400, "Bad Request: more than one Authorization header.")
}

// A client address may cause at most 10 bcrypt runs a second: a guesser's
// further attempts are refused 429 with Retry-After and cost no bcrypt,
// while credentials already verified keep working from the same address.
func TestProduce_BcryptRunsBoundedPerAddress(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "users")
	writeCredentials(t, creds, "alice:"+string(hash)+"\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
	})
	url := ts.url("c", "orders")
	if resp, body := produceAs(t, url, basic("alice", "right")); resp.StatusCode != 200 {
		t.Fatalf("valid credentials: %d %s", resp.StatusCode, body)
	}
	limited := 0
	for i := range 25 { // 25 attempts take well under a second: at most two windows
		resp, body := produceAs(t, url, basic("alice", fmt.Sprintf("guess-%d", i)))
		switch resp.StatusCode {
		case 401:
		case 429:
			limited++
			if resp.Header.Get("Retry-After") != "1" {
				t.Errorf("429 without Retry-After: 1")
			}
		default:
			t.Fatalf("guess %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if limited < 5 {
		t.Errorf("%d of 25 guesses refused 429, want at least 5 (10 bcrypt runs a second per address)", limited)
	}
	if resp, body := produceAs(t, url, basic("alice", "right")); resp.StatusCode != 200 {
		t.Errorf("valid credentials, verified before, from the guessing address: %d %s", resp.StatusCode, body)
	}
}
