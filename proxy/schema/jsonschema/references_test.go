package jsonschema

import (
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

const customerSchema = `{"type":"object","required":["id"],"properties":{"id":{"type":"integer"}}}`

func TestReferencesResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		refs   []codec.Reference
	}{{
		name:   "relative name, record without $id",
		schema: `{"properties":{"customer":{"$ref":"customer.json"}}}`,
		refs:   []codec.Reference{{Name: "customer.json", Schema: customerSchema}},
	}, {
		name:   "relative name, record with $id",
		schema: `{"$id":"https://example.com/schemas/order.json","properties":{"customer":{"$ref":"customer.json"}}}`,
		refs:   []codec.Reference{{Name: "customer.json", Schema: customerSchema}},
	}, {
		name:   "absolute name",
		schema: `{"properties":{"customer":{"$ref":"https://example.com/customer.json"}}}`,
		refs:   []codec.Reference{{Name: "https://example.com/customer.json", Schema: customerSchema}},
	}, {
		name:   "absolute name reached relatively from the record's $id",
		schema: `{"$id":"https://example.com/order.json","properties":{"customer":{"$ref":"customer.json"}}}`,
		refs:   []codec.Reference{{Name: "https://example.com/customer.json", Schema: customerSchema}},
	}, {
		name:   "fragment into a reference",
		schema: `{"properties":{"customer":{"$ref":"defs.json#/definitions/customer"}}}`,
		refs:   []codec.Reference{{Name: "defs.json", Schema: `{"definitions":{"customer":` + customerSchema + `}}`}},
	}, {
		name:   "reference reaching another reference",
		schema: `{"properties":{"customer":{"$ref":"customer.json"}}}`,
		refs: []codec.Reference{
			{Name: "customer.json", Schema: `{"type":"object","required":["id"],"properties":{"id":{"$ref":"id.json"}}}`},
			{Name: "id.json", Schema: `{"type":"integer"}`},
		},
	}, {
		name:   "2020-12 record, draft 7 reference",
		schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"customer":{"$ref":"customer.json"}}}`,
		refs:   []codec.Reference{{Name: "customer.json", Schema: `{"$schema":"http://json-schema.org/draft-07/schema#",` + customerSchema[1:]}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			compiled := mustCompile(t, tt.schema, tt.refs...)
			checkAppend(t, compiled, appendCase{data: `{"customer": {"id": 7}}`, want: `{"customer":{"id":7}}`})
			checkAppend(t, compiled, appendCase{data: `{"customer":{"id":"7"}}`, path: "customer.id", problem: "got string, want integer"})
			checkAppend(t, compiled, appendCase{data: `{"customer":{}}`, path: "customer.id", problem: "missing property 'id'"})
		})
	}
}

func TestUnusedReferenceIsHarmless(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"type":"string"}`, codec.Reference{Name: "customer.json", Schema: customerSchema})
	checkAppend(t, compiled, appendCase{data: `"x"`, want: `"x"`})
}
