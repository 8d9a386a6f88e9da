package proxy

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
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
