// Package config defines the proxy's configuration file: one YAML document,
// read by `restproxy proxy` and rendered by the operator into a ConfigMap.
// It is the single schema both sides share (docs/configuration.md is its
// reference), so a field added here is immediately available to the
// operator's renderer.
//
// Durations are integer milliseconds and secrets are file paths: the file is
// safe to show in a ConfigMap and diff between releases.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// Config is the whole configuration file. The zero value is not useful; start
// from Default or Load.
type Config struct {
	Listen           string `json:"listen"`
	ManagementListen string `json:"managementListen"`
	ClusterID        string `json:"clusterId"`

	Kafka          Kafka          `json:"kafka"`
	Producer       Producer       `json:"producer"`
	HTTP           HTTP           `json:"http"`
	Authentication Authentication `json:"authentication"`
	Authorization  Authorization  `json:"authorization"`
	RateLimit      RateLimit      `json:"rateLimit"`
	Logging        Logging        `json:"logging"`
}

// Kafka says how to reach and authenticate to the brokers.
type Kafka struct {
	BootstrapServers []string  `json:"bootstrapServers"`
	ClientID         string    `json:"clientId"`
	TLS              KafkaTLS  `json:"tls"`
	SASL             KafkaSASL `json:"sasl"`
}

// KafkaTLS enables TLS to the brokers; CertFile and KeyFile add a client
// certificate (mTLS).
type KafkaTLS struct {
	Enabled  bool   `json:"enabled"`
	CAFile   string `json:"caFile"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// SASL mechanisms the proxy speaks to Kafka.
const (
	SASLNone        = ""
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// KafkaSASL authenticates to the brokers. The password lives in a file so it
// never appears in the rendered config.
type KafkaSASL struct {
	Mechanism    string `json:"mechanism"`
	Username     string `json:"username"`
	PasswordFile string `json:"passwordFile"`
}

// Producer tunes the Kafka writer.
type Producer struct {
	Acks              string `json:"acks"`
	Compression       string `json:"compression"`
	LingerMs          int    `json:"lingerMs"`
	BatchMaxRecords   int    `json:"batchMaxRecords"`
	BatchMaxBytes     int    `json:"batchMaxBytes"`
	MaxMessageBytes   int    `json:"maxMessageBytes"`
	MaxAttempts       int    `json:"maxAttempts"`
	DeliveryTimeoutMs int    `json:"deliveryTimeoutMs"`
	MetadataWaitMs    int    `json:"metadataWaitMs"`
}

// HTTP bounds what one client and the whole process may ask of the server.
// Zero turns the optional limits off.
type HTTP struct {
	MaxRequestBytes      int64 `json:"maxRequestBytes"`
	MaxRecordBytes       int   `json:"maxRecordBytes"`
	MaxInFlightPerStream int   `json:"maxInFlightPerStream"`
	MaxInFlightTotal     int   `json:"maxInFlightTotal"`
	// The same bounds in bytes of the records' JSON text.
	MaxInFlightBytesPerStream int64   `json:"maxInFlightBytesPerStream"`
	MaxInFlightBytesTotal     int64   `json:"maxInFlightBytesTotal"`
	MaxStreams                int     `json:"maxStreams"`
	StreamMaxAgeMs            int64   `json:"streamMaxAgeMs"`
	StreamGracePeriodMs       int64   `json:"streamGracePeriodMs"`
	IdleTimeoutMs             int64   `json:"idleTimeoutMs"`
	ShutdownDrainMs           int64   `json:"shutdownDrainMs"`
	TLS                       HTTPTLS `json:"tls"`
}

// HTTPTLS serves the produce API over HTTPS when CertFile is set, and requires
// client certificates signed by ClientCAFile when that is set.
type HTTPTLS struct {
	CertFile     string `json:"certFile"`
	KeyFile      string `json:"keyFile"`
	ClientCAFile string `json:"clientCAFile"`
}

// Inbound authentication types.
const (
	AuthNone   = "none"
	AuthBasic  = "basic"
	AuthAPIKey = "apiKey"
	AuthMTLS   = "mtls"
)

// Authentication of produce clients.
type Authentication struct {
	Type            string `json:"type"`
	CredentialsFile string `json:"credentialsFile"`
}

// Authorization restricts the topics clients may produce to.
type Authorization struct {
	Topics []TopicRule `json:"topics"`
}

// TopicRule matches a topic by exact Name or by Prefix; exactly one is set.
type TopicRule struct {
	Name   string `json:"name,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// RateLimit holds per-process record and byte budgets per second, globally
// and per cluster_id of the request path. A budget of 0 is no limit on that
// dimension, so one can be limited without the others.
type RateLimit struct {
	Enabled                    bool  `json:"enabled"`
	RecordsPerSecond           int64 `json:"recordsPerSecond"`
	BytesPerSecond             int64 `json:"bytesPerSecond"`
	PerClusterRecordsPerSecond int64 `json:"perClusterRecordsPerSecond"`
	PerClusterBytesPerSecond   int64 `json:"perClusterBytesPerSecond"`
}

// Logging selects the slog level and handler.
type Logging struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

// Default returns the configuration an empty file means.
func Default() Config {
	return Config{
		Listen:           ":8082",
		ManagementListen: ":8081",
		Kafka: Kafka{
			BootstrapServers: []string{"localhost:9092"},
			ClientID:         "restproxy",
		},
		Producer: Producer{
			Acks:              "all",
			Compression:       "none",
			LingerMs:          2,
			BatchMaxRecords:   1000,
			BatchMaxBytes:     1048576,
			MaxMessageBytes:   1048576,
			MaxAttempts:       3,
			DeliveryTimeoutMs: 30000,
			MetadataWaitMs:    5000,
		},
		HTTP: HTTP{
			MaxInFlightPerStream: 1024,
			MaxInFlightTotal:     65536,
			// A stream of 1 MiB records holds 8 of them, the process 64
			// MiB of records whatever the count bounds allow.
			MaxInFlightBytesPerStream: 8 << 20,
			MaxInFlightBytesTotal:     64 << 20,
			StreamMaxAgeMs:            86400000,
			StreamGracePeriodMs:       500,
			IdleTimeoutMs:             30000,
			ShutdownDrainMs:           25000,
		},
		Authentication: Authentication{Type: AuthNone},
		Authorization:  Authorization{Topics: []TopicRule{}},
		RateLimit: RateLimit{
			RecordsPerSecond:           10000,
			BytesPerSecond:             10000000,
			PerClusterRecordsPerSecond: 10000,
			PerClusterBytesPerSecond:   10000000,
		},
		Logging: Logging{Level: "info", Format: "json"},
	}
}

// Load reads and validates the file at path. Keys missing from the file keep
// their defaults; unknown keys are an error that names them.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes a YAML document over the defaults and validates the result.
func Parse(data []byte) (Config, error) {
	cfg := Default()
	if len(bytes.TrimSpace(data)) > 0 {
		if err := checkKnownKeys(data); err != nil {
			return Config{}, err
		}
		if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("parse: %s", cleanYAMLError(err))
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Marshal renders cfg as YAML. Keys are sorted, so equal configs give equal
// bytes: the operator hashes this output to decide when pods must roll.
func (c Config) Marshal() ([]byte, error) {
	return yaml.Marshal(c)
}

// checkKnownKeys reports every key of the document that Config does not
// have, by its full path ("kafka.bootstrap"), which the JSON decoder alone
// would name only by its last element.
func checkKnownKeys(data []byte) error {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parse: %s", cleanYAMLError(err))
	}
	var unknown []string
	walkKeys(doc, reflect.TypeFor[Config](), "", &unknown)
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("unknown key %s", strings.Join(quoteAll(unknown), ", "))
}

func walkKeys(doc any, t reflect.Type, path string, unknown *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		m, ok := doc.(map[string]any)
		if !ok {
			return // a type mismatch; the decoder reports it with the field named
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
		}
		for key, value := range m {
			child := key
			if path != "" {
				child = path + "." + key
			}
			ft, known := fields[key]
			if !known {
				*unknown = append(*unknown, child)
				continue
			}
			walkKeys(value, ft, child, unknown)
		}
	case reflect.Slice:
		items, _ := doc.([]any)
		for i, item := range items {
			walkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), unknown)
		}
	}
}

// cleanYAMLError strips the decoder's plumbing from an error so the message
// reads `unknown field "kafka.bootstrap"` rather than a chain of wrappers.
func cleanYAMLError(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	return msg
}

// Validate checks every field and reports all problems at once, each naming
// the field's path in the file.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	oneOf := func(field, value string, allowed ...string) {
		for _, a := range allowed {
			if value == a {
				return
			}
		}
		bad(field, "must be one of %s; got %q", strings.Join(quoteAll(allowed), ", "), value)
	}
	positive := func(field string, v int64) {
		if v <= 0 {
			bad(field, "must be greater than 0; got %d", v)
		}
	}
	notNegative := func(field string, v int64) {
		if v < 0 {
			bad(field, "must not be negative; got %d", v)
		}
	}

	if c.Listen == "" {
		bad("listen", "must not be empty")
	}
	if c.ManagementListen == "" {
		bad("managementListen", "must not be empty")
	}

	if len(c.Kafka.BootstrapServers) == 0 {
		bad("kafka.bootstrapServers", "must list at least one host:port")
	}
	for i, s := range c.Kafka.BootstrapServers {
		if host, port, ok := strings.Cut(s, ":"); !ok || host == "" || port == "" {
			bad(fmt.Sprintf("kafka.bootstrapServers[%d]", i), "must be host:port; got %q", s)
		}
	}
	if c.Kafka.ClientID == "" {
		bad("kafka.clientId", "must not be empty")
	}
	if !c.Kafka.TLS.Enabled && (c.Kafka.TLS.CAFile != "" || c.Kafka.TLS.CertFile != "" || c.Kafka.TLS.KeyFile != "") {
		bad("kafka.tls.enabled", "must be true when caFile, certFile or keyFile is set")
	}
	if (c.Kafka.TLS.CertFile == "") != (c.Kafka.TLS.KeyFile == "") {
		bad("kafka.tls.certFile", "certFile and keyFile must be set together")
	}
	oneOf("kafka.sasl.mechanism", c.Kafka.SASL.Mechanism, SASLNone, SASLPlain, SASLScramSHA256, SASLScramSHA512)
	if c.Kafka.SASL.Mechanism != SASLNone {
		if c.Kafka.SASL.Username == "" {
			bad("kafka.sasl.username", "must be set when kafka.sasl.mechanism is %s", c.Kafka.SASL.Mechanism)
		}
		if c.Kafka.SASL.PasswordFile == "" {
			bad("kafka.sasl.passwordFile", "must be set when kafka.sasl.mechanism is %s", c.Kafka.SASL.Mechanism)
		}
	}

	p := c.Producer
	oneOf("producer.acks", p.Acks, "all", "leader", "none")
	oneOf("producer.compression", p.Compression, "none", "gzip", "snappy", "lz4", "zstd")
	notNegative("producer.lingerMs", int64(p.LingerMs))
	positive("producer.batchMaxRecords", int64(p.BatchMaxRecords))
	positive("producer.batchMaxBytes", int64(p.BatchMaxBytes))
	positive("producer.maxMessageBytes", int64(p.MaxMessageBytes))
	positive("producer.maxAttempts", int64(p.MaxAttempts))
	positive("producer.deliveryTimeoutMs", int64(p.DeliveryTimeoutMs))
	positive("producer.metadataWaitMs", int64(p.MetadataWaitMs))

	h := c.HTTP
	notNegative("http.maxRequestBytes", h.MaxRequestBytes)
	notNegative("http.maxRecordBytes", int64(h.MaxRecordBytes))
	positive("http.maxInFlightPerStream", int64(h.MaxInFlightPerStream))
	positive("http.maxInFlightTotal", int64(h.MaxInFlightTotal))
	positive("http.maxInFlightBytesPerStream", h.MaxInFlightBytesPerStream)
	positive("http.maxInFlightBytesTotal", h.MaxInFlightBytesTotal)
	notNegative("http.maxStreams", int64(h.MaxStreams))
	positive("http.streamMaxAgeMs", h.StreamMaxAgeMs)
	notNegative("http.streamGracePeriodMs", h.StreamGracePeriodMs)
	positive("http.idleTimeoutMs", h.IdleTimeoutMs)
	notNegative("http.shutdownDrainMs", h.ShutdownDrainMs)
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		bad("http.tls.certFile", "certFile and keyFile must be set together")
	}
	if h.TLS.ClientCAFile != "" && h.TLS.CertFile == "" {
		bad("http.tls.clientCAFile", "needs http.tls.certFile and keyFile: client certificates require HTTPS")
	}

	a := c.Authentication
	oneOf("authentication.type", a.Type, AuthNone, AuthBasic, AuthAPIKey, AuthMTLS)
	switch a.Type {
	case AuthBasic, AuthAPIKey:
		if a.CredentialsFile == "" {
			bad("authentication.credentialsFile", "must be set when authentication.type is %s", a.Type)
		}
	case AuthMTLS:
		if h.TLS.ClientCAFile == "" {
			bad("http.tls.clientCAFile", "must be set when authentication.type is mtls")
		}
	}

	for i, t := range c.Authorization.Topics {
		if (t.Name == "") == (t.Prefix == "") {
			bad(fmt.Sprintf("authorization.topics[%d]", i), "must set exactly one of name or prefix")
		}
	}

	if r := c.RateLimit; r.Enabled {
		notNegative("rateLimit.recordsPerSecond", r.RecordsPerSecond)
		notNegative("rateLimit.bytesPerSecond", r.BytesPerSecond)
		notNegative("rateLimit.perClusterRecordsPerSecond", r.PerClusterRecordsPerSecond)
		notNegative("rateLimit.perClusterBytesPerSecond", r.PerClusterBytesPerSecond)
		if r.RecordsPerSecond == 0 && r.BytesPerSecond == 0 && r.PerClusterRecordsPerSecond == 0 && r.PerClusterBytesPerSecond == 0 {
			bad("rateLimit.enabled", "every budget is 0 (no limit): set one, or disable rate limits")
		}
	}

	oneOf("logging.level", c.Logging.Level, "debug", "info", "warn", "error")
	oneOf("logging.format", c.Logging.Format, "json", "text")
	walkStrings(reflect.ValueOf(c), "", func(field, v string) {
		if i := strings.IndexFunc(v, notPrintable); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v[i:])
			bad(field, "must hold printable characters only; got %U at byte %d", r, i)
		}
	})
	return errors.Join(errs...)
}

// notPrintable is a rune no value of the file needs (paths, host names,
// user names, topics): control characters, invalid UTF-8 and the like.
// Refusing them up front keeps every accepted config renderable: YAML
// itself refuses some of them, so Marshal could not write them back.
func notPrintable(r rune) bool {
	return r != ' ' && !unicode.IsPrint(r)
}

// walkStrings calls check with the file path ("kafka.sasl.username",
// "authorization.topics[0].name") and value of every string in v.
func walkStrings(v reflect.Value, path string, check func(field, value string)) {
	switch v.Kind() {
	case reflect.String:
		check(path, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if path != "" {
				name = path + "." + name
			}
			walkStrings(v.Field(i), name, check)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), check)
		}
	}
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
