package proxy

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devregistry"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
	"github.com/restproxy-dev/restproxy-operator/proxy/schema"
)

// benchOrderSchema has the ten fields of hack/bench's stream-8-avro mode.
const benchOrderSchema = `{"type":"record","name":"Order","namespace":"bench","fields":[` +
	`{"name":"id","type":"string"},{"name":"user","type":"string"},{"name":"qty","type":"int"},` +
	`{"name":"ts","type":"long"},{"name":"price","type":"double"},{"name":"rate","type":"double"},` +
	`{"name":"gift","type":"boolean"},{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID","SENT"]}},` +
	`{"name":"note","type":["null","string"],"default":null},{"name":"memo","type":"string"}]}`

// BenchmarkParseEncodeSchema is one record's decode path, parse and encode,
// as a stream's intake runs it: for a ~200-byte record with a BINARY value
// (hack/bench's stream modes), and for a ~220-byte one whose value names an
// Avro schema of ten fields by id (its stream-8-avro mode), the schema
// cached after the first record. The difference is what the schema stage
// adds to a record's CPU; profile it with -cpuprofile.
func BenchmarkParseEncodeSchema(b *testing.B) {
	registry, err := devregistry.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = registry.Close() })
	id, _, err := registry.Fake().RegisterSchema("bench-value", sr.Schema{Schema: benchOrderSchema, Type: sr.TypeAvro})
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default().SchemaRegistry
	cfg.URLs = []string{registry.URL()}
	schemas, err := schema.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	encoder := schemas.For("bench")
	binary := `{"key":{"type":"STRING","data":"k0000042"},"value":{"type":"BINARY","data":"` + strings.Repeat("QUJD", 34) + `"}}`
	avro := `{"key":{"type":"STRING","data":"k0000042"},"value":{"schema_id":` + fmt.Sprint(id) + `,"data":{"id":"o0000042","user":"u42",` +
		`"qty":3,"ts":1764000000123,"price":19.99,"rate":0.125,"gift":false,"state":"PAID","note":{"string":"ring"},"memo":"mmmmmmmmmm"}}}`
	for _, bc := range []struct{ name, record string }{{"BINARY", binary}, {"AVRO", avro}} {
		b.Run(bc.name, func(b *testing.B) { benchmarkParseEncode(b, []byte(bc.record), encoder) })
	}
	if n := schemas.Requests(); n > 2 {
		b.Errorf("the registry was asked %d times, want at most 2 (the id, its version under the subject)", n)
	}
}

func benchmarkParseEncode(b *testing.B, raw []byte, encoder record.SchemaEncoder) {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var arena record.Arena
	for b.Loop() {
		rec, err := record.ParseIn(raw, &arena)
		if err != nil {
			b.Fatal(err)
		}
		if err := rec.EncodeIn(encoder, &arena); err != nil {
			b.Fatal(err)
		}
		if rec.Value.Used == nil && rec.Value.Type != record.TypeBinary {
			b.Fatalf("value encoded as %q without a schema", rec.Value.Type)
		}
	}
}
