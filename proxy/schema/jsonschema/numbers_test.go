package jsonschema

import (
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

func TestCostlyNumbersAreRefused(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"properties":{"n":{"type":"number","minimum":0},"items":{"items":{"type":"integer"}}}}`)
	longest := strings.Repeat("9", maxNumberLength)
	tests := []appendCase{
		{name: "exponent at the bound", data: `{"n": 1e1000}`, want: `{"n":1e1000}`},
		{name: "negative exponent at the bound", data: `{"n": 1E-1000}`, want: `{"n":1E-1000}`},
		{name: "longest number", data: `{"n": ` + longest + `}`, want: `{"n":` + longest + `}`},
		{name: "exponent past the bound", data: `{"n": 1e1001}`, path: "n", problem: "number 1e1001 is out of range"},
		{name: "huge exponent", data: `{"n": 1e99999999999999999999}`, path: "n", problem: "number 1e999999999999999999… is out of range"},
		{name: "too long", data: `{"n": 9` + longest + `}`, path: "n", problem: "number 99999999999999999999… is out of range"},
		{name: "first of several", data: `{"items": [1, 2, 1e5000, 1e6000], "n": 1e7000}`, path: "items[2]", problem: "number 1e5000"},
		{name: "whole value", data: `1e2000`, path: "", problem: "number 1e2000"},
		{name: "in a string it is text", data: `{"s": "1e99999"}`, want: `{"s":"1e99999"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkAppend(t, compiled, tc)
		})
	}
}

func TestCostlySchemaNumbersAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		schema string
		refs   []codec.Reference
		want   string
	}{
		{`{"properties":{"n":{"multipleOf":1e-999999}}}`, nil, "schema at /properties/n/multipleOf: number 1e-999999 is out of range"},
		{`{"$ref":"n.json"}`, []codec.Reference{{Name: "n.json", Schema: `{"maximum":1e5000}`}}, `reference "n.json" at /maximum: number 1e5000`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.schema, tt.refs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%s) error = %v, want one containing %q", tt.schema, err, tt.want)
		}
	}
}

func TestLongProblemsAreShortened(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"properties":{"e":{"format":"email"}}}`)
	value := strings.Repeat("é", 2000)
	checkAppend(t, compiled, appendCase{data: `{"e": "` + value + `"}`, path: "e", problem: "is not valid email"})
	_, err := compiled.Append(nil, []byte(`{"e": "`+value+`"}`))
	if problem := err.(*codec.DataError).Problem; len(problem) > codec.MaxProblemLength+len("…") || !strings.Contains(problem, "…") {
		t.Fatalf("problem of %d bytes %q, want at most %d bytes with … in place of the middle", len(problem), problem, codec.MaxProblemLength)
	}
}
