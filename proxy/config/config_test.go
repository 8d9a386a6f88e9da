package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; empty means the document is valid
		check   func(t *testing.T, c Config)
	}{
		{name: "empty file is valid and means the defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.Listen != ":8082" || c.ManagementListen != ":8081" || c.Producer.Acks != "all" {
				t.Errorf("defaults not applied: %+v", c)
			}
		}},
		{name: "keys given override defaults, others keep them", yaml: "producer:\n  lingerMs: 7\n", check: func(t *testing.T, c Config) {
			if c.Producer.LingerMs != 7 || c.Producer.BatchMaxRecords != 1000 {
				t.Errorf("got lingerMs=%d batchMaxRecords=%d, want 7 and 1000", c.Producer.LingerMs, c.Producer.BatchMaxRecords)
			}
		}},
		{name: "unknown top-level key is named", yaml: "bogus: 1\n", wantErr: `unknown key "bogus"`},
		{name: "unknown nested key is named by its path", yaml: "kafka:\n  bootstrap: [a:1]\n", wantErr: `unknown key "kafka.bootstrap"`},
		{name: "unknown key in a list item is named by its index", yaml: "authorization:\n  topics:\n  - nme: x\n", wantErr: `unknown key "authorization.topics[0].nme"`},
		{name: "wrong type names the field", yaml: "producer:\n  lingerMs: soon\n", wantErr: "producer.lingerMs"},
		{name: "duplicate key is refused", yaml: "listen: a\nlisten: b\n", wantErr: `"listen" already set`},
		{name: "bad enum names field and value", yaml: "producer:\n  acks: some\n", wantErr: `producer.acks: must be one of "all", "leader", "none"; got "some"`},
		{name: "bad compression", yaml: "producer:\n  compression: brotli\n", wantErr: "producer.compression"},
		{name: "bootstrap server without port", yaml: "kafka:\n  bootstrapServers: [broker]\n", wantErr: `kafka.bootstrapServers[0]: must be host:port; got "broker"`},
		{name: "no bootstrap servers", yaml: "kafka:\n  bootstrapServers: []\n", wantErr: "kafka.bootstrapServers: must list at least one"},
		{name: "SASL needs a username and password file", yaml: "kafka:\n  sasl:\n    mechanism: PLAIN\n", wantErr: "kafka.sasl.username"},
		{name: "unknown SASL mechanism", yaml: "kafka:\n  sasl:\n    mechanism: GSSAPI\n", wantErr: "kafka.sasl.mechanism"},
		{name: "TLS files without enabled", yaml: "kafka:\n  tls:\n    caFile: /ca.pem\n", wantErr: "kafka.tls.enabled"},
		{name: "negative in-flight bound", yaml: "http:\n  maxInFlightPerStream: -1\n", wantErr: "http.maxInFlightPerStream: must be greater than 0"},
		{name: "maxBatchEntries defaults to 10", yaml: "", check: func(t *testing.T, c Config) {
			if c.HTTP.MaxBatchEntries != 10 || c.HTTP.CompressResponses {
				t.Errorf("maxBatchEntries = %d, compressResponses = %v; want 10, false", c.HTTP.MaxBatchEntries, c.HTTP.CompressResponses)
			}
		}},
		{name: "maxBatchEntries of 1000 is accepted", yaml: "http:\n  maxBatchEntries: 1000\n"},
		{name: "maxBatchEntries above 1000", yaml: "http:\n  maxBatchEntries: 1001\n", wantErr: "http.maxBatchEntries: must be between 1 and 1000; got 1001"},
		{name: "a key of an inlined group is named by its path", yaml: "http:\n  maxBatchEntry: 5\n", wantErr: `unknown key "http.maxBatchEntry"`},
		{name: "maxBatchEntries of 0", yaml: "http:\n  maxBatchEntries: 0\n", wantErr: "http.maxBatchEntries: must be between 1 and 1000; got 0"},
		{name: "basic auth needs credentials", yaml: "authentication:\n  type: basic\n", wantErr: "authentication.credentialsFile"},
		{name: "mtls needs a client CA", yaml: "authentication:\n  type: mtls\n", wantErr: "http.tls.clientCAFile"},
		{name: "topic rule with both name and prefix", yaml: "authorization:\n  topics:\n  - {name: a, prefix: b}\n", wantErr: "authorization.topics[0]: must set exactly one"},
		{name: "negative rate budget", yaml: "rateLimit:\n  enabled: true\n  bytesPerSecond: -1\n", wantErr: "rateLimit.bytesPerSecond: must not be negative"},
		{name: "a zero rate budget is no limit on that dimension", yaml: "rateLimit:\n  enabled: true\n  bytesPerSecond: 0\n  perClusterBytesPerSecond: 0\n", check: func(t *testing.T, c Config) {
			if r := c.RateLimit; r.BytesPerSecond != 0 || r.RecordsPerSecond != 10000 {
				t.Errorf("rateLimit = %+v, want bytes off and the records default kept", r)
			}
		}},
		{name: "enabled rate limit with every budget 0", yaml: "rateLimit: {enabled: true, recordsPerSecond: 0, bytesPerSecond: 0, perClusterRecordsPerSecond: 0, perClusterBytesPerSecond: 0}\n", wantErr: "rateLimit.enabled: every budget is 0"},
		{name: "control character named by field", yaml: "kafka:\n  sasl: {mechanism: PLAIN, username: \"a\\u0080b\", passwordFile: /p}\n", wantErr: "kafka.sasl.username: must hold printable characters only; got U+0080 at byte 1"},
		{name: "control character in a list item", yaml: "authorization:\n  topics: [{name: \"x\\ty\"}]\n", wantErr: "authorization.topics[0].name: must hold printable"},
		{name: "bad log level", yaml: "logging:\n  level: loud\n", wantErr: "logging.level"},
		{name: "several problems are all reported", yaml: "logging:\n  level: loud\n  format: xml\n", wantErr: "logging.format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMarshalRoundTripsAndIsDeterministic(t *testing.T) {
	c := Default()
	c.Kafka.BootstrapServers = []string{"a:9092", "b:9092"}
	c.Authorization.Topics = []TopicRule{{Name: "orders"}, {Prefix: "audit."}}
	first, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		again, _ := c.Marshal()
		if !bytes.Equal(first, again) {
			t.Fatalf("Marshal is not deterministic:\n%s\n---\n%s", first, again)
		}
	}
	back, err := Parse(first)
	if err != nil {
		t.Fatalf("rendered config does not parse back: %v\n%s", err, first)
	}
	if again, _ := back.Marshal(); !bytes.Equal(first, again) {
		t.Fatalf("round trip changed the config:\n%s\n---\n%s", first, again)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(path, []byte("nope: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("Load error = %v, want the path and the key named", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

// A registry URL holding credentials is refused without being quoted.
func TestSchemaRegistry_URLWithCredentials(t *testing.T) {
	_, err := Parse([]byte("schemaRegistry: {urls: [\"https://user:s3cret@sr:8081\"]}\n"))
	if err == nil || !strings.Contains(err.Error(), "schemaRegistry.urls") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v, want schemaRegistry.urls refused without the password", err)
	}
}
