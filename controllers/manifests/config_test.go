package manifests

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// parsedConfig renders rp's config and parses it back with the proxy's own
// parser, failing the test if either step fails.
func parsedConfig(t *testing.T, rp *v1alpha1.RestProxy) config.Config {
	t.Helper()
	data, err := RenderConfig(input(rp))
	if err != nil {
		t.Fatalf("RenderConfig: %v", err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		t.Fatalf("config.Parse of the rendered config: %v\n%s", err, data)
	}
	return cfg
}

// TestConfigMapping sets one spec field per case and checks that the
// rendered file parses back to the expected proxy config: everything else
// must be exactly config.Default() plus the per-RestProxy values.
func TestConfigMapping(t *testing.T) {
	// base is what the minimal RestProxy renders to.
	base := func() config.Config {
		c := config.Default()
		c.Kafka.BootstrapServers = []string{"kafka-0.kafka:9092", "kafka-1.kafka:9092"}
		c.Kafka.ClientID = "tenant-a.orders"
		return c
	}
	tests := []struct {
		name   string
		mutate func(*v1alpha1.RestProxySpec)
		want   func(*config.Config)
	}{
		{"minimal keeps the defaults", func(*v1alpha1.RestProxySpec) {}, func(*config.Config) {}},
		{"ports", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{Port: 9000, ManagementPort: 9001}
		}, func(c *config.Config) { c.Listen = ":9000"; c.ManagementListen = ":9001" }},
		{"ports left zero take the defaults", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{}
		}, func(c *config.Config) {}},
		{"clientId", func(s *v1alpha1.RestProxySpec) { s.Kafka.ClientID = "custom" },
			func(c *config.Config) { c.Kafka.ClientID = "custom" }},
		{"clusterId", func(s *v1alpha1.RestProxySpec) { s.Kafka.ClusterID = "prod-eu-1" },
			func(c *config.Config) { c.ClusterID = "prod-eu-1" }},
		{"kafka tls with system roots", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true}
		}, func(c *config.Config) { c.Kafka.TLS.Enabled = true }},
		{"kafka tls disabled", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: false}
		}, func(c *config.Config) {}},
		{"kafka tls CA", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true, CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca", Key: "bundle.pem"}}
		}, func(c *config.Config) {
			c.Kafka.TLS.Enabled = true
			c.Kafka.TLS.CAFile = "/etc/restproxy/kafka-tls/ca.crt"
		}},
		{"kafka mTLS", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true, CertSecretRef: &v1alpha1.SecretReference{Name: "client"}}
		}, func(c *config.Config) {
			c.Kafka.TLS.Enabled = true
			c.Kafka.TLS.CertFile = "/etc/restproxy/kafka-tls/tls.crt"
			c.Kafka.TLS.KeyFile = "/etc/restproxy/kafka-tls/tls.key"
		}},
		{"sasl", func(s *v1alpha1.RestProxySpec) {
			s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "PLAIN", Username: "u", PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "p", Key: "pw"}}
		}, func(c *config.Config) {
			c.Kafka.SASL = config.KafkaSASL{Mechanism: "PLAIN", Username: "u", PasswordFile: "/etc/restproxy/kafka-sasl/password"}
		}},
		{"producer, every field", func(s *v1alpha1.RestProxySpec) {
			s.Producer = full().Spec.Producer
		}, func(c *config.Config) {
			c.Producer.Acks = "leader"
			c.Producer.Compression = "zstd"
			c.Producer.LingerMs = 10
			c.Producer.BatchMaxRecords = 500
			c.Producer.BatchMaxBytes = 524288
			c.Producer.MaxMessageBytes = 262144
			c.Producer.MaxAttempts = 5
			c.Producer.DeliveryTimeoutMs = 60000
		}},
		{"producer, only lingerMs 0 overrides", func(s *v1alpha1.RestProxySpec) {
			s.Producer = &v1alpha1.ProducerSpec{LingerMs: ptrTo[int32](0)}
		}, func(c *config.Config) { c.Producer.LingerMs = 0 }},
		{"producer, recordIdHeader", func(s *v1alpha1.RestProxySpec) {
			s.Producer = &v1alpha1.ProducerSpec{RecordIDHeader: ptrTo(true)}
		}, func(c *config.Config) { c.Producer.RecordIDHeader = true }},
		{"http limits and durations", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{
				MaxRequestBytes: ptrTo[int64](1 << 20),
				MaxRecordBytes:  ptrTo[int32](4096),
				MaxStreams:      ptrTo[int32](7),
				MaxBatchEntries: ptrTo[int32](1000),
				StreamMaxAge:    &metav1.Duration{Duration: 90 * time.Minute},
				IdleTimeout:     &metav1.Duration{Duration: 1500 * time.Millisecond},

				MaxInFlightBytesPerStream: ptrTo[int64](1 << 20),
				MaxInFlightBytesTotal:     ptrTo[int64](16 << 20),
			}
		}, func(c *config.Config) {
			c.HTTP.MaxRequestBytes = 1 << 20
			c.HTTP.MaxRecordBytes = 4096
			c.HTTP.MaxInFlightBytesPerStream = 1 << 20
			c.HTTP.MaxInFlightBytesTotal = 16 << 20
			c.HTTP.MaxStreams = 7
			c.HTTP.MaxBatchEntries = 1000
			c.HTTP.StreamMaxAgeMs = 5400000
			c.HTTP.IdleTimeoutMs = 1500
		}},
		{"forwarded headers trusted", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{TrustForwardedHeaders: ptrTo(true)}
		}, func(c *config.Config) { c.HTTP.TrustForwardedHeaders = true }},
		{"forwarded headers explicitly not trusted", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{TrustForwardedHeaders: ptrTo(false)}
		}, func(c *config.Config) {}},
		{"https", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "cert"}}
		}, func(c *config.Config) {
			c.HTTP.TLS.CertFile = "/etc/restproxy/http-tls/tls.crt"
			c.HTTP.TLS.KeyFile = "/etc/restproxy/http-tls/tls.key"
		}},
		{"mtls authentication", func(s *v1alpha1.RestProxySpec) {
			s.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "cert", ClientCASecretRef: &v1alpha1.SecretKeySelector{Name: "cca", Key: "ca.crt"}}}
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "mtls"}
		}, func(c *config.Config) {
			c.HTTP.TLS = config.HTTPTLS{CertFile: "/etc/restproxy/http-tls/tls.crt", KeyFile: "/etc/restproxy/http-tls/tls.key", ClientCAFile: "/etc/restproxy/http-tls/client-ca.crt"}
			c.Authentication.Type = "mtls"
		}},
		{"basic authentication", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "basic", SecretRef: &v1alpha1.SecretKeySelector{Name: "creds", Key: "users.txt"}}
		}, func(c *config.Config) {
			c.Authentication.Type, c.Authentication.CredentialsFile = "basic", "/etc/restproxy/auth/users.txt"
		}},
		{"apiKey authentication", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "apiKey", SecretRef: &v1alpha1.SecretKeySelector{Name: "creds", Key: "keys"}}
		}, func(c *config.Config) {
			c.Authentication.Type, c.Authentication.CredentialsFile = "apiKey", "/etc/restproxy/auth/keys"
		}},
		{"authentication none", func(s *v1alpha1.RestProxySpec) {
			s.Authentication = &v1alpha1.AuthenticationSpec{Type: "none"}
		}, func(c *config.Config) {}},
		{"topics", func(s *v1alpha1.RestProxySpec) {
			s.Topics = &v1alpha1.TopicsSpec{Allow: []v1alpha1.TopicRule{{Name: "a"}, {Prefix: "b."}}}
		}, func(c *config.Config) {
			c.Authorization.Topics = []config.TopicRule{{Name: "a"}, {Prefix: "b."}}
		}},
		{"rate limit, global both", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{RecordsPerSecond: ptrTo[int64](100), BytesPerSecond: ptrTo[int64](2000)}
		}, func(c *config.Config) {
			c.RateLimit = config.RateLimit{Enabled: true, RecordsPerSecond: 100, BytesPerSecond: 2000}
		}},
		{"rate limit, records only: the other budgets are no limit", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{RecordsPerSecond: ptrTo[int64](100)}
		}, func(c *config.Config) {
			c.RateLimit = config.RateLimit{Enabled: true, RecordsPerSecond: 100}
		}},
		{"rate limit, bytes only", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{BytesPerSecond: ptrTo[int64](2000)}
		}, func(c *config.Config) {
			c.RateLimit = config.RateLimit{Enabled: true, BytesPerSecond: 2000}
		}},
		{"rate limit, per cluster only", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{PerClusterRecordsPerSecond: ptrTo[int64](10), PerClusterBytesPerSecond: ptrTo[int64](300)}
		}, func(c *config.Config) {
			c.RateLimit = config.RateLimit{Enabled: true, PerClusterRecordsPerSecond: 10, PerClusterBytesPerSecond: 300}
		}},
		{"rate limit, all four", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{RecordsPerSecond: ptrTo[int64](100), BytesPerSecond: ptrTo[int64](2000),
				PerClusterRecordsPerSecond: ptrTo[int64](10), PerClusterBytesPerSecond: ptrTo[int64](300)}
		}, func(c *config.Config) {
			c.RateLimit = config.RateLimit{Enabled: true, RecordsPerSecond: 100, BytesPerSecond: 2000, PerClusterRecordsPerSecond: 10, PerClusterBytesPerSecond: 300}
		}},
		{"rate limit, empty: off", func(s *v1alpha1.RestProxySpec) {
			s.RateLimit = &v1alpha1.RateLimitSpec{}
		}, func(c *config.Config) {}},
		{"logging", func(s *v1alpha1.RestProxySpec) {
			s.Logging = &v1alpha1.LoggingSpec{Level: "warn", Format: "text"}
		}, func(c *config.Config) { c.Logging.Level, c.Logging.Format = "warn", "text" }},
		{"observability: an endpoint turns tracing on, the ratios are decimals", func(s *v1alpha1.RestProxySpec) {
			s.Observability = &v1alpha1.ObservabilitySpec{
				Tracing:        &v1alpha1.TracingSpec{Endpoint: "http://c:4317", Protocol: "grpc", SamplingRatio: "0.25"},
				AccessLog:      &v1alpha1.AccessLogSpec{Enabled: ptrTo(false), SampleSuccessfulSingleRatio: "0.5"},
				PrincipalLimit: ptrTo(int32(7)),
			}
		}, func(c *config.Config) {
			c.Tracing.Enabled, c.Tracing.Endpoint, c.Tracing.Protocol, c.Tracing.SamplingRatio = true, "http://c:4317", "grpc", 0.25
			c.Logging.Access = config.AccessLog{Enabled: false, SampleSuccessfulSingleRatio: 0.5}
			c.Metrics.PrincipalLimit = 7
		}},
		{"observability: only the endpoint keeps the proxy's tracing defaults", func(s *v1alpha1.RestProxySpec) {
			s.Observability = &v1alpha1.ObservabilitySpec{Tracing: &v1alpha1.TracingSpec{Endpoint: "https://c"}}
		}, func(c *config.Config) { c.Tracing.Enabled, c.Tracing.Endpoint = true, "https://c" }},
		{"fields that are not config leave it alone", func(s *v1alpha1.RestProxySpec) {
			f := full().Spec
			s.Replicas, s.Image, s.Resources, s.Autoscaling = f.Replicas, f.Image, f.Resources, f.Autoscaling
			s.PodDisruptionBudget, s.NetworkPolicy, s.Metrics, s.Template = f.PodDisruptionBudget, f.NetworkPolicy, f.Metrics, f.Template
		}, func(c *config.Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			tt.mutate(&rp.Spec)
			want := base()
			tt.want(&want)
			got := parsedConfig(t, rp)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parsed config differs\n got: %+v\nwant: %+v", got, want)
			}
			if direct := ProxyConfig(input(rp)); !reflect.DeepEqual(direct, want) {
				t.Errorf("ProxyConfig differs from what the file parses to\n got: %+v\nwant: %+v", direct, want)
			}
		})
	}
}

// TestConfigFullParses: the full spec, every feature at once, is a config the
// proxy accepts.
func TestConfigFullParses(t *testing.T) {
	cfg := parsedConfig(t, full())
	if cfg.Authentication.Type != "basic" || cfg.HTTP.TLS.ClientCAFile == "" || !cfg.Kafka.TLS.Enabled || cfg.Kafka.SASL.Mechanism == "" {
		t.Errorf("full spec lost a feature: %+v", cfg)
	}
}

func TestConfigRejectsDurationsBelowAMillisecond(t *testing.T) {
	tests := []struct {
		name  string
		http  v1alpha1.HTTPSpec
		field string
	}{
		{"streamMaxAge zero", v1alpha1.HTTPSpec{StreamMaxAge: &metav1.Duration{}}, "spec.http.streamMaxAge"},
		{"idleTimeout sub-millisecond", v1alpha1.HTTPSpec{IdleTimeout: &metav1.Duration{Duration: 500 * time.Microsecond}}, "spec.http.idleTimeout"},
		{"idleTimeout negative", v1alpha1.HTTPSpec{IdleTimeout: &metav1.Duration{Duration: -time.Second}}, "spec.http.idleTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := minimal()
			rp.Spec.HTTP = &tt.http
			_, err := RenderConfig(input(rp))
			if err == nil || !strings.Contains(err.Error(), tt.field) || !strings.Contains(err.Error(), "tenant-a/orders") {
				t.Fatalf("RenderConfig error = %v; want one naming %s and the RestProxy", err, tt.field)
			}
			if _, err := Build(input(rp)); err == nil {
				t.Errorf("Build accepted a spec whose config cannot render")
			}
		})
	}
}

// TestConfigInvalidForProxyIsAnError: a spec the CRD would have refused
// (here a SASL mechanism without a password) must not render a file the proxy
// refuses at start-up; the error names the config field.
func TestConfigInvalidForProxyIsAnError(t *testing.T) {
	rp := minimal()
	rp.Spec.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "PLAIN", Username: "u"}
	_, err := RenderConfig(input(rp))
	if err == nil || !strings.Contains(err.Error(), "kafka.sasl.passwordFile") {
		t.Fatalf("RenderConfig error = %v; want one naming kafka.sasl.passwordFile", err)
	}
}

// TestConfigRendersOnlyWhatTheSpecSets: the minimal RestProxy's file holds
// only the per-RestProxy keys, so the proxy's defaults (and any key a newer
// operator knows) apply in the proxy, and an operator upgrade changes no
// tenant's file. Every fixture's file parses with the proxy's own parser to
// exactly what ProxyConfig says the proxy runs with.
func TestConfigRendersOnlyWhatTheSpecSets(t *testing.T) {
	data, err := RenderConfig(input(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	want := "kafka:\n  bootstrapServers:\n  - kafka-0.kafka:9092\n  - kafka-1.kafka:9092\n  clientId: tenant-a.orders\nlisten: :8082\nmanagementListen: :8081\n"
	if string(data) != want {
		t.Errorf("minimal config file:\n%s\nwant only the listeners, brokers and client ID:\n%s", data, want)
	}
	for name, rp := range map[string]*v1alpha1.RestProxy{"minimal": minimal(), "full": full()} {
		if got := parsedConfig(t, rp); !reflect.DeepEqual(got, ProxyConfig(input(rp))) {
			t.Errorf("%s: the proxy parses the file to %+v, ProxyConfig says %+v", name, got, ProxyConfig(input(rp)))
		}
	}
}
