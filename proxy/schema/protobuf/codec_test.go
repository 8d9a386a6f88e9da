package protobuf

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// roundTripCases are records that fit orderProto. want is the canonical
// Protobuf JSON of the record (int64 as strings, enums by name, camelCase
// names) where it differs from data. The fuzz test is seeded with them.
var roundTripCases = []struct {
	name, data, want string
}{
	{"empty", `{}`, ``},
	{"scalars", `{"id": -7, "totalCents": "12345678901", "quantity": 3, "big": "18446744073709551615",
		"delta": -2, "checksum": "99", "ratio": 0.5, "amount": 12.25, "paid": true, "note": "Zoë 🚀", "blob": "AAEC/w=="}`, ``},
	{"int64 as numbers", `{"totalCents": 42, "big": 7}`, `{"totalCents": "42", "big": "7"}`},
	{"proto field names", `{"total_cents": "5", "by_id": {"1": {"id": "c"}}}`, `{"totalCents": "5", "byId": {"1": {"id": "c"}}}`},
	{"special floats", `{"ratio": "NaN", "amount": "-Infinity"}`, ``},
	{"nested message", `{"customer": {"id": "c-1", "name": "Ada"}}`, ``},
	{"enum by name", `{"status": "STATUS_SHIPPED"}`, ``},
	{"enum by number", `{"status": 1}`, `{"status": "STATUS_PAID"}`},
	{"repeated", `{"tags": ["a", "b", "a"], "lines": [{"sku": "x", "count": 2}, {"sku": "y"}]}`, ``},
	{"maps", `{"counts": {"b": 2, "a": 1}, "byId": {"-5": {"name": "neg"}, "10": {"id": "ten"}}}`, ``},
	{"oneof", `{"iban": "CH93"}`, ``},
	{"timestamp", `{"created": "2024-05-01T12:30:00.123456789+02:00"}`, `{"created": "2024-05-01T10:30:00.123456789Z"}`},
	{"referenced message", `{"address": {"city": "Zürich", "zip": "8000"}}`, ``},
	{"nulls are unset", `{"id": null, "customer": null, "tags": null}`, `{}`},
	{"whitespace", " {\n\t\"id\" : 1 } ", `{"id": 1}`},
}

func TestAppendRoundTrips(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, orderProto, orderRefs...)
	descriptor := decoderFor(t, orderProto, orderRefs, "shop.Order")
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const prefix = "\x00\x00\x00\x00\x2a"
			out, err := compiled.Append([]byte(prefix), []byte(tc.data))
			if err != nil {
				t.Fatalf("Append(%s): %v", tc.data, err)
			}
			if !bytes.HasPrefix(out, []byte(prefix)) {
				t.Fatalf("Append(%s) = %x, lost the prefix %x", tc.data, out, prefix)
			}
			decoded := decodeRecord(t, descriptor, out[len(prefix):])
			want := tc.want
			if want == "" {
				want = tc.data
			}
			if got := protojsonOf(t, decoded); !sameJSON(t, got, []byte(want)) {
				t.Fatalf("Append(%s) decodes to %s, want %s", tc.data, got, want)
			}
		})
	}
}

func TestAppendExactBytes(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `syntax = "proto3"; message M { int32 id = 1; string s = 2; map<string, int32> m = 3; }`)
	tests := []struct {
		data string
		want []byte
	}{
		{`{}`, []byte{0}},
		{`{"id": 1}`, []byte{0, 0x08, 0x01}},
		{`{"s": "hi", "id": 150}`, []byte{0, 0x08, 0x96, 0x01, 0x12, 0x02, 'h', 'i'}},
		// Deterministic: map entries by key, whatever order they came in.
		{`{"m": {"b": 2, "a": 1}}`, []byte{0, 0x1a, 0x05, 0x0a, 0x01, 'a', 0x10, 0x01, 0x1a, 0x05, 0x0a, 0x01, 'b', 0x10, 0x02}},
	}
	for _, tt := range tests {
		got, err := compiled.Append(nil, []byte(tt.data))
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("Append(%s) = %x, %v; want %x", tt.data, got, err, tt.want)
		}
	}
}

func TestRecordIsTheFirstMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schema, want string
	}{
		{orderProto, "shop.Order"},
		{`syntax = "proto3"; message Order { int32 id = 1; }`, "Order"},
		{`syntax = "proto3"; package a.b; enum E { E0 = 0; } message First { E e = 1; } message Second { string s = 1; }`, "a.b.First"},
		{`syntax = "proto2"; package p; message Legacy { optional int32 id = 1; }`, "p.Legacy"},
		{`edition = "2023"; package e; message Modern { int32 id = 1; }`, "e.Modern"},
	}
	for _, tt := range tests {
		if got := mustCompile(t, tt.schema, orderRefs...).RecordName(); got != tt.want {
			t.Errorf("RecordName = %q, want %q for %s", got, tt.want, tt.schema)
		}
	}
	// The second message's fields are not the record's.
	first := mustCompile(t, tests[2].schema)
	if _, err := first.Append(nil, []byte(`{"s": "x"}`)); err == nil {
		t.Errorf("Append of the second message's field into the first message succeeded")
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema string
		refs         []codec.Reference
		want         string
	}{
		{"syntax", `syntax = "proto3"; message {`, nil, `schema.proto:1:28: syntax error`},
		{"no message", `syntax = "proto3"; enum E { A = 0; }`, nil, "the schema declares no message"},
		{"unknown type", `syntax = "proto3"; message M { Missing m = 1; }`, nil, "field M.m: unknown type Missing"},
		{"missing import", `syntax = "proto3"; import "other.proto"; message M {}`, nil, `could not resolve path "other.proto"`},
		{"no file system", `syntax = "proto3"; import "/etc/hostname"; message M {}`, nil, `could not resolve path "/etc/hostname"`},
		{"broken reference", `syntax = "proto3"; import "other.proto"; message M {}`,
			[]codec.Reference{{Name: "other.proto", Schema: `message {`}}, "other.proto:1:9: syntax error"},
		{"not protobuf", `{"type": "record"}`, nil, "syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.schema, tt.refs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReferenceNamedLikeTheRecordFile(t *testing.T) {
	t.Parallel()
	refs := []codec.Reference{{Name: recordFileName, Schema: `syntax = "proto3"; package dep; message Dep { string s = 1; }`}}
	compiled := mustCompile(t, `syntax = "proto3"; import "schema.proto"; message Top { dep.Dep dep = 1; }`, refs...)
	if got := compiled.RecordName(); got != "Top" {
		t.Fatalf("RecordName = %q, want Top", got)
	}
	if _, err := compiled.Append(nil, []byte(`{"dep": {"s": "x"}}`)); err != nil {
		t.Fatalf("Append through the reference: %v", err)
	}
}

// dataErrorCases are records that do not fit orderProto, and the field
// and problem their DataError names. The fuzz test is seeded with them.
var dataErrorCases = []struct {
	name, data, path, problem string
}{
	{"wrong scalar", `{"id": "abc"}`, "id", `invalid value for int32 field id: "abc"`},
	{"out of range", `{"id": 3000000000}`, "id", "invalid value for int32 field id"},
	{"unknown field", `{"id": 1, "nope": 2}`, "nope", `unknown field "nope"`},
	{"unknown nested field", `{"customer": {"id": "c", "email": "x"}}`, "customer.email", `unknown field "email"`},
	{"repeated item", `{"tags": ["a", "b", 3]}`, "tags[2]", "invalid value for string field tags: 3"},
	{"message in array", `{"lines": [{"sku": "a"}, {"count": "many"}]}`, "lines[1].count", "invalid value for int32 field count"},
	{"map value", `{"counts": {"a b": "x"}}`, `counts["a b"]`, "invalid value for int32 field value"},
	{"map key", `{"byId": {"ten": {}}}`, "byId.ten", "invalid value for int64 key"},
	{"enum name", `{"status": "STATUS_LOST"}`, "status", `invalid value for enum field status: "STATUS_LOST"`},
	{"two oneof members", `{"card": "x", "iban": "y"}`, "iban", "oneof shop.Order.payment is already set"},
	{"timestamp", `{"created": "yesterday"}`, "created", `invalid google.protobuf.Timestamp value "yesterday"`},
	{"duplicate field", `{"id": 1, "id": 2}`, "id", `duplicate field "id"`},
	{"multi-line input", "{\n  \"customer\": {\n    \"name\": 5\n  }\n}", "customer.name", "invalid value for string field name: 5"},
	{"not an object", `[1]`, "", "syntax error: unexpected token ["},
	{"trailing comma", `{"id": 1,}`, "", "syntax error: unexpected token }"},
	{"not UTF-8", "{\"note\": \"\xff\"}", "note", "invalid UTF-8"},
	{"long value", `{"note": ` + strings.Repeat("7", 5000) + `}`, "note", "invalid value for string field note: 7777"},
}

func TestAppendNamesTheField(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, orderProto, orderRefs...)
	for _, tt := range dataErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := []byte("keep")
			out, err := compiled.Append(dst, []byte(tt.data))
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) {
				t.Fatalf("Append(%s) error = %v, want a *codec.DataError", tt.data, err)
			}
			if dataErr.Path != tt.path || !strings.Contains(dataErr.Problem, tt.problem) || strings.HasPrefix(dataErr.Problem, "proto") {
				t.Fatalf("Append(%.200s) = path %q problem %q, want path %q problem containing %q",
					tt.data, dataErr.Path, dataErr.Problem, tt.path, tt.problem)
			}
			if len(dataErr.Problem) > codec.MaxProblemLength+len("…") {
				t.Fatalf("Append(%.50s…) problem is %d bytes long, want at most %d", tt.data, len(dataErr.Problem), codec.MaxProblemLength)
			}
			if string(out) != "keep" {
				t.Fatalf("Append(%s) failed but returned %q, want dst unchanged", tt.data, out)
			}
		})
	}
}

func TestRequiredFieldOfProto2(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `syntax = "proto2"; package p; message R { required int32 x = 1; optional R r = 2; }`)
	if _, err := compiled.Append(nil, []byte(`{"x": 1}`)); err != nil {
		t.Fatalf("Append with the required field: %v", err)
	}
	_, err := compiled.Append(nil, []byte(`{"x": 1, "r": {}}`))
	var dataErr *codec.DataError
	if !errors.As(err, &dataErr) || !strings.Contains(dataErr.Problem, "required field p.R.x not set") {
		t.Fatalf("Append without a nested required field = %v, want a DataError naming p.R.x", err)
	}
}

func TestAnyResolvesTheSchemaMessages(t *testing.T) {
	t.Parallel()
	const schema = `syntax = "proto3"; package ev; import "google/protobuf/any.proto";
		message Envelope { google.protobuf.Any payload = 1; }
		message Inner { string s = 1; }`
	compiled := mustCompile(t, schema)
	out, err := compiled.Append(nil, []byte(`{"payload": {"@type": "type.googleapis.com/ev.Inner", "s": "x"}}`))
	if err != nil {
		t.Fatalf("Append with an Any of a schema message: %v", err)
	}
	decoded := decodeRecord(t, decoderFor(t, schema, nil, "ev.Envelope"), out)
	payload := decoded.Get(decoded.Descriptor().Fields().ByName("payload")).Message()
	typeURL := payload.Get(payload.Descriptor().Fields().ByName("type_url")).String()
	value := payload.Get(payload.Descriptor().Fields().ByName("value")).Bytes()
	if typeURL != "type.googleapis.com/ev.Inner" || !bytes.Equal(value, []byte{0x0a, 0x01, 'x'}) {
		t.Fatalf("Any decoded as %q %x, want ev.Inner 0a0178", typeURL, value)
	}
	_, err = compiled.Append(nil, []byte(`{"payload": {"@type": "type.googleapis.com/ev.Nowhere"}}`))
	var dataErr *codec.DataError
	if !errors.As(err, &dataErr) || dataErr.Path != `payload["@type"]` || !strings.Contains(dataErr.Problem, "ev.Nowhere") {
		t.Fatalf("Append with an Any of an unknown type = %v, want a DataError at payload[\"@type\"] naming ev.Nowhere", err)
	}
}

func TestAppendConcurrently(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, orderProto, orderRefs...)
	want, err := compiled.Append(nil, []byte(roundTripCases[1].data))
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	var wg sync.WaitGroup
	results := make(chan []byte, 100)
	for range 4 {
		wg.Go(func() {
			for range 25 {
				out, _ := compiled.Append(nil, []byte(roundTripCases[1].data))
				results <- out
			}
		})
	}
	wg.Wait()
	close(results)
	for out := range results {
		if !bytes.Equal(out, want) {
			t.Fatalf("concurrent Append = %x, want %x", out, want)
		}
	}
}
