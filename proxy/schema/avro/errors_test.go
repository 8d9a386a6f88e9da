package avro

import (
	"errors"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// orderSchema is a record with a field of every kind, for error cases.
var orderSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"count","type":"int","default":1},
	{"name":"ratio","type":"float","default":0},
	{"name":"price","type":"double","default":0},
	{"name":"paid","type":"boolean","default":false},
	{"name":"none","type":"null","default":null},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]},"default":"NEW"},
	{"name":"hash","type":{"type":"fixed","name":"Hash","size":2},"default":"ab"},
	{"name":"blob","type":"bytes","default":""},
	{"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]},
		"default":{"id":0,"name":""}},
	{"name":"items","type":{"type":"array","items":"long"},"default":[]},
	{"name":"tags","type":{"type":"map","values":"int"},"default":{}},
	{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"}]}},"default":[]}]}`

var errorCases = []struct {
	name, schema, data string
	path, problem      string
}{
	{"long from a string", orderSchema, `{"id":"abc"}`, "id", `expected a long, got "abc"`},
	{"long with a fraction", orderSchema, `{"id":1.5}`, "id", "expected a long, got 1.5"},
	{"long too large", orderSchema, `{"id":9223372036854775808}`, "id", "9223372036854775808 is out of range for a long"},
	{"long too large with exponent", orderSchema, `{"id":1e19}`, "id", "1e19 is out of range for a long"},
	{"long from null", orderSchema, `{"id":null}`, "id", "expected a long, got null"},
	{"int too large", orderSchema, `{"id":1,"count":2147483648}`, "count", "out of range for an int"},
	{"int too small", orderSchema, `{"id":1,"count":-2147483649}`, "count", "out of range for an int"},
	{"int from true", orderSchema, `{"id":1,"count":true}`, "count", "expected an int, got true"},
	{"float too large", orderSchema, `{"id":1,"ratio":1e39}`, "ratio", "1e39 is out of range for a float"},
	{"double too large", orderSchema, `{"id":1,"price":1e400}`, "price", "out of range for a double"},
	{"double from other string", orderSchema, `{"id":1,"price":"nan"}`, "price", `expected a double (or "NaN"`},
	{"boolean from a string", orderSchema, `{"id":1,"paid":"true"}`, "paid", `expected a boolean, got "true"`},
	{"null from zero", orderSchema, `{"id":1,"none":0}`, "none", "expected null, got 0"},
	{"union bare value", orderSchema, `{"id":1,"note":"hi"}`, "note", `expected null or {"<branch>": value} for union [null, string], got "hi"`},
	{"union unknown branch", orderSchema, `{"id":1,"note":{"int":1}}`, "note", `"int" is not a branch of union [null, string]`},
	{"union two members", orderSchema, `{"id":1,"note":{"string":"a","null":null}}`, "note", "exactly one member"},
	{"union empty object", orderSchema, `{"id":1,"note":{}}`, "note", "got {}"},
	{"union wrong branch value", orderSchema, `{"id":1,"note":{"string":5}}`, "note", "expected a string, got 5"},
	{"null for a union without null", `["int","string"]`, `null`, "", `expected {"<branch>": value} for union [int, string], got null`},
	{"enum unknown symbol", orderSchema, `{"id":1,"status":"LOST"}`, "status", `"LOST" is not a symbol of enum shop.Status (NEW, PAID)`},
	{"enum from a number", orderSchema, `{"id":1,"status":1}`, "status", "expected a symbol of enum shop.Status, got 1"},
	{"fixed too short", orderSchema, `{"id":1,"hash":"a"}`, "hash", "fixed shop.Hash holds exactly 2 bytes, got 1"},
	{"fixed too long", orderSchema, `{"id":1,"hash":"abc"}`, "hash", "exactly 2 bytes, got 3"},
	{"bytes above 255", orderSchema, `{"id":1,"blob":"\u0100"}`, "blob", "character U+0100 is not a byte"},
	{"bytes raw above 255", orderSchema, `{"id":1,"blob":"€"}`, "blob", "character U+20AC is not a byte"},
	{"bytes from an array", orderSchema, `{"id":1,"blob":[1]}`, "blob", "expected bytes as a string"},
	{"string lone surrogate", record(`{"name":"s","type":"string"}`), `{"s":"a\ud800b"}`, "s", `unpaired UTF-16 surrogate "\\ud800"`},
	{"string lone low surrogate", record(`{"name":"s","type":"string"}`), `{"s":"\udc00"}`, "s", "unpaired UTF-16 surrogate"},
	{"string invalid UTF-8", record(`{"name":"s","type":"string"}`), "{\"s\":\"a\xffb\"}", "s", "invalid UTF-8"},
	{"string from a number", record(`{"name":"s","type":"string"}`), `{"s":12}`, "s", "expected a string, got 12"},
	{"nested field", orderSchema, `{"id":1,"customer":{"id":"x","name":"n"}}`, "customer.id", `expected a long, got "x"`},
	{"nested field missing", orderSchema, `{"id":1,"customer":{"id":2}}`, "customer.name", "missing, and the field has no default"},
	{"nested record from a string", orderSchema, `{"id":1,"customer":"Ada"}`, "customer", `expected an object (record shop.Customer), got "Ada"`},
	{"array element", orderSchema, `{"id":1,"items":[1,2,"three"]}`, "items[2]", `expected a long, got "three"`},
	{"array from an object", orderSchema, `{"id":1,"items":{}}`, "items", "expected an array, got {}"},
	{"array of records field", orderSchema, `{"id":1,"lines":[{"sku":"a"},{"sku":7}]}`, "lines[1].sku", "expected a string, got 7"},
	{"map value", orderSchema, `{"id":1,"tags":{"x":"y"}}`, "tags[\"x\"]", `expected an int, got "y"`},
	{"map escaped key", orderSchema, `{"id":1,"tags":{"a\"b":true}}`, `tags["a\"b"]`, "expected an int, got true"},
	{"map key given twice", orderSchema, `{"id":1,"tags":{"a":1,"b":2,"a":3}}`, `tags["a"]`, "key given twice"},
	{"map key given twice among many", `{"type":"map","values":"int"}`, manyKeys(40)[:len(manyKeys(40))-1] + `,"k3":1}`, `["k3"]`, "key given twice"},
	{"map from an array", orderSchema, `{"id":1,"tags":[]}`, "tags", "expected an object (map), got []"},
	{"unknown member", orderSchema, `{"id":1,"discount":5}`, "discount", "not a field of record shop.Order"},
	{"unknown nested member", orderSchema, `{"id":1,"customer":{"id":1,"name":"n","vip":true}}`, "customer.vip", "not a field of record shop.Customer"},
	{"member given twice", orderSchema, `{"id":1,"id":2}`, "id", "given twice"},
	{"member given twice out of order", orderSchema, `{"price":1,"id":1,"price":2}`, "price", "given twice"},
	{"missing field", orderSchema, `{"count":2}`, "id", "missing, and the field has no default"},
	{"error in a member read early", orderSchema, `{"tags":{"a":"b"},"id":1}`, `tags["a"]`, `expected an int, got "b"`},
	{"record from an array", orderSchema, `[1]`, "", "expected an object (record shop.Order), got [1]"},
	{"long value clipped", orderSchema, `{"id":"` + strings.Repeat("x", 60) + `"}`, "id", `got "` + strings.Repeat("x", 39) + "…"},
	{"text after the value", `"int"`, `1 2`, "", "unexpected text after the value at offset 2"},
	{"array of arrays element", `{"type":"array","items":{"type":"array","items":"int"}}`, `[[[1]]]`, "[0][0]", "expected an int, got [1]"},
	{"nested too deep", `{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`,
		strings.Repeat(`{"next":{"Node":`, 600) + `{"next":null}` + strings.Repeat(`}}`, 600), "…", "nested more than 1000 levels deep"},
	{"malformed JSON", orderSchema, `{"id":1,`, "", "malformed JSON at offset 8"},
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Compile(tc.schema, nil)
			if err != nil {
				t.Fatal(err)
			}
			dst := []byte("kept")
			out, err := c.Append(dst, []byte(tc.data))
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) {
				t.Fatalf("Append(%s) = %x, %v; want a *codec.DataError", tc.data, out, err)
			}
			if string(out) != "kept" {
				t.Errorf("Append returned %q on error, want dst unchanged", out)
			}
			elidedAsWanted := tc.path == elided && strings.HasPrefix(dataErr.Path, elided) && len(dataErr.Path) < 2*maxPath
			if dataErr.Path != tc.path && !elidedAsWanted {
				t.Errorf("Path = %q, want %q (problem %q)", dataErr.Path, tc.path, dataErr.Problem)
			}
			if !strings.Contains(dataErr.Problem, tc.problem) {
				t.Errorf("Problem = %q, want it to contain %q", dataErr.Problem, tc.problem)
			}
		})
	}
}
