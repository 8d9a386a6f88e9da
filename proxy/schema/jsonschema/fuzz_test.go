package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// FuzzJSONSchemaAppend feeds arbitrary bytes to Append over the benchmark's
// schema. Append must not panic; what it accepts must come out as the
// input compacted; what it refuses must be a one-line DataError.
func FuzzJSONSchemaAppend(f *testing.F) {
	for _, seed := range []string{tenFieldRecord, `{}`, `{"id":"x"}`, `{"tags":[1]}`, `1e5000`, `{"address":{"zip":7}}`, `[`} {
		f.Add([]byte(seed))
	}
	compiled := mustCompile(f, tenFieldSchema)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := compiled.Append(nil, data)
		if err != nil {
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) || strings.ContainsAny(dataErr.Problem, "\r\n") {
				t.Fatalf("Append(%q) error = %#v, want a one-line *codec.DataError", data, err)
			}
			return
		}
		var compacted bytes.Buffer
		if err := json.Compact(&compacted, data); err != nil {
			t.Fatalf("Append accepted %q, which is not JSON: %v", data, err)
		}
		if !bytes.Equal(out, compacted.Bytes()) {
			t.Fatalf("Append(%q) = %q, want %q", data, out, compacted.Bytes())
		}
	})
}

// FuzzJSONSchemaCompile feeds arbitrary schema text to Compile, then a
// record to what it compiled: neither may panic.
func FuzzJSONSchemaCompile(f *testing.F) {
	for _, seed := range []string{tenFieldSchema, `{"$ref":"#"}`, `{"$ref":"customer.json"}`, `true`,
		`{"$schema":"https://json-schema.org/draft/2020-12/schema","prefixItems":[{"type":"string"}]}`} {
		f.Add(seed)
	}
	refs := []codec.Reference{{Name: "customer.json", Schema: `{"type":"object","required":["id"]}`}}
	f.Fuzz(func(t *testing.T, text string) {
		compiled, err := Compile(text, refs)
		if err != nil {
			return
		}
		if _, err := compiled.Append(nil, []byte(tenFieldRecord)); err != nil {
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) {
				t.Fatalf("Append over %q error = %#v, want a *codec.DataError", text, err)
			}
		}
	})
}
