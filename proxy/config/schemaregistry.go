package config

import "net/url"

// SchemaRegistry is where AVRO, JSONSCHEMA and PROTOBUF records find their
// schemas (README "Schemas"). With no URLs, records that need a schema get
// 42206. Secrets are files, re-read whenever the registry is asked, so a
// rotated Secret takes effect without a restart.
type SchemaRegistry struct {
	// URLs are tried in order until one answers.
	URLs      []string            `json:"urls"`
	BasicAuth SchemaRegistryBasic `json:"basicAuth"`
	// BearerTokenFile holds a token sent as "Authorization: Bearer".
	BearerTokenFile string            `json:"bearerTokenFile"`
	TLS             SchemaRegistryTLS `json:"tls"`
	// TimeoutMs bounds one schema lookup, retries included: a record that
	// needs a schema the cache does not hold waits at most this long.
	TimeoutMs int `json:"timeoutMs"`
	// LatestCacheMs is how long a subject's latest version is kept.
	// Schemas by id and by subject and version never change and are kept
	// for the process's life.
	LatestCacheMs int `json:"latestCacheMs"`
	// RegisterSchemas lets a record's raw "schema" be registered under its
	// subject when absent; when false such a record gets 42207.
	RegisterSchemas bool `json:"registerSchemas"`
}

// SchemaRegistryBasic is HTTP basic authentication to the registry.
type SchemaRegistryBasic struct {
	UsernameFile string `json:"usernameFile"`
	PasswordFile string `json:"passwordFile"`
}

// SchemaRegistryTLS verifies the registry with CAFile (else the system's
// roots) and presents a client certificate when CertFile is set.
type SchemaRegistryTLS struct {
	CAFile   string `json:"caFile"`
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// Defaults of schemaRegistry.
const (
	DefaultSchemaRegistryTimeoutMs = 5000
	DefaultLatestCacheMs           = 30000
)

func defaultSchemaRegistry() SchemaRegistry {
	return SchemaRegistry{TimeoutMs: DefaultSchemaRegistryTimeoutMs, LatestCacheMs: DefaultLatestCacheMs, RegisterSchemas: true}
}

// Enabled reports whether a registry is configured.
func (s SchemaRegistry) Enabled() bool { return len(s.URLs) > 0 }

func (v *validator) schemaRegistry(s SchemaRegistry) {
	for i, raw := range s.URLs {
		u, err := url.Parse(raw)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.bad("schemaRegistry.urls", "entry %d must be an http:// or https:// URL with a host; got %q", i, raw)
		case u.User != nil:
			// Not quoted: it holds a password.
			v.bad("schemaRegistry.urls", "entry %d holds credentials: give them in schemaRegistry.basicAuth's files instead", i)
		}
	}
	v.positive("schemaRegistry.timeoutMs", int64(s.TimeoutMs))
	v.notNegative("schemaRegistry.latestCacheMs", int64(s.LatestCacheMs))
	b := s.BasicAuth
	if (b.UsernameFile == "") != (b.PasswordFile == "") {
		v.bad("schemaRegistry.basicAuth", "needs both usernameFile and passwordFile")
	}
	if b.PasswordFile != "" && s.BearerTokenFile != "" {
		v.bad("schemaRegistry.bearerTokenFile", "cannot be used with schemaRegistry.basicAuth")
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		v.bad("schemaRegistry.tls", "needs both certFile and keyFile")
	}
}
