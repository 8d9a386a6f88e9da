package jsonschema

import (
	"testing"
)

func TestDataErrorNamesTheField(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{
		"type": "object",
		"additionalProperties": false,
		"required": ["customer"],
		"properties": {
			"customer": {"type": "object", "required": ["id", "name"],
				"properties": {"id": {"type": "integer"}, "name": {"type": "string", "minLength": 1}}},
			"items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
			"a.b": {"type": "string"},
			"labels": {"type": "object", "additionalProperties": {"type": "string"}},
			"choice": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
		}}`)
	tests := []appendCase{
		{name: "nested field", data: `{"customer":{"id":"x","name":"n"}}`, path: "customer.id", problem: "got string, want integer"},
		{name: "one missing property", data: `{"customer":{"id":1}}`, path: "customer.name", problem: "missing property 'name'"},
		{name: "two missing properties", data: `{"customer":{}}`, path: "customer", problem: "missing properties 'id', 'name'"},
		{name: "missing at the top", data: `{}`, path: "customer", problem: "missing property 'customer'"},
		{name: "array item field", data: `{"customer":{"id":1,"name":"n"},"items":[{"sku":"a"},{"sku":"b"},{"sku":3}]}`, path: "items[2].sku", problem: "got number, want string"},
		{name: "name with a dot", data: `{"customer":{"id":1,"name":"n"},"a.b":1}`, path: `["a.b"]`, problem: "got number, want string"},
		{name: "map value with odd key", data: `{"customer":{"id":1,"name":"n"},"labels":{"x y":1}}`, path: `labels["x y"]`, problem: "got number, want string"},
		{name: "digit key in an object", data: `{"customer":{"id":1,"name":"n"},"labels":{"2":true}}`, path: `labels["2"]`, problem: "got boolean, want string"},
		{name: "unknown property", data: `{"customer":{"id":1,"name":"n"},"extra":1}`, path: "extra", problem: "additional properties 'extra' not allowed"},
		{name: "alternatives", data: `{"customer":{"id":1,"name":"n"},"choice":true}`, path: "choice", problem: "'anyOf' failed"},
		{name: "whole value", data: `"text"`, path: "", problem: "got string, want object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkAppend(t, compiled, tc)
		})
	}
}

// TestDataErrorIsDeterministic fails several properties at once: the
// validator visits them in map order, the answer must not follow it.
func TestDataErrorIsDeterministic(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"properties":{"a":{"type":"string"},"b":{"type":"string"},"c":{"type":"string"},
		"d":{"type":"string"},"items":{"items":{"type":"string"}}}}`)
	for range 50 {
		checkAppend(t, compiled, appendCase{data: `{"d":1,"c":2,"b":3,"a":4}`, path: "a", problem: "got number, want string"})
		checkAppend(t, compiled, appendCase{data: `{"items":["x","y",1,"z",2,3,4,5,6,7,8,9]}`, path: "items[2]", problem: "got number, want string"})
	}
}

func TestCompareLocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b []string
		want int
	}{
		{[]string{"items", "2"}, []string{"items", "10"}, -1},
		{[]string{"items", "10"}, []string{"items", "2"}, 1},
		{[]string{"a"}, []string{"b"}, -1},
		{[]string{"a"}, []string{"a", "b"}, -1},
		{[]string{"a", "b"}, []string{"a", "b"}, 0},
		{[]string{"99999999999999999999"}, []string{"1"}, 1},
	}
	for _, tt := range tests {
		got := compareLocations(tt.a, tt.b)
		if (got < 0) != (tt.want < 0) || (got > 0) != (tt.want > 0) {
			t.Errorf("compareLocations(%q, %q) = %d, want sign of %d", tt.a, tt.b, got, tt.want)
		}
	}
}
