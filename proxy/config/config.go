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
	"fmt"
	"os"
	"strings"

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
	Tracing        Tracing        `json:"tracing"`
	Metrics        Metrics        `json:"metrics"`
	SchemaRegistry SchemaRegistry `json:"schemaRegistry"`
}

// Kafka says how to reach and authenticate to the brokers.
type Kafka struct {
	BootstrapServers []string  `json:"bootstrapServers"`
	ClientID         string    `json:"clientId"`
	TLS              KafkaTLS  `json:"tls"`
	SASL             KafkaSASL `json:"sasl"`
	KafkaIdentity
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
	// RecordIDHeader adds a restproxy-record-id header, unique per record,
	// so consumers can drop the copies a retry stored twice
	// (docs/configuration.md).
	RecordIDHeader bool `json:"recordIdHeader"`
}

// HTTP bounds what one client and the whole process may ask of the server.
// Zero turns the optional limits off. The embedded structs' keys are keys
// of http itself ("http.maxInFlightTotal"), as encoding/json inlines them.
type HTTP struct {
	MaxRequestBytes int64 `json:"maxRequestBytes"`
	MaxRecordBytes  int   `json:"maxRecordBytes"`
	InFlight
	MaxStreams int `json:"maxStreams"`
	Batch
	StreamMaxAgeMs      int64   `json:"streamMaxAgeMs"`
	StreamGracePeriodMs int64   `json:"streamGracePeriodMs"`
	IdleTimeoutMs       int64   `json:"idleTimeoutMs"`
	ShutdownDrainMs     int64   `json:"shutdownDrainMs"`
	TLS                 HTTPTLS `json:"tls"`
	// TrustForwardedHeaders builds the discovery endpoints' absolute URLs
	// from X-Forwarded-Proto and X-Forwarded-Host when a request has them:
	// only for a proxy that every request reaches through a load balancer
	// or ingress which sets both, since clients can send them too.
	TrustForwardedHeaders bool `json:"trustForwardedHeaders"`
}

// InFlight are the back-pressure bounds: records read and not yet
// reported, per stream and per process, by count and by bytes of the
// records' JSON text.
type InFlight struct {
	MaxInFlightPerStream      int   `json:"maxInFlightPerStream"`
	MaxInFlightTotal          int   `json:"maxInFlightTotal"`
	MaxInFlightBytesPerStream int64 `json:"maxInFlightBytesPerStream"`
	MaxInFlightBytesTotal     int64 `json:"maxInFlightBytesTotal"`
}

// Batch configures records:batch requests.
type Batch struct {
	// MaxBatchEntries bounds the entries of one request.
	MaxBatchEntries int `json:"maxBatchEntries"`
	// CompressResponses gzips their answers for clients that accept it.
	CompressResponses bool `json:"compressResponses"`
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
	AuthJWT    = "jwt"
)

// Authentication of produce clients.
type Authentication struct {
	Type            string `json:"type"`
	CredentialsFile string `json:"credentialsFile"`
	JWT             JWT    `json:"jwt"`
}

// Authorization restricts the topics clients may produce to (access.go).
type Authorization struct {
	Topics []TopicRule  `json:"topics"`
	Rules  []AccessRule `json:"rules"`
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
	Level  string    `json:"level"`
	Format string    `json:"format"`
	Access AccessLog `json:"access"`
}

// The bounds of http.maxBatchEntries: its default, and the most a batch may
// be configured to hold.
const (
	DefaultMaxBatchEntries = 10
	MaxBatchEntriesLimit   = 1000
)

// Default returns the configuration an empty file means.
func Default() Config {
	return Config{
		Listen:           ":8082",
		ManagementListen: ":8081",
		Kafka: Kafka{
			BootstrapServers: []string{"localhost:9092"},
			ClientID:         "restproxy",
			KafkaIdentity:    defaultKafkaIdentity,
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
			InFlight: InFlight{
				MaxInFlightPerStream: 1024,
				MaxInFlightTotal:     65536,
				// A stream of 1 MiB records holds 8 of them, the process
				// 64 MiB of records whatever the count bounds allow.
				MaxInFlightBytesPerStream: 8 << 20,
				MaxInFlightBytesTotal:     64 << 20,
			},
			Batch:               Batch{MaxBatchEntries: DefaultMaxBatchEntries},
			StreamMaxAgeMs:      86400000,
			StreamGracePeriodMs: 500,
			IdleTimeoutMs:       30000,
			ShutdownDrainMs:     25000,
		},
		Authentication: Authentication{Type: AuthNone, JWT: defaultJWT},
		Authorization:  Authorization{Topics: []TopicRule{}, Rules: []AccessRule{}},
		RateLimit: RateLimit{
			RecordsPerSecond:           10000,
			BytesPerSecond:             10000000,
			PerClusterRecordsPerSecond: 10000,
			PerClusterBytesPerSecond:   10000000,
		},
		Logging:        Logging{Level: "info", Format: "json", Access: defaultAccessLog()},
		Tracing:        defaultTracing(),
		Metrics:        Metrics{PrincipalLimit: DefaultPrincipalLimit},
		SchemaRegistry: defaultSchemaRegistry(),
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

// cleanYAMLError strips the decoder's plumbing from an error so the message
// reads `unknown field "kafka.bootstrap"` rather than a chain of wrappers.
func cleanYAMLError(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	return msg
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
