package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validate checks every field and reports all problems at once, each naming
// the field's path in the file.
func (c Config) Validate() error {
	v := &validator{}
	if c.Listen == "" {
		v.bad("listen", "must not be empty")
	}
	if c.ManagementListen == "" {
		v.bad("managementListen", "must not be empty")
	}
	v.kafka(c.Kafka)
	v.kafkaIdentity(c.Kafka, c.Authentication.Type)
	v.producer(c.Producer)
	v.http(c.HTTP)
	v.access(c.Authentication, c.Authorization, c.HTTP.TLS)
	v.rateLimit(c.RateLimit)
	v.logging(c.Logging)
	v.observability(c)
	v.schemaRegistry(c.SchemaRegistry)
	v.strings(c)
	return errors.Join(v.errs...)
}

// validator collects the problems Validate finds, in the order it finds them.
type validator struct {
	errs []error
}

func (v *validator) bad(field, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (v *validator) oneOf(field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.bad(field, "must be one of %s; got %q", strings.Join(quoteAll(allowed), ", "), value)
}

func (v *validator) positive(field string, n int64) {
	if n <= 0 {
		v.bad(field, "must be greater than 0; got %d", n)
	}
}

func (v *validator) notNegative(field string, n int64) {
	if n < 0 {
		v.bad(field, "must not be negative; got %d", n)
	}
}

func (v *validator) kafka(k Kafka) {
	if len(k.BootstrapServers) == 0 {
		v.bad("kafka.bootstrapServers", "must list at least one host:port")
	}
	for i, s := range k.BootstrapServers {
		if host, port, ok := strings.Cut(s, ":"); !ok || host == "" || port == "" {
			v.bad(fmt.Sprintf("kafka.bootstrapServers[%d]", i), "must be host:port; got %q", s)
		}
	}
	if k.ClientID == "" {
		v.bad("kafka.clientId", "must not be empty")
	}
	if !k.TLS.Enabled && (k.TLS.CAFile != "" || k.TLS.CertFile != "" || k.TLS.KeyFile != "") {
		v.bad("kafka.tls.enabled", "must be true when caFile, certFile or keyFile is set")
	}
	if (k.TLS.CertFile == "") != (k.TLS.KeyFile == "") {
		v.bad("kafka.tls.certFile", "certFile and keyFile must be set together")
	}
	v.oneOf("kafka.sasl.mechanism", k.SASL.Mechanism, SASLNone, SASLPlain, SASLScramSHA256, SASLScramSHA512)
	if k.SASL.Mechanism != SASLNone {
		if k.SASL.Username == "" {
			v.bad("kafka.sasl.username", "must be set when kafka.sasl.mechanism is %s", k.SASL.Mechanism)
		}
		if k.SASL.PasswordFile == "" {
			v.bad("kafka.sasl.passwordFile", "must be set when kafka.sasl.mechanism is %s", k.SASL.Mechanism)
		}
	}
}

func (v *validator) producer(p Producer) {
	v.oneOf("producer.acks", p.Acks, "all", "leader", "none")
	v.oneOf("producer.compression", p.Compression, "none", "gzip", "snappy", "lz4", "zstd")
	v.notNegative("producer.lingerMs", int64(p.LingerMs))
	v.positive("producer.batchMaxRecords", int64(p.BatchMaxRecords))
	v.positive("producer.batchMaxBytes", int64(p.BatchMaxBytes))
	v.positive("producer.maxMessageBytes", int64(p.MaxMessageBytes))
	v.positive("producer.maxAttempts", int64(p.MaxAttempts))
	v.positive("producer.deliveryTimeoutMs", int64(p.DeliveryTimeoutMs))
	v.positive("producer.metadataWaitMs", int64(p.MetadataWaitMs))
}

func (v *validator) http(h HTTP) {
	v.notNegative("http.maxRequestBytes", h.MaxRequestBytes)
	v.notNegative("http.maxRecordBytes", int64(h.MaxRecordBytes))
	v.positive("http.maxInFlightPerStream", int64(h.MaxInFlightPerStream))
	v.positive("http.maxInFlightTotal", int64(h.MaxInFlightTotal))
	v.positive("http.maxInFlightBytesPerStream", h.MaxInFlightBytesPerStream)
	v.positive("http.maxInFlightBytesTotal", h.MaxInFlightBytesTotal)
	v.notNegative("http.maxStreams", int64(h.MaxStreams))
	if h.MaxBatchEntries < 1 || h.MaxBatchEntries > MaxBatchEntriesLimit {
		v.bad("http.maxBatchEntries", "must be between 1 and %d; got %d", MaxBatchEntriesLimit, h.MaxBatchEntries)
	}
	v.positive("http.streamMaxAgeMs", h.StreamMaxAgeMs)
	v.notNegative("http.streamGracePeriodMs", h.StreamGracePeriodMs)
	v.positive("http.idleTimeoutMs", h.IdleTimeoutMs)
	v.notNegative("http.shutdownDrainMs", h.ShutdownDrainMs)
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		v.bad("http.tls.certFile", "certFile and keyFile must be set together")
	}
	if h.TLS.ClientCAFile != "" && h.TLS.CertFile == "" {
		v.bad("http.tls.clientCAFile", "needs http.tls.certFile and keyFile: client certificates require HTTPS")
	}
}

// access checks authentication and authorization; mtls also needs the
// server's TLS to ask for client certificates.
func (v *validator) access(a Authentication, z Authorization, tls HTTPTLS) {
	v.oneOf("authentication.type", a.Type, AuthNone, AuthBasic, AuthAPIKey, AuthMTLS, AuthJWT)
	switch a.Type {
	case AuthBasic, AuthAPIKey:
		if a.CredentialsFile == "" {
			v.bad("authentication.credentialsFile", "must be set when authentication.type is %s", a.Type)
		}
	case AuthMTLS:
		if tls.ClientCAFile == "" {
			v.bad("http.tls.clientCAFile", "must be set when authentication.type is mtls")
		}
	case AuthJWT:
		v.jwt(a.JWT)
	}
	for i, t := range z.Topics {
		if (t.Name == "") == (t.Prefix == "") {
			v.bad(fmt.Sprintf("authorization.topics[%d]", i), "must set exactly one of name or prefix")
		}
	}
	v.rules(a.Type, z.Rules)
}

func (v *validator) rateLimit(r RateLimit) {
	if !r.Enabled {
		return
	}
	v.notNegative("rateLimit.recordsPerSecond", r.RecordsPerSecond)
	v.notNegative("rateLimit.bytesPerSecond", r.BytesPerSecond)
	v.notNegative("rateLimit.perClusterRecordsPerSecond", r.PerClusterRecordsPerSecond)
	v.notNegative("rateLimit.perClusterBytesPerSecond", r.PerClusterBytesPerSecond)
	if r.RecordsPerSecond == 0 && r.BytesPerSecond == 0 && r.PerClusterRecordsPerSecond == 0 && r.PerClusterBytesPerSecond == 0 {
		v.bad("rateLimit.enabled", "every budget is 0 (no limit): set one, or disable rate limits")
	}
}

func (v *validator) logging(l Logging) {
	v.oneOf("logging.level", l.Level, "debug", "info", "warn", "error")
	v.oneOf("logging.format", l.Format, "json", "text")
}

// strings checks that every string of c holds printable characters only.
func (v *validator) strings(c Config) {
	walkStrings(reflect.ValueOf(c), "", func(field, s string) {
		if i := strings.IndexFunc(s, notPrintable); i >= 0 {
			r, _ := utf8.DecodeRuneInString(s[i:])
			v.bad(field, "must hold printable characters only; got %U at byte %d", r, i)
		}
	})
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
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous && name == "":
				name = path // its keys are the enclosing struct's
			case path != "":
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
