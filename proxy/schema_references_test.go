package proxy

import (
	"context"
	"fmt"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

// referencing is a schema that references another registered under a
// subject of its own, for one format.
type referencing struct {
	f                  schemaFormat
	refName, refSchema string
	schema, data       string
	// decodeAs is the schema text the independent decoder reads the
	// stored bytes with: the same schema with the reference inlined.
	decodeAs string
}

var referencingCases = []referencing{
	{
		f:       schemaFormats[0],
		refName: "shop.Money", refSchema: `{"type":"record","name":"Money","namespace":"shop","fields":[{"name":"cents","type":"long"}]}`,
		schema:   `{"type":"record","name":"Invoice","namespace":"shop","fields":[{"name":"total","type":"shop.Money"},{"name":"tax","type":"shop.Money"}]}`,
		data:     `{"total":{"cents":500},"tax":{"cents":95}}`,
		decodeAs: `{"type":"record","name":"Invoice","namespace":"shop","fields":[{"name":"total","type":{"type":"record","name":"Money","fields":[{"name":"cents","type":"long"}]}},{"name":"tax","type":"Money"}]}`,
	},
	{
		f:       schemaFormats[1],
		refName: "money.json", refSchema: `{"type":"object","properties":{"cents":{"type":"integer"}},"required":["cents"]}`,
		schema: `{"type":"object","properties":{"total":{"$ref":"money.json"}},"required":["total"]}`,
		data:   `{"total":{"cents":500}}`,
	},
	{
		f:       schemaFormats[2],
		refName: "money.proto", refSchema: `syntax = "proto3"; package shop; message Money { int64 cents = 1; }`,
		schema: `syntax = "proto3"; package shop; import "money.proto"; message Invoice { Money total = 1; Money tax = 2; }`,
		data:   `{"total":{"cents":"500"},"tax":{"cents":"95"}}`,
	},
}

// A schema whose references are registered under other subjects encodes
// once the proxy has fetched them, for each format.
func TestProduceSchemas_References(t *testing.T) {
	t.Parallel()
	for _, c := range referencingCases {
		t.Run(c.f.typ, func(t *testing.T) {
			t.Parallel()
			x := newSchemaFixture(t, c.f, "schemas", nil)
			x.register("money", testSchema{text: c.refSchema})
			id, _, err := x.reg.RegisterSchema("invoice", sr.Schema{Schema: c.schema, Type: c.f.srType,
				References: []sr.SchemaReference{{Name: c.refName, Subject: "money", Version: 1}}})
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			r := x.produce("", dataObject("schema_id", fmt.Sprint(id), "subject", `"invoice"`, "data", c.data))
			if r.ErrorCode != 200 {
				t.Fatalf("report %s, want 200", r)
			}
			stored := readBack(t, "schemas", r.PartitionID, r.Offset).Value
			var h sr.ConfluentHeader
			if got, _, err := h.DecodeID(stored); err != nil || got != id {
				t.Fatalf("stored with schema %d (%v), want %d", got, err, id)
			}
			payload := stored[5:]
			switch c.f.typ {
			case "AVRO":
				c.f.checkDecoded(t, c.decodeAs, payload, c.data)
			case "JSONSCHEMA":
				c.f.checkDecoded(t, "", payload, c.data)
			case "PROTOBUF":
				checkProtobufWithImport(t, c, payload)
			}
		})
	}
}

// checkProtobufWithImport decodes with dynamicpb a message whose schema
// imports another file.
func checkProtobufWithImport(t *testing.T, c referencing, payload []byte) {
	t.Helper()
	comp := protocompile.Compiler{Resolver: &protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"main.proto": c.schema, c.refName: c.refSchema}),
	}}
	files, err := comp.Compile(context.Background(), "main.proto")
	if err != nil {
		t.Fatal(err)
	}
	if payload[0] != 0 {
		t.Fatalf("message index byte %d, want 0", payload[0])
	}
	desc := files[0].Messages().Get(0)
	got := dynamicpb.NewMessage(desc)
	if err := proto.Unmarshal(payload[1:], got); err != nil {
		t.Fatal(err)
	}
	total := got.Get(desc.Fields().ByName("total")).Message()
	tax := got.Get(desc.Fields().ByName("tax")).Message()
	cents := total.Descriptor().Fields().ByName("cents")
	if total.Get(cents).Int() != 500 || tax.Get(cents).Int() != 95 {
		t.Errorf("stored %v, want total 500 and tax 95 cents", got)
	}
}
