package manifests

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// document is the proxy's config file as nested maps holding only the keys
// the spec sets. Every other key keeps the proxy's own default, applied by
// the proxy when it reads the file, so a new operator release (with new
// defaults or new keys) renders the same bytes for an unchanged spec, and
// a proxy image older than the operator never meets a key it does not know
// unless the spec asks for the feature.
type document map[string]any

// set stores value at the dotted path ("producer.acks"), making the maps
// on the way.
func (d document) set(path string, value any) {
	keys := strings.Split(path, ".")
	m := d
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(document)
		if !ok {
			next = document{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
}

func (d document) setString(path, v string) {
	if v != "" {
		d.set(path, v)
	}
}

func setPtr[T any](d document, path string, v *T) {
	if v != nil {
		d.set(path, *v)
	}
}

// configDocument maps rp's spec onto the keys of the proxy's config file.
// Secrets appear as the paths where the Deployment mounts them, never as
// values. The listeners, the brokers and the client ID are always written:
// they are per RestProxy, not defaults.
func configDocument(in Input) document {
	rp := in.RestProxy
	d := document{}
	d.set("listen", fmt.Sprintf(":%d", httpPort(rp)))
	d.set("managementListen", fmt.Sprintf(":%d", managementPort(rp)))
	mapKafka(rp, d)
	mapProducer(rp.Spec.Producer, d)
	mapHTTP(rp.Spec.HTTP, d)
	mapAuthentication(rp, d)
	if t := rp.Spec.Topics; t != nil && len(t.Allow) > 0 {
		rules := make([]config.TopicRule, 0, len(t.Allow))
		for _, rule := range t.Allow {
			rules = append(rules, config.TopicRule{Name: rule.Name, Prefix: rule.Prefix})
		}
		d.set("authorization.topics", rules)
	}
	mapAccess(rp.Spec.Access, d)
	mapRateLimit(rp.Spec.RateLimit, d)
	if l := rp.Spec.Logging; l != nil {
		d.setString("logging.level", l.Level)
		d.setString("logging.format", l.Format)
	}
	mapObservability(rp.Spec.Observability, d)
	mapSchemaRegistry(rp.Spec.SchemaRegistry, d)
	return d
}

func mapKafka(rp *v1alpha1.RestProxy, d document) {
	spec := rp.Spec.Kafka
	d.set("kafka.bootstrapServers", append([]string(nil), spec.BootstrapServers...))
	// <namespace>.<name> lets broker quotas and logs tell tenants apart.
	clientID := rp.Namespace + "." + rp.Name
	if spec.ClientID != "" {
		clientID = spec.ClientID
	}
	d.set("kafka.clientId", clientID)
	d.setString("clusterId", spec.ClusterID)
	if t := spec.TLS; t != nil && t.Enabled {
		d.set("kafka.tls.enabled", true)
		if t.CASecretRef != nil {
			d.set("kafka.tls.caFile", KafkaCAFile)
		}
		if t.CertSecretRef != nil {
			d.set("kafka.tls.certFile", KafkaCertFile)
			d.set("kafka.tls.keyFile", KafkaKeyFile)
		}
	}
	if s := spec.SASL; s != nil && s.Mechanism != "" {
		d.set("kafka.sasl.mechanism", s.Mechanism)
		d.setString("kafka.sasl.username", s.Username)
		if s.PasswordSecretRef != nil {
			d.set("kafka.sasl.passwordFile", KafkaPasswordFile)
		}
	}
	mapKafkaIdentity(spec, d)
}

func mapProducer(p *v1alpha1.ProducerSpec, d document) {
	if p == nil {
		return
	}
	d.setString("producer.acks", p.Acks)
	d.setString("producer.compression", p.Compression)
	setPtr(d, "producer.lingerMs", p.LingerMs)
	setPtr(d, "producer.batchMaxRecords", p.BatchMaxRecords)
	setPtr(d, "producer.batchMaxBytes", p.BatchMaxBytes)
	setPtr(d, "producer.maxMessageBytes", p.MaxMessageBytes)
	setPtr(d, "producer.maxAttempts", p.MaxAttempts)
	setPtr(d, "producer.deliveryTimeoutMs", p.DeliveryTimeoutMs)
	setPtr(d, "producer.recordIdHeader", p.RecordIDHeader)
}

func mapHTTP(h *v1alpha1.HTTPSpec, d document) {
	if h == nil {
		return
	}
	setPtr(d, "http.maxRequestBytes", h.MaxRequestBytes)
	setPtr(d, "http.maxRecordBytes", h.MaxRecordBytes)
	setPtr(d, "http.maxInFlightBytesPerStream", h.MaxInFlightBytesPerStream)
	setPtr(d, "http.maxInFlightBytesTotal", h.MaxInFlightBytesTotal)
	setPtr(d, "http.maxStreams", h.MaxStreams)
	setPtr(d, "http.maxBatchEntries", h.MaxBatchEntries)
	setPtr(d, "http.trustForwardedHeaders", h.TrustForwardedHeaders)
	if h.StreamMaxAge != nil {
		d.set("http.streamMaxAgeMs", h.StreamMaxAge.Milliseconds())
	}
	if h.IdleTimeout != nil {
		d.set("http.idleTimeoutMs", h.IdleTimeout.Milliseconds())
	}
	if h.TLS != nil {
		d.set("http.tls.certFile", HTTPCertFile)
		d.set("http.tls.keyFile", HTTPKeyFile)
		if h.TLS.ClientCASecretRef != nil {
			d.set("http.tls.clientCAFile", HTTPClientCAFile)
		}
	}
}

func mapAuthentication(rp *v1alpha1.RestProxy, d document) {
	a := rp.Spec.Authentication
	if a == nil {
		return
	}
	d.setString("authentication.type", a.Type)
	if ref := authSecretRef(rp); ref != nil {
		d.set("authentication.credentialsFile", authCredentialsFile(ref))
	}
	mapJWT(jwtSpec(rp), d)
}

// mapRateLimit turns the per-pod limits on when any budget is set. A budget
// the spec leaves unset is written as 0, the proxy's "no limit on this
// dimension", not left to the proxy's default budget, which nobody asked for.
func mapRateLimit(r *v1alpha1.RateLimitSpec, d document) {
	if r == nil {
		return
	}
	budgets := []struct {
		key  string
		spec *int64
	}{
		{"recordsPerSecond", r.RecordsPerSecond},
		{"bytesPerSecond", r.BytesPerSecond},
		{"perClusterRecordsPerSecond", r.PerClusterRecordsPerSecond},
		{"perClusterBytesPerSecond", r.PerClusterBytesPerSecond},
	}
	enabled := false
	for _, b := range budgets {
		enabled = enabled || b.spec != nil
	}
	if !enabled {
		return
	}
	d.set("rateLimit.enabled", true)
	for _, b := range budgets {
		d.set("rateLimit."+b.key, ptrValue(b.spec))
	}
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ProxyConfig is the configuration the proxy runs with for in: the rendered
// file read over config.Default(), as the proxy reads it, without the
// validation RenderConfig adds.
func ProxyConfig(in Input) config.Config {
	cfg := config.Default()
	data, err := json.Marshal(configDocument(in))
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		// configDocument holds only strings, numbers, booleans and lists
		// of them, which always encode and decode.
		panic(fmt.Sprintf("proxy config document does not round-trip: %v", err))
	}
	return cfg
}

// RenderConfig renders the proxy's config file for in: only the keys the
// spec sets (see document). The bytes depend only on in (map keys are
// sorted), and they are parsed back with the proxy's own parser, which
// applies its defaults to every key left out, so a file the proxy would
// refuse never reaches a pod: the error names the offending field instead.
func RenderConfig(in Input) ([]byte, error) {
	rp := in.RestProxy
	if err := checkDurations(rp); err != nil {
		return nil, fmt.Errorf("render config for %s/%s: %w", rp.Namespace, rp.Name, err)
	}
	data, err := yaml.Marshal(configDocument(in))
	if err != nil {
		return nil, fmt.Errorf("render config for %s/%s: %w", rp.Namespace, rp.Name, err)
	}
	if _, err := config.Parse(data); err != nil {
		return nil, fmt.Errorf("render config for %s/%s: invalid proxy config: %w", rp.Namespace, rp.Name, err)
	}
	return data, nil
}

// checkDurations rejects durations the config's milliseconds cannot carry,
// naming the spec field: the CRD accepts any duration string. Only
// schemaRegistry.latestCacheTTL may be zero (no cache).
func checkDurations(rp *v1alpha1.RestProxy) error {
	type duration struct {
		field     string
		value     *time.Duration
		zeroValid bool
	}
	var durations []duration
	if h := rp.Spec.HTTP; h != nil {
		durations = append(durations,
			duration{"spec.http.streamMaxAge", durationPtr(h.StreamMaxAge), false},
			duration{"spec.http.idleTimeout", durationPtr(h.IdleTimeout), false})
	}
	if s := rp.Spec.SchemaRegistry; s != nil {
		durations = append(durations,
			duration{"spec.schemaRegistry.timeout", durationPtr(s.Timeout), false},
			duration{"spec.schemaRegistry.latestCacheTTL", durationPtr(s.LatestCacheTTL), true})
	}
	for _, d := range durations {
		switch {
		case d.value == nil || *d.value >= time.Millisecond:
		case d.zeroValid && *d.value == 0:
		case d.zeroValid:
			return fmt.Errorf("%s: must be 0s or at least 1ms; got %s", d.field, *d.value)
		default:
			return fmt.Errorf("%s: must be at least 1ms; got %s", d.field, *d.value)
		}
	}
	return nil
}
