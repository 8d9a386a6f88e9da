package proxy

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// schemaFixture is a proxy with a Schema Registry of its own: franz-go's
// srfake served over HTTP on loopback, as kfake serves Kafka.
type schemaFixture struct {
	t     *testing.T
	f     schemaFormat
	reg   *srfake.Registry
	ts    *testServer
	topic string
}

func newSchemaFixture(t *testing.T, f schemaFormat, topic string, mutate func(*config.Config)) *schemaFixture {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	ts := startServer(t, func(c *config.Config) {
		c.SchemaRegistry.URLs = []string{reg.URL()}
		if mutate != nil {
			mutate(c)
		}
	})
	return &schemaFixture{t: t, f: f, reg: reg, ts: ts, topic: topic}
}

// register registers s under subject in the registry, as a client would.
func (x *schemaFixture) register(subject string, s testSchema) (id, version int) {
	x.t.Helper()
	id, version, err := x.reg.RegisterSchema(subject, sr.Schema{Schema: s.text, Type: x.f.srType})
	if err != nil {
		x.t.Fatalf("register %s under %s: %v", x.f.typ, subject, err)
	}
	return id, version
}

// produce posts one record of the given key and value data objects (""
// leaves the field out) and returns its report.
func (x *schemaFixture) produce(key, value string) report {
	x.t.Helper()
	var fields []string
	if key != "" {
		fields = append(fields, `"key":`+key)
	}
	if value != "" {
		fields = append(fields, `"value":`+value)
	}
	reports := postRecords(x.t, x.ts.url("c", x.topic), "{"+strings.Join(fields, ",")+"}")
	if len(reports) != 1 {
		x.t.Fatalf("%d reports, want 1", len(reports))
	}
	return reports[0]
}

// checkStored reads back what Kafka stored for one key or value and
// decodes it independently: the wire format's header through sr's
// ConfluentHeader, the rest through the format's own decoder. s nil
// means null was stored.
func (x *schemaFixture) checkStored(what string, stored []byte, got *dataReport, s *testSchema, data string) {
	x.t.Helper()
	if s == nil || data == "null" {
		if stored != nil {
			x.t.Errorf("%s: stored %x, want null", what, stored)
		}
		return
	}
	var h sr.ConfluentHeader
	id, payload, err := h.DecodeID(stored)
	if err != nil {
		x.t.Fatalf("%s: wire format: %v (%x)", what, err, stored)
	}
	if got == nil || id != got.SchemaID {
		x.t.Errorf("%s: stored with schema id %d, report says %+v", what, id, got)
	}
	if got != nil && got.Size != len(stored) {
		x.t.Errorf("%s: report size %d, stored %d bytes", what, got.Size, len(stored))
	}
	x.f.checkDecoded(x.t, s.text, payload, data)
}

// dataObject is a data object's JSON from name, value pairs; values are
// JSON text.
func dataObject(pairs ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", pairs[i], pairs[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

func quoted(s string) string { return strconv.Quote(s) }
