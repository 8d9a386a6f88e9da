package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	client                    tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, server bool) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		if server {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	serverDER, serverKey := issue(2, true)
	clientDER, clientKey := issue(3, false)
	pki := testPKI{
		caFile:   write("ca.pem", "CERTIFICATE", caDER),
		certFile: write("server.pem", "CERTIFICATE", serverDER),
		keyFile:  write("server-key.pem", "EC PRIVATE KEY", keyDER(serverKey)),
		pool:     x509.NewCertPool(),
	}
	pki.pool.AddCert(ca)
	pki.client = tls.Certificate{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}
	return pki
}

// http.tls: HTTPS with client certificates required when clientCAFile is
// set; streams work over HTTP/1.1 and HTTP/2 alike.
func TestProduce_HTTPSWithClientCertificates(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile, cfg.HTTP.TLS.ClientCAFile = pki.certFile, pki.keyFile, pki.caFile
	ts := startServerConfig(t, cfg, io.Discard)
	url := "https://" + ts.Addr().String() + "/v3/clusters/c/topics/orders/records"

	for _, h2 := range []bool{false, true} {
		client := &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pki.pool, Certificates: []tls.Certificate{pki.client}},
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

	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	resp, err := noCert.Post(url, "application/json", strings.NewReader(oneRecord))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a client without a certificate got HTTP %d; want the handshake refused", resp.StatusCode)
	}
}
