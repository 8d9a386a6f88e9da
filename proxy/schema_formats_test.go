package proxy

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// schemaFormat is one schema format as the schema tests use it: a key and
// a value schema, each with a name for the RECORD_NAME strategies, data
// that fits them, data that does not, and a decoder of what Kafka stored
// that shares nothing with the proxy's encoder.
type schemaFormat struct {
	typ        string
	srType     sr.SchemaType
	key, value testSchema
	// badValue is value data that does not fit the value schema.
	badValue string
	// decode turns a stored payload (after the wire format's 5 bytes)
	// and the JSON data sent into two values that must be equal.
	decode func(t *testing.T, schema string, payload []byte, sent string) (got, want any)
}

type testSchema struct {
	text, name, data string
}

var schemaFormats = []schemaFormat{
	{
		typ: "AVRO", srType: sr.TypeAvro,
		key: testSchema{
			text: `{"type":"record","name":"OrderKey","namespace":"shop","fields":[{"name":"region","type":"string"},{"name":"id","type":"long"}]}`,
			name: "shop.OrderKey", data: `{"region":"eu","id":42}`,
		},
		value: testSchema{
			text: `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"item","type":"string"},{"name":"qty","type":"int"},` +
				`{"name":"price","type":"double"},{"name":"note","type":["null","string"],"default":null},` +
				`{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID"]}}]}`,
			name: "shop.Order", data: `{"item":"book","qty":2,"price":9.5,"note":{"string":"gift"},"state":"PAID"}`,
		},
		badValue: `{"item":"book","qty":"two","price":9.5,"note":null,"state":"NEW"}`,
		decode:   decodeAvro,
	},
	{
		typ: "JSONSCHEMA", srType: sr.TypeJSON,
		key: testSchema{
			text: `{"$schema":"http://json-schema.org/draft-07/schema#","title":"shop.OrderKey","type":"object",` +
				`"properties":{"region":{"type":"string"},"id":{"type":"integer"}},"required":["region","id"]}`,
			name: "shop.OrderKey", data: `{"region":"eu","id":42}`,
		},
		value: testSchema{
			text: `{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"shop.Order","type":"object",` +
				`"properties":{"item":{"type":"string"},"qty":{"type":"integer","minimum":1},"note":{"type":["string","null"]}},` +
				`"required":["item","qty"],"additionalProperties":false}`,
			name: "shop.Order", data: `{"item":"book","qty":2,"note":"gift"}`,
		},
		badValue: `{"item":"book","qty":0}`,
		decode:   decodeJSONSchema,
	},
	{
		typ: "PROTOBUF", srType: sr.TypeProtobuf,
		key: testSchema{
			text: `syntax = "proto3"; package shop; message OrderKey { string region = 1; int64 id = 2; }`,
			name: "shop.OrderKey", data: `{"region":"eu","id":"42"}`,
		},
		value: testSchema{
			text: `syntax = "proto3"; package shop; enum State { NEW = 0; PAID = 1; } ` +
				`message Order { string item = 1; int32 qty = 2; double price = 3; repeated string tags = 4; State state = 5; }`,
			name: "shop.Order", data: `{"item":"book","qty":2,"price":9.5,"tags":["a","b"],"state":"PAID"}`,
		},
		badValue: `{"item":"book","qty":"two"}`,
		decode:   decodeProtobuf,
	},
}

// decodeAvro decodes with goavro, and the sent JSON with goavro's own
// reading of Avro's JSON encoding.
func decodeAvro(t *testing.T, schema string, payload []byte, sent string) (got, want any) {
	t.Helper()
	c, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	got, rest, err := c.NativeFromBinary(payload)
	if err != nil || len(rest) != 0 {
		t.Fatalf("goavro decode: %v (%d bytes left)", err, len(rest))
	}
	want, _, err = c.NativeFromTextual([]byte(sent))
	if err != nil {
		t.Fatalf("goavro reading the sent JSON: %v", err)
	}
	return got, want
}

// decodeJSONSchema checks the payload is the JSON sent.
func decodeJSONSchema(t *testing.T, _ string, payload []byte, sent string) (got, want any) {
	t.Helper()
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatalf("stored JSON %q: %v", payload, err)
	}
	if err := json.Unmarshal([]byte(sent), &want); err != nil {
		t.Fatal(err)
	}
	return got, want
}

// decodeProtobuf checks the message index (the first message: one 0
// byte) and decodes the rest with dynamicpb.
func decodeProtobuf(t *testing.T, schema string, payload []byte, sent string) (got, want any) {
	t.Helper()
	if len(payload) == 0 || payload[0] != 0 {
		t.Fatalf("protobuf payload %x does not start with the message index 0", payload)
	}
	desc := firstMessage(t, schema)
	msg := dynamicpb.NewMessage(desc)
	if err := proto.Unmarshal(payload[1:], msg); err != nil {
		t.Fatalf("protobuf decode: %v", err)
	}
	sentMsg := dynamicpb.NewMessage(desc)
	if err := protojson.Unmarshal([]byte(sent), sentMsg); err != nil {
		t.Fatalf("reading the sent JSON: %v", err)
	}
	return asJSON(t, msg), asJSON(t, sentMsg)
}

func asJSON(t *testing.T, m proto.Message) any {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func firstMessage(t *testing.T, schema string) protoreflect.MessageDescriptor {
	t.Helper()
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{"test.proto": schema}),
	})}
	files, err := c.Compile(context.Background(), "test.proto")
	if err != nil {
		t.Fatalf("compile %q: %v", schema, err)
	}
	return files[0].Messages().Get(0)
}

// checkDecoded decodes a stored payload and compares it with what was sent.
func (f schemaFormat) checkDecoded(t *testing.T, schema string, payload []byte, sent string) {
	t.Helper()
	got, want := f.decode(t, schema, payload, sent)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: stored %v, sent %v", f.typ, got, want)
	}
}
