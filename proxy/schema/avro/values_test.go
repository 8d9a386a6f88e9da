package avro

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

// valueCases are data where goavro reads Avro's JSON encoding differently
// from Apache Avro's JsonDecoder (or not at all), or where the codec
// goes beyond it (defaults); what the encoding decodes to is given.
var valueCases = []struct {
	name, schema, data string
	want               any
}{
	{"whitespace around the value", `"int"`, " \n 5\t", int32(5)},
	{"int written 2.0", `"int"`, `2.0`, int32(2)},
	{"int written 2e3", `"int"`, `2e3`, int32(2000)},
	{"int written -1.50e1", `"int"`, `-1.50e1`, int32(-15)},
	{"int written 0.0", `"int"`, `-0.0e5`, int32(0)},
	{"long written 100e-2", `"long"`, `100e-2`, int64(1)},
	{"long max with exponent", `"long"`, `9.223372036854775807e18`, int64(math.MaxInt64)},
	{"long min with fraction", `"long"`, `-9223372036854775808.000`, int64(math.MinInt64)},
	{"double NaN", `"double"`, `"NaN"`, math.NaN()},
	{"double Infinity", `"double"`, `"Infinity"`, math.Inf(1)},
	{"double -INF", `"double"`, `"-INF"`, math.Inf(-1)},
	{"float -Infinity", `"float"`, `"-Infinity"`, float32(math.Inf(-1))},
	{"float rounds", `"float"`, `0.1`, float32(0.1)},
	{"bytes from raw latin1 characters", `"bytes"`, `"ÿé"`, []byte{0xff, 0xe9}},
	{"bytes escaped", `"bytes"`, `"\u00ff\n\""`, []byte{0xff, '\n', '"'}},
	{"array empty", `{"type":"array","items":"long"}`, `[]`, []any{}},
	{"union null by name", `["null","string"]`, `{"null":null}`, nil},
	{"map with many keys", `{"type":"map","values":"int"}`, manyKeys(100), manyKeysNative(100)},
	{"field by alias", record(`{"name":"id","type":"long","aliases":["ident"]}`), `{"ident":4}`, map[string]any{"id": int64(4)}},
	// Out of turn, a name is looked up, and an alias listed first wins.
	{"alias equal to a later field's name", record(`{"name":"a","type":"int","aliases":["b"]},{"name":"b","type":"string","default":"d"},{"name":"c","type":"long"}`),
		`{"c":1,"b":2}`, map[string]any{"a": int32(2), "b": "d", "c": int64(1)}},
	{"timestamp-millis is a long", `{"type":"long","logicalType":"timestamp-millis"}`, `1700000000123`,
		time.UnixMilli(1700000000123).UTC()},
	{"date is an int", `{"type":"int","logicalType":"date"}`, `19000`, time.Unix(19000*86400, 0).UTC()},
	{"uuid is a string", `{"type":"string","logicalType":"uuid"}`, `"7f1c2a9e-4b1d-4c8e-9a51-0d2c6e3f8b11"`,
		"7f1c2a9e-4b1d-4c8e-9a51-0d2c6e3f8b11"},
	{"decimal is bytes", `{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}`, `"\u0001\u00e2"`,
		big.NewRat(482, 100)},
	{"timestamp union branch is long", `["null",{"type":"long","logicalType":"timestamp-millis"}]`, `{"long":0}`,
		map[string]any{"long.timestamp-millis": time.UnixMilli(0).UTC()}},
	{"deep linked list", `{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`,
		strings.Repeat(`{"next":{"Node":`, 300) + `{"next":null}` + strings.Repeat(`}}`, 300), nil},
}

func TestEncodeValues(t *testing.T) {
	t.Parallel()
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := decodeWithGoavro(t, tc.schema, encode(t, tc.schema, tc.data))
			if tc.want == nil && strings.HasPrefix(tc.name, "deep") {
				return // decoding back whole is the check
			}
			if !sameNative(got, tc.want) {
				t.Errorf("%s decodes to %#v, want %#v", tc.data, got, tc.want)
			}
		})
	}
}

// defaultsSchema has a default of every kind, each from Avro's JSON
// encoding of the field's type (for a union, of its first branch).
var defaultsSchema = record(`
	{"name":"given","type":"int"},
	{"name":"i","type":"int","default":-3},
	{"name":"l","type":"long","default":9007199254740993},
	{"name":"f","type":"float","default":1.5},
	{"name":"d","type":"double","default":-2.5e10},
	{"name":"b","type":"boolean","default":true},
	{"name":"s","type":"string","default":"\u00e9\ud83d\ude00"},
	{"name":"y","type":"bytes","default":"\u00ff\u0000"},
	{"name":"x","type":{"type":"fixed","name":"Two","size":2},"default":"\u0001A"},
	{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]},"default":"B"},
	{"name":"a","type":{"type":"array","items":"int"},"default":[1,2]},
	{"name":"m","type":{"type":"map","values":"string"},"default":{"k":"v"}},
	{"name":"n","type":["null","string"],"default":null},
	{"name":"firstBranch","type":["string","null"],"default":"first"},
	{"name":"r","type":{"type":"record","name":"Inner","fields":[
		{"name":"p","type":"int"},{"name":"q","type":"string","default":"inner"}]},"default":{"p":7}},
	{"name":"rn","type":["null","Inner"],"default":null}`)

func TestEncodeDefaults(t *testing.T) {
	t.Parallel()
	got := decodeWithGoavro(t, defaultsSchema, encode(t, defaultsSchema, `{"given":1}`))
	want := map[string]any{
		"given": int32(1), "i": int32(-3), "l": int64(9007199254740993), "f": float32(1.5), "d": -2.5e10,
		"b": true, "s": "é😀", "y": []byte{0xff, 0}, "x": []byte{1, 'A'}, "e": "B",
		"a": []any{int32(1), int32(2)}, "m": map[string]any{"k": "v"}, "n": nil,
		"firstBranch": map[string]any{"string": "first"},
		"r":           map[string]any{"p": int32(7), "q": "inner"}, "rn": nil,
	}
	if !sameNative(got, want) {
		t.Errorf("defaults decode to\n%#v\nwant\n%#v", got, want)
	}
}

// manyKeys is a JSON object of n distinct keys "k0"... with values 0...
func manyKeys(n int) string {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	return "{" + strings.Join(members, ",") + "}"
}

func manyKeysNative(n int) map[string]any {
	native := make(map[string]any, n)
	for i := range n {
		native[fmt.Sprintf("k%d", i)] = int32(i)
	}
	return native
}
