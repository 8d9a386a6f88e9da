package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/testpki"
)

// httpsConfig is testConfig serving HTTPS with a server certificate ca
// signed for 127.0.0.1, and requiring client certificates ca signed.
func httpsConfig(t *testing.T, ca *testpki.CA) config.Config {
	t.Helper()
	server := ca.Issue(t, "server")
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile, cfg.HTTP.TLS.ClientCAFile = server.CertFile, server.KeyFile, ca.File
	return cfg
}

// http.tls: HTTPS with client certificates required when clientCAFile is
// set; streams work over HTTP/1.1 and HTTP/2 alike.
func TestProduce_HTTPSWithClientCertificates(t *testing.T) {
	t.Parallel()
	ca := testpki.New(t)
	clientCert := ca.Issue(t, "client")
	ts := startServerConfig(t, httpsConfig(t, ca), io.Discard)
	url := "https://" + ts.Addr().String() + "/v3/clusters/c/topics/orders/records"

	for _, h2 := range []bool{false, true} {
		client := &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{clientCert.Pair}},
			ForceAttemptHTTP2: h2,
		}}
		sc := openStreamWith(t, client, url)
		sc.send(oneRecord + oneRecord)
		for i := range 2 {
			if r := sc.next(); r.ErrorCode != 200 {
				t.Fatalf("h2=%v report %d: %v", h2, i, r)
			}
		}
		if want := map[bool]int{false: 1, true: 2}[h2]; sc.resp.ProtoMajor != want {
			t.Errorf("response protocol %s, want HTTP/%d", sc.resp.Proto, want)
		}
		sc.closeSend()
		if rest := sc.rest(); len(rest) != 0 {
			t.Errorf("h2=%v: extra reports %v", h2, rest)
		}
	}

	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	resp, err := noCert.Post(url, "application/json", strings.NewReader(oneRecord))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got HTTP %d; want the handshake refused", resp.StatusCode)
	}
}

// copyFile replaces dst with src's content by write and rename, as a
// Kubernetes Secret volume updates.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeCredentials(t, dst, string(data))
}

// servedLeaf is the common name of the certificate the server presents to
// a fresh connection.
func servedLeaf(t *testing.T, addr string, roots *x509.CertPool, client *tls.Certificate) (string, error) {
	t.Helper()
	c := &tls.Config{RootCAs: roots}
	if client != nil {
		c.Certificates = []tls.Certificate{*client}
	}
	conn, err := tls.Dial("tcp", addr, c)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// postTLS posts oneRecord over HTTPS on a fresh connection.
func postTLS(t *testing.T, url string, c *tls.Config) (*http.Response, []byte, error) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: c, DisableKeepAlives: true}}
	resp, err := client.Post(url, "application/json", strings.NewReader(oneRecord))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// docs/configuration.md, "Files re-read while running": http.tls's
// certificate is re-read when its files change: a rotated Secret is served on
// new connections without a restart, a stream opened before the rotation goes
// on, and a half-written rotation (a certificate without its key) keeps the
// last good pair.
func TestProduce_HTTPSCertificateRotation(t *testing.T) {
	t.Parallel()
	ca := testpki.New(t)
	first, second := ca.Issue(t, "server-1"), ca.Issue(t, "server-2")
	dir := t.TempDir()
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	copyFile(t, first.CertFile, cfg.HTTP.TLS.CertFile)
	copyFile(t, first.KeyFile, cfg.HTTP.TLS.KeyFile)
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)
	addr := ts.Addr().String()
	if cn, err := servedLeaf(t, addr, ca.Pool, nil); err != nil || cn != "server-1" {
		t.Fatalf("before the rotation: served %q, %v; want server-1", cn, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	sc := openStreamWith(t, client, "https://"+addr+"/v3/clusters/c/topics/orders/records")
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("stream before the rotation: %v", r)
	}

	// Half a rotation: the new certificate with the old key does not load.
	copyFile(t, second.CertFile, cfg.HTTP.TLS.CertFile)
	waitFor(t, "the mismatched pair to be logged", func() bool {
		_, _ = servedLeaf(t, addr, ca.Pool, nil)
		return strings.Contains(logs.String(), "keeping the last good certificate")
	})
	if cn, err := servedLeaf(t, addr, ca.Pool, nil); err != nil || cn != "server-1" {
		t.Fatalf("with a mismatched pair on disk: served %q, %v; want server-1 kept", cn, err)
	}

	copyFile(t, second.KeyFile, cfg.HTTP.TLS.KeyFile)
	waitFor(t, "the rotated certificate to be served", func() bool {
		cn, err := servedLeaf(t, addr, ca.Pool, nil)
		return err == nil && cn == "server-2"
	})
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("stream opened before the rotation, after it: %v", r)
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports %v", rest)
	}
	resp, body, err := postTLS(t, "https://"+addr+"/v3/clusters/c/topics/orders/records", &tls.Config{RootCAs: ca.Pool})
	if err != nil || resp.StatusCode != 200 || len(parseReports(t, body)) != 1 {
		t.Errorf("after the rotation: %v, %v, %s; want one report", resp, err, body)
	}
}

// docs/configuration.md, "Files re-read while running": http.tls.clientCAFile
// is re-read when it changes: a client certificate of the new CA is admitted
// and one of the old CA refused, without a restart; a refused client produces
// nothing.
func TestProduce_HTTPSClientCARotation(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"mtls": 1})
	oldCA, newCA := testpki.New(t), testpki.New(t)
	server := oldCA.Issue(t, "server")
	oldClient, newClient := oldCA.Issue(t, "client-old"), newCA.Issue(t, "client-new")
	cfg := testConfig(b.Addr())
	cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile = server.CertFile, server.KeyFile
	cfg.HTTP.TLS.ClientCAFile = filepath.Join(t.TempDir(), "ca.crt")
	copyFile(t, oldCA.File, cfg.HTTP.TLS.ClientCAFile)
	ts := startServerConfig(t, cfg, io.Discard)
	url := "https://" + ts.Addr().String() + "/v3/clusters/c/topics/mtls/records"
	as := func(c testpki.Leaf) *tls.Config {
		return &tls.Config{RootCAs: oldCA.Pool, Certificates: []tls.Certificate{c.Pair}}
	}

	if resp, body, err := postTLS(t, url, as(oldClient)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("old CA's client before the rotation: %v %v %s", resp, err, body)
	}
	if resp, _, err := postTLS(t, url, as(newClient)); err == nil {
		t.Fatalf("new CA's client before the rotation got HTTP %d; want the handshake refused", resp.StatusCode)
	}
	copyFile(t, newCA.File, cfg.HTTP.TLS.ClientCAFile)
	waitFor(t, "the new client CA", func() bool {
		resp, _, err := postTLS(t, url, as(newClient))
		return err == nil && resp.StatusCode == 200
	})
	if resp, _, err := postTLS(t, url, as(oldClient)); err == nil {
		t.Fatalf("old CA's client after the rotation got HTTP %d; want the handshake refused", resp.StatusCode)
	}
	if n := kafkatest.EndOffset(t, b.Addr(), "mtls", 0); n != 2 {
		t.Errorf("topic holds %d records, want 2: refused clients must produce nothing", n)
	}
}

// docs/configuration.md, "http.tls": TLS 1.2 is the minimum; a TLS 1.1 client
// is refused during the handshake, a TLS 1.2 client served.
func TestProduce_HTTPSRefusesTLS11(t *testing.T) {
	t.Parallel()
	ca := testpki.New(t)
	server := ca.Issue(t, "server")
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile = server.CertFile, server.KeyFile
	ts := startServerConfig(t, cfg, io.Discard)
	addr := ts.Addr().String()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		v := conn.ConnectionState().Version
		conn.Close()
		t.Fatalf("a TLS 1.1 client was served (version %s); want the handshake refused", tls.VersionName(v))
	}
	if !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 handshake error %q, want a protocol version alert", err)
	}
	conn, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool, MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS 1.2 client: %v", err)
	}
	if v := conn.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Errorf("negotiated %s, want TLS 1.2", tls.VersionName(v))
	}
	conn.Close()
}

// A certificate that cannot be loaded at start is an error naming the key.
func TestNew_HTTPSCertificateErrors(t *testing.T) {
	t.Parallel()
	ca := testpki.New(t)
	server := ca.Issue(t, "server")
	for name, c := range map[string]struct {
		cert, key, clientCA, want string
	}{
		"missing certificate": {filepath.Join(ca.Dir, "none.pem"), server.KeyFile, "", "http.tls"},
		"key of another pair": {server.CertFile, ca.Issue(t, "other").KeyFile, "", "http.tls.certFile and keyFile"},
		"client CA not PEM":   {server.CertFile, server.KeyFile, server.KeyFile, "http.tls.clientCAFile: no PEM certificate"},
	} {
		cfg := testConfig(testBroker.Addr())
		cfg.HTTP.TLS = config.HTTPTLS{CertFile: c.cert, KeyFile: c.key, ClientCAFile: c.clientCA}
		_, err := New(cfg, NewLogger(cfg.Logging, io.Discard))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one naming %s", name, err, c.want)
		}
	}
}
