package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The RestProxy a client outside the cluster reaches: HTTPS on a node port.
const (
	edgeName = "edge"
	// edgeHost is the name in its serving certificate, which clients
	// verify (they dial the node address).
	edgeHost = edgeName + "." + fleetNS + ".svc"
)

// edgeTLS is what the edge scenarios share: the CA clients trust, the
// serving certificate in the Secret now, and the address of the node port.
type edgeTLS struct {
	ca      *pkiCert
	serving *pkiCert
	addr    string // nodeIP:nodePort
}

// nodePortHTTPS creates a RestProxy whose Service is a NodePort serving
// HTTPS from a kubernetes.io/tls Secret, and produces a record through the
// node port from the host, verifying the certificate.
func (s *suite) nodePortHTTPS(ctx context.Context) error {
	ca, err := issueCert(caTemplate("restproxy-e2e-edge-ca"), nil)
	if err != nil {
		return err
	}
	e := &edgeTLS{ca: ca}
	if e.serving, err = edgeCert(ca); err != nil {
		return err
	}
	manifest := fmt.Sprintf(`apiVersion: kafka.restproxy.dev/v1alpha1
kind: RestProxy
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  kafka:
    bootstrapServers: [%[3]q]
  http:
    tls: {secretName: %[1]s-tls}
  template:
    service: {type: NodePort}
`, edgeName, fleetNS, s.brokerAddr())
	if err := s.applyTLSSecret(ctx, e.serving); err != nil {
		return err
	}
	if _, err := s.c.kubectlIn(ctx, []byte(manifest), "apply", "-f", "-"); err != nil {
		return err
	}
	if err := s.waitReady(ctx, fleetNS, edgeName, 1); err != nil {
		return err
	}
	port, err := s.c.kubectl(ctx, "get", "service", "-n", fleetNS, edgeName,
		"-o", `jsonpath={.spec.ports[?(@.name=="http")].nodePort}`)
	if err != nil {
		return err
	}
	if port == "" {
		return fmt.Errorf("service %s/%s has no node port", fleetNS, edgeName)
	}
	e.addr = net.JoinHostPort(nodeIP, port)
	s.edge = e
	// kube-proxy programs the node port a moment after the pod is Ready.
	return poll(ctx, 60*time.Second, func() error { return e.produce(ctx, "through the node port") })
}

// produce sends one record over HTTPS to the node port, trusting only the
// edge CA, and wants a 200 report.
func (e *edgeTLS) produce(ctx context.Context, value string) error {
	pool := x509.NewCertPool()
	pool.AddCert(e.ca.cert)
	httpc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: edgeHost},
	}}
	url := fmt.Sprintf("https://%s/v3/clusters/e2e/topics/%s/records", e.addr, allowedTopic)
	status, body, err := produceOne(ctx, httpc, url, nil, value)
	if err == nil && (status != http.StatusOK || !strings.Contains(body, `"error_code":200`)) {
		err = fmt.Errorf("HTTP %d %s, want 200", status, body)
	}
	return err
}

// servedSerial is the serial number of the certificate the node port
// serves now (verified against the edge CA).
func (e *edgeTLS) servedSerial(ctx context.Context) (string, error) {
	pool := x509.NewCertPool()
	pool.AddCert(e.ca.cert)
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: edgeHost}}
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

// rotateServingCert replaces the edge RestProxy's TLS Secret with a new
// certificate, as cert-manager renews one, and waits for the node port to
// serve it: the proxy re-reads the files the kubelet updates, so the
// Deployment keeps its template and the pods stay the same.
func (s *suite) rotateServingCert(ctx context.Context) error {
	e := s.edge
	pods, err := s.podUIDs(ctx, fleetNS, edgeName)
	if err != nil {
		return err
	}
	generation, err := s.c.kubectl(ctx, "get", "deployment", "-n", fleetNS, edgeName, "-o", "jsonpath={.metadata.generation}")
	if err != nil {
		return err
	}
	old, err := e.servedSerial(ctx)
	if err != nil {
		return err
	}
	if old != e.serving.cert.SerialNumber.String() {
		return fmt.Errorf("the node port serves certificate %s, want the Secret's %s", old, e.serving.cert.SerialNumber)
	}
	renewed, err := edgeCert(e.ca)
	if err != nil {
		return err
	}
	if err := s.applyTLSSecret(ctx, renewed); err != nil {
		return err
	}
	// The kubelet updates a Secret volume at its sync period (10 s here),
	// the proxy re-reads at most every second.
	want := renewed.cert.SerialNumber.String()
	if err := poll(ctx, 120*time.Second, func() error {
		got, err := e.servedSerial(ctx)
		if err == nil && got != want {
			err = fmt.Errorf("serving certificate %s, want the renewed %s", got, want)
		}
		return err
	}); err != nil {
		return err
	}
	e.serving = renewed
	after, err := s.podUIDs(ctx, fleetNS, edgeName)
	if err != nil {
		return err
	}
	if !slices.Equal(pods, after) {
		return fmt.Errorf("pods before the rotation %v, after %v: want the same", pods, after)
	}
	now, err := s.c.kubectl(ctx, "get", "deployment", "-n", fleetNS, edgeName, "-o", "jsonpath={.metadata.generation}")
	if err != nil {
		return err
	}
	if now != generation {
		return fmt.Errorf("the Deployment went from generation %s to %s: the rotation changed its pod template", generation, now)
	}
	return e.produce(ctx, "after the rotation")
}

// edgeCert issues a serving certificate for edgeHost.
func edgeCert(ca *pkiCert) (*pkiCert, error) {
	return issueCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: edgeHost},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{edgeHost},
	}, ca)
}

// applyTLSSecret creates or replaces the edge RestProxy's TLS Secret.
func (s *suite) applyTLSSecret(ctx context.Context, c *pkiCert) error {
	indent := func(b []byte) string { return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "\n    ") }
	secret := fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %s-tls
  namespace: %s
type: kubernetes.io/tls
stringData:
  tls.crt: |
    %s
  tls.key: |
    %s
`, edgeName, fleetNS, indent(c.certPEM), indent(c.keyPEM))
	_, err := s.c.kubectlIn(ctx, []byte(secret), "apply", "-f", "-")
	return err
}
