package proxy

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
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

func writeCredentials(t *testing.T, path, content string) {
	t.Helper()
	// Write then rename, as a Kubernetes Secret volume updates.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// Spec 4.1 (ours): with authentication.type basic, a missing or wrong
// credential is 401/40101 before any other check, a right one (plain or
// bcrypt) produces; the file is re-read when it changes, without a
// restart; no secret reaches a log line.
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
	for _, auth := range []string{basic("alice", "plain-secret"), basic("bob", "hashed-secret")} {
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

// Spec 4.1 (ours): with authentication.type apiKey, "Authorization: Bearer
// <key>" with a listed key (plain or bcrypt) produces; others are 401.
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
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", "Bearer # comment", basic("plain-key", "plain-key"), "bearer plain-key"} {
		resp, body := produceAs(t, url, auth)
		wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
		if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%q: WWW-Authenticate %q", auth, got)
		}
	}
	for _, auth := range []string{"Bearer plain-key", "Bearer hashed-key"} {
		if resp, body := produceAs(t, url, auth); resp.StatusCode != 200 {
			t.Errorf("%q: status %d body %s, want 200", auth, resp.StatusCode, body)
		}
	}
}

// Spec 4.1 (ours): authorization.topics admits the named topics and
// prefixes only; others are 403/40301 before streaming.
func TestProduce_TopicNotAllowed_40301(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.Authorization.Topics = []config.TopicRule{{Name: "orders"}, {Prefix: "sin"}}
	})
	for _, topic := range []string{"orders", "single"} {
		if reports := produce(t, ts.url("c", topic), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
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

	good := filepath.Join(dir, "good")
	writeCredentials(t, good, "u:s\n")
	f, err := newCredentialsFile(good, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	f.checked = time.Time{} // force the re-read
	if ok, err := f.check("u", "s"); !ok || err == nil {
		t.Errorf("after the file vanished: ok %v err %v, want the last credentials kept and the error returned", ok, err)
	}
}

// authentication.type mtls: a client with a certificate the CA signed
// produces; the TLS layer refuses one without (TestProduce_HTTPSWithClientCertificates).
func TestProduce_MTLSAuth(t *testing.T) {
	t.Parallel()
	ca := testpki.New(t)
	clientCert := ca.Issue(t, "client")
	cfg := httpsConfig(t, ca)
	cfg.Authentication.Type = config.AuthMTLS
	ts := startServerConfig(t, cfg, io.Discard)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{clientCert.Pair}},
	}}
	resp, err := client.Post("https://"+ts.Addr().String()+"/v3/clusters/c/topics/orders/records", "application/json", strings.NewReader(oneRecord))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if reports := parseReports(t, body); resp.StatusCode != 200 || len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Errorf("status %d body %s, want one success", resp.StatusCode, body)
	}
}
