package controllers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// registryCheckEvery is how long the answer of a check of a Schema
// Registry URL is kept; a RestProxy none of whose registry URLs answered
// is reconciled again after it, so its status clears once one is back.
const registryCheckEvery = 5 * time.Minute

// registryChecks says whether the Schema Registry a RestProxy names
// answers, seen from the operator: a GET of <url>/subjects, the listing
// every Confluent-compatible registry serves.
//
// The probe carries no credentials and no client certificate, so the
// operator never reads the Secrets' contents (it keeps only their
// metadata): a registry that answers 401 or 403 is reachable, and whether
// it takes the proxy's credentials shows in the proxy's answers, not here.
// For the same reason a registry whose CA is in a Secret is probed without
// verifying its certificate, and one that refuses the TLS handshake for
// want of a client certificate counts as reachable when the spec gives
// the proxy one.
type registryChecks struct {
	// verifying checks certificates against the system roots, as the proxy
	// does without spec.schemaRegistry.tls.caSecretRef.
	verifying *http.Client
	// trusting accepts any certificate, for a registry whose CA the
	// operator does not read.
	trusting *http.Client
	cache    *probeCache // by URL and how it is probed
}

func newRegistryChecks() *registryChecks {
	trusting := http.DefaultTransport.(*http.Transport).Clone()
	// A reachability probe that sends nothing secret and reads no answer
	// (see registryChecks); the proxy verifies with the Secret's CA.
	trusting.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see above
	return &registryChecks{
		verifying: &http.Client{Timeout: 5 * time.Second},
		trusting:  &http.Client{Timeout: 5 * time.Second, Transport: trusting},
		cache:     newProbeCache(registryCheckEvery),
	}
}

// registryProbe is how one URL is probed.
type registryProbe struct {
	url string
	// privateCA: the CA is in a Secret, so the certificate is not verified.
	privateCA bool
	// clientCert: the proxy presents a client certificate, so a handshake
	// the registry refuses for the want of one still proves it answers.
	clientCert bool
}

func (p registryProbe) key() string {
	return fmt.Sprintf("%s privateCA=%t clientCert=%t", p.url, p.privateCA, p.clientCert)
}

// registryProbes are the probes of rp's registry URLs, in their order;
// none when rp names no registry.
func registryProbes(rp *v1alpha1.RestProxy) []registryProbe {
	s := rp.Spec.SchemaRegistry
	if s == nil {
		return nil
	}
	privateCA := s.TLS != nil && s.TLS.CASecretRef != nil
	clientCert := s.TLS != nil && s.TLS.CertSecretRef != nil
	probes := make([]registryProbe, 0, len(s.URLs))
	for _, u := range s.URLs {
		probes = append(probes, registryProbe{url: u, privateCA: privateCA, clientCert: clientCert})
	}
	return probes
}

// unreachable says, when none of rp's registry URLs answers, what that
// means, naming each URL and why; "" when one answers or there is no
// registry. One URL that answers is enough: the proxy tries them in order.
// The URLs are probed at once, so a reconcile waits for one time-out at
// most.
func (c *registryChecks) unreachable(ctx context.Context, rp *v1alpha1.RestProxy) string {
	probes := registryProbes(rp)
	if len(probes) == 0 || c == nil {
		return ""
	}
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			errs[i] = c.cache.check(p.key(), func() error { return c.probe(ctx, p) })
		})
	}
	wg.Wait()
	failures := make([]string, 0, len(probes))
	for i, err := range errs {
		if err == nil {
			return ""
		}
		failures = append(failures, fmt.Sprintf("%s (%v)", probes[i].url, err))
	}
	return fmt.Sprintf("spec.schemaRegistry.urls: no Schema Registry answers the operator: %s; records whose schema the proxy has not cached get 50003 until one does",
		strings.Join(failures, ", "))
}

// probe asks p.url for its subjects; nil when the registry answers.
func (c *registryChecks) probe(ctx context.Context, p registryProbe) error {
	target := strings.TrimSuffix(p.url, "/") + "/subjects"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json, application/json")
	client := c.verifying
	if p.privateCA {
		client = c.trusting
	}
	resp, err := client.Do(req)
	if err != nil {
		if p.clientCert && refusedByTLSPeer(err) {
			return nil
		}
		// The status message names the URL already.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			return urlErr.Err
		}
		return err
	}
	// The body, a list of every subject, is not needed: only that the
	// registry answered.
	_ = resp.Body.Close()
	return registryAnswer(resp.StatusCode)
}

// registryAnswer is nil for a status that a registry gives: the listing,
// or a refusal for want of the credentials the probe does not send.
func registryAnswer(status int) error {
	switch status {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		return nil
	}
	return fmt.Errorf("GET /subjects answered HTTP %d", status)
}

// refusedByTLSPeer: the peer answered the TLS handshake with an alert,
// such as "certificate required", so it is there and speaks TLS.
func refusedByTLSPeer(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}
