package jsonschema

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// appendCase is one record's data and what Append should make of it: the
// compacted bytes, or the path and problem of its DataError.
type appendCase struct {
	name    string
	data    string
	want    string
	path    string
	problem string
}

func mustCompile(t testing.TB, text string, refs ...codec.Reference) *Codec {
	t.Helper()
	compiled, err := Compile(text, refs)
	if err != nil {
		t.Fatalf("Compile(%s): %v", text, err)
	}
	return compiled
}

// checkAppend runs Append with a prefix in dst, so that appending (rather
// than overwriting) is checked too.
func checkAppend(t *testing.T, compiled *Codec, tc appendCase) {
	t.Helper()
	const prefix = "\x00\x00\x00\x00\x07"
	out, err := compiled.Append([]byte(prefix), []byte(tc.data))
	if tc.problem == "" {
		if err != nil {
			t.Fatalf("Append(%s): %v", tc.data, err)
		}
		if got := string(out); got != prefix+tc.want {
			t.Fatalf("Append(%s) = %q, want %q", tc.data, got, prefix+tc.want)
		}
		return
	}
	var dataErr *codec.DataError
	if !errors.As(err, &dataErr) {
		t.Fatalf("Append(%s) error = %v, want a *codec.DataError", tc.data, err)
	}
	if dataErr.Path != tc.path || !strings.Contains(dataErr.Problem, tc.problem) {
		t.Fatalf("Append(%s) = path %q problem %q, want path %q problem containing %q",
			tc.data, dataErr.Path, dataErr.Problem, tc.path, tc.problem)
	}
	if strings.Contains(dataErr.Problem, "\n") {
		t.Fatalf("Append(%s) problem %q spans lines", tc.data, dataErr.Problem)
	}
}

func TestAppendByDraft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		cases  []appendCase
	}{{
		// No "$schema" reads as draft 7: "format" asserts, and 2020-12's
		// "prefixItems" is not a keyword.
		name:   "no $schema is draft 7",
		schema: `{"properties":{"email":{"format":"email"},"pair":{"prefixItems":[{"type":"string"}]}}}`,
		cases: []appendCase{
			{name: "valid", data: `{"email":"a@example.com","pair":[1]}`, want: `{"email":"a@example.com","pair":[1]}`},
			{name: "format", data: `{"email":"nobody"}`, path: "email", problem: "is not valid email"},
		},
	}, {
		name:   "draft 7 tuple items",
		schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"array","items":[{"type":"string"},{"type":"integer"}],"additionalItems":false}`,
		cases: []appendCase{
			{name: "valid", data: `["a", 1]`, want: `["a",1]`},
			{name: "wrong item", data: `["a","b"]`, path: "[1]", problem: "got string, want integer"},
			{name: "extra item", data: `["a",1,2]`, path: "", problem: "additionalItem(s) not allowed"},
		},
	}, {
		name:   "2019-09 dependentRequired",
		schema: `{"$schema":"https://json-schema.org/draft/2019-09/schema","type":"object","dependentRequired":{"card":["expiry"]},"unevaluatedProperties":false,"properties":{"card":{},"expiry":{}}}`,
		cases: []appendCase{
			{name: "valid", data: `{"card":"4111","expiry":"12/30"}`, want: `{"card":"4111","expiry":"12/30"}`},
			{name: "dependent missing", data: `{"card":"4111"}`, path: "", problem: "expiry"},
			{name: "unevaluated", data: `{"card":"4111","expiry":"1","cvv":"1"}`, path: "cvv", problem: "not allowed by the schema"},
		},
	}, {
		name:   "2020-12 prefixItems and annotation-only format",
		schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"array","prefixItems":[{"type":"string","format":"email"}],"items":{"type":"integer"}}`,
		cases: []appendCase{
			{name: "valid", data: `["not-an-email", 1, 2]`, want: `["not-an-email",1,2]`},
			{name: "prefix item", data: `[1]`, path: "[0]", problem: "got number, want string"},
			{name: "rest item", data: `["a",1,"x"]`, path: "[2]", problem: "got string, want integer"},
		},
	}}
	for _, tt := range tests {
		compiled := mustCompile(t, tt.schema)
		for _, tc := range tt.cases {
			t.Run(tt.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				checkAppend(t, compiled, tc)
			})
		}
	}
}

func TestAppendKeepsTextCompacted(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"type":"object"}`)
	tests := []appendCase{
		{name: "whitespace", data: " {\n\t\"b\" : 1 ,\r\n \"a\" : [ 1 , 2 ] } ", want: `{"b":1,"a":[1,2]}`},
		{name: "member order", data: `{"z":1,"a":2,"m":3}`, want: `{"z":1,"a":2,"m":3}`},
		{name: "string escapes", data: `{"s":"caf\u00e9 \"q\" \/ tab\t<&>"}`, want: `{"s":"caf\u00e9 \"q\" \/ tab\t<&>"}`},
		{name: "whitespace inside strings", data: `{"s":"  two  spaces "}`, want: `{"s":"  two  spaces "}`},
		{name: "number spelling", data: `{"n":1.0e2,"m":-0,"big":123456789012345678901234567890}`, want: `{"n":1.0e2,"m":-0,"big":123456789012345678901234567890}`},
		{name: "utf-8", data: `{"name": "Zoë 🚀"}`, want: `{"name":"Zoë 🚀"}`},
		{name: "not an object", data: `[1]`, path: "", problem: "got array, want object"},
		{name: "not JSON", data: `{"a":`, path: "", problem: "not valid JSON"},
		{name: "not UTF-8", data: "{\"s\":\"\xff\"}", path: "", problem: "not UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkAppend(t, compiled, tc)
		})
	}
}

func TestRecordName(t *testing.T) {
	t.Parallel()
	tests := []struct{ schema, want string }{
		{`{"title":"Order","type":"object"}`, "Order"},
		{`{"type":"object","properties":{"title":{"type":"string"}}}`, ""},
		{`{"description":"no title"}`, ""},
		{`true`, ""},
	}
	for _, tt := range tests {
		if got := mustCompile(t, tt.schema).RecordName(); got != tt.want {
			t.Errorf("RecordName of %s = %q, want %q", tt.schema, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema string
		refs         []codec.Reference
		want         string
	}{
		{"not JSON", `{"type":`, nil, "schema is not valid JSON"},
		{"trailing text", `{} x`, nil, "schema is not valid JSON"},
		{"unknown type", `{"type":"text"}`, nil, "the schema is not valid against metaschema"},
		{"Go regexp cannot", `{"pattern":"(?=a)"}`, nil, "is not valid regex"},
		{"unknown draft", `{"$schema":"http://json-schema.org/draft-03/schema#"}`, nil, "not among the schema's references"},
		{"remote $ref", `{"$ref":"https://example.com/x.json"}`, nil, `"https://example.com/x.json" is not among the schema's references`},
		{"file $ref", `{"$ref":"file:///etc/passwd"}`, nil, `"file:///etc/passwd" is not among the schema's references`},
		{"reference cycle", `{"$ref":"#"}`, nil, "resolve to the schema causing reference cycle"},
		{"indirect reference cycle", `{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}`, nil, "causing reference cycle"},
		{"bad reference", `{}`, []codec.Reference{{Name: "a.json", Schema: `{`}}, `reference "a.json" is not valid JSON`},
		{"bad reference name", `{}`, []codec.Reference{{Name: "%zz", Schema: `{}`}}, `reference name "%zz" is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.schema, tt.refs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile(%s) error = %v, want one containing %q", tt.schema, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), recordLocation) {
				t.Fatalf("Compile(%s) error %q should be one line without the internal location", tt.schema, err)
			}
		})
	}
}

func TestRecursiveSchemaIsNoCycle(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}`)
	checkAppend(t, compiled, appendCase{data: `{"name":"a","children":[{"name":"b","children":[]}]}`, want: `{"name":"a","children":[{"name":"b","children":[]}]}`})
	checkAppend(t, compiled, appendCase{data: `{"children":[{"children":[{"name":1}]}]}`, path: "children[0].children[0].name", problem: "got number, want string"})
}

func TestAppendConcurrently(t *testing.T) {
	t.Parallel()
	compiled := mustCompile(t, `{"type":"object","properties":{"n":{"type":"integer","maximum":50}}}`)
	var wg sync.WaitGroup
	failures := make(chan string, 100)
	for worker := range 4 {
		wg.Go(func() {
			for i := range 25 {
				n := (worker*25 + i) % 100
				data := []byte(`{"n": ` + strconv.Itoa(n) + `}`)
				out, err := compiled.Append(nil, data)
				if valid := n <= 50; valid != (err == nil) || (valid && string(out) != `{"n":`+strconv.Itoa(n)+`}`) {
					failures <- string(data)
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for data := range failures {
		t.Errorf("concurrent Append(%s) gave the wrong answer", data)
	}
}
