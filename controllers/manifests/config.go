package manifests

import (
	"fmt"
	"time"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// ProxyConfig maps rp's spec onto the proxy's own config type. Fields the spec
// leaves unset keep config.Default(), so the rendered file only differs from a
// hand-written empty one where the user asked. Secrets appear as the paths
// where the Deployment mounts them, never as values.
func ProxyConfig(in Input) config.Config {
	rp := in.RestProxy
	cfg := config.Default()
	cfg.Listen = fmt.Sprintf(":%d", httpPort(rp))
	cfg.ManagementListen = fmt.Sprintf(":%d", managementPort(rp))
	mapKafka(rp, &cfg.Kafka)
	mapProducer(rp.Spec.Producer, &cfg.Producer)
	mapHTTP(rp.Spec.HTTP, &cfg.HTTP)
	mapAuthentication(rp, &cfg.Authentication)
	if t := rp.Spec.Topics; t != nil {
		for _, rule := range t.Allow {
			cfg.Authorization.Topics = append(cfg.Authorization.Topics, config.TopicRule{Name: rule.Name, Prefix: rule.Prefix})
		}
	}
	mapRateLimit(rp.Spec.RateLimit, &cfg.RateLimit)
	if l := rp.Spec.Logging; l != nil {
		setString(&cfg.Logging.Level, l.Level)
		setString(&cfg.Logging.Format, l.Format)
	}
	return cfg
}

func mapKafka(rp *v1alpha1.RestProxy, k *config.Kafka) {
	spec := rp.Spec.Kafka
	k.BootstrapServers = append([]string(nil), spec.BootstrapServers...)
	// <namespace>.<name> lets broker quotas and logs tell tenants apart.
	k.ClientID = rp.Namespace + "." + rp.Name
	setString(&k.ClientID, spec.ClientID)
	if t := spec.TLS; t != nil && t.Enabled {
		k.TLS.Enabled = true
		if t.CASecretRef != nil {
			k.TLS.CAFile = KafkaCAFile
		}
		if t.CertSecretRef != nil {
			k.TLS.CertFile = KafkaCertFile
			k.TLS.KeyFile = KafkaKeyFile
		}
	}
	if s := spec.SASL; s != nil && s.Mechanism != "" {
		k.SASL.Mechanism = s.Mechanism
		k.SASL.Username = s.Username
		if s.PasswordSecretRef != nil {
			k.SASL.PasswordFile = KafkaPasswordFile
		}
	}
}

func mapProducer(p *v1alpha1.ProducerSpec, c *config.Producer) {
	if p == nil {
		return
	}
	setString(&c.Acks, p.Acks)
	setString(&c.Compression, p.Compression)
	setInt(&c.LingerMs, p.LingerMs)
	setInt(&c.BatchMaxRecords, p.BatchMaxRecords)
	setInt(&c.BatchMaxBytes, p.BatchMaxBytes)
	setInt(&c.MaxMessageBytes, p.MaxMessageBytes)
	setInt(&c.MaxAttempts, p.MaxAttempts)
	setInt(&c.DeliveryTimeoutMs, p.DeliveryTimeoutMs)
}

func mapHTTP(h *v1alpha1.HTTPSpec, c *config.HTTP) {
	if h == nil {
		return
	}
	if h.MaxRequestBytes != nil {
		c.MaxRequestBytes = *h.MaxRequestBytes
	}
	setInt(&c.MaxRecordBytes, h.MaxRecordBytes)
	setInt(&c.MaxStreams, h.MaxStreams)
	if h.StreamMaxAge != nil {
		c.StreamMaxAgeMs = h.StreamMaxAge.Milliseconds()
	}
	if h.IdleTimeout != nil {
		c.IdleTimeoutMs = h.IdleTimeout.Milliseconds()
	}
	if h.TLS != nil {
		c.TLS.CertFile = HTTPCertFile
		c.TLS.KeyFile = HTTPKeyFile
		if h.TLS.ClientCASecretRef != nil {
			c.TLS.ClientCAFile = HTTPClientCAFile
		}
	}
}

func mapAuthentication(rp *v1alpha1.RestProxy, c *config.Authentication) {
	a := rp.Spec.Authentication
	if a == nil {
		return
	}
	setString(&c.Type, a.Type)
	if ref := authSecretRef(rp); ref != nil {
		c.CredentialsFile = authCredentialsFile(ref)
	}
}

// mapRateLimit turns the per-pod limits on when any budget is set. A budget
// the spec leaves unset renders as 0, the proxy's "no limit on this
// dimension", not as the proxy's default budget, which nobody asked for.
func mapRateLimit(r *v1alpha1.RateLimitSpec, c *config.RateLimit) {
	if r == nil {
		return
	}
	budgets := []struct {
		spec *int64
		dst  *int64
	}{
		{r.RecordsPerSecond, &c.RecordsPerSecond},
		{r.BytesPerSecond, &c.BytesPerSecond},
		{r.PerClusterRecordsPerSecond, &c.PerClusterRecordsPerSecond},
		{r.PerClusterBytesPerSecond, &c.PerClusterBytesPerSecond},
	}
	for _, b := range budgets {
		c.Enabled = c.Enabled || b.spec != nil
	}
	if !c.Enabled {
		return
	}
	for _, b := range budgets {
		*b.dst = 0
		if b.spec != nil {
			*b.dst = *b.spec
		}
	}
}

// RenderConfig renders the proxy's config file for in. The bytes depend only
// on in (config.Marshal sorts keys), and they are parsed back with the
// proxy's own parser, so a file the proxy would refuse never reaches a pod:
// the error names the offending field instead.
func RenderConfig(in Input) ([]byte, error) {
	rp := in.RestProxy
	if err := checkDurations(rp); err != nil {
		return nil, fmt.Errorf("render config for %s/%s: %w", rp.Namespace, rp.Name, err)
	}
	data, err := ProxyConfig(in).Marshal()
	if err != nil {
		return nil, fmt.Errorf("render config for %s/%s: %w", rp.Namespace, rp.Name, err)
	}
	if _, err := config.Parse(data); err != nil {
		return nil, fmt.Errorf("render config for %s/%s: invalid proxy config: %w", rp.Namespace, rp.Name, err)
	}
	return data, nil
}

// checkDurations rejects durations the config's milliseconds cannot carry,
// naming the spec field: the CRD accepts any duration string.
func checkDurations(rp *v1alpha1.RestProxy) error {
	h := rp.Spec.HTTP
	if h == nil {
		return nil
	}
	for _, d := range []struct {
		field string
		value *time.Duration
	}{
		{"spec.http.streamMaxAge", durationPtr(h.StreamMaxAge)},
		{"spec.http.idleTimeout", durationPtr(h.IdleTimeout)},
	} {
		if d.value != nil && *d.value < time.Millisecond {
			return fmt.Errorf("%s: must be at least 1ms; got %s", d.field, *d.value)
		}
	}
	return nil
}
