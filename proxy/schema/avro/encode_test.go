package avro

import (
	"fmt"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// agreeCases are data that goavro's own reading of Avro's JSON encoding
// accepts too: the encoding must decode to what goavro reads from the JSON.
var agreeCases = []struct {
	name, schema, data string
}{
	{"boolean", `"boolean"`, `true`},
	{"int", `"int"`, `-2147483648`},
	{"int max", `"int"`, `2147483647`},
	{"long min", `"long"`, `-9223372036854775808`},
	{"long max", `"long"`, `9223372036854775807`},
	{"long 19 digits", `"long"`, `1234567890123456789`},
	{"float", `"float"`, `1.5`},
	{"double", `"double"`, `3.141592653589793`},
	{"double exponent", `"double"`, `-1.25e-300`},
	{"double integer", `"double"`, `12`},
	{"string plain", `"string"`, `"hello"`},
	{"string escapes", `"string"`, `"q\"b\\s\/\b\f\n\r\t"`},
	{"string unicode", `"string"`, `"caf\u00e9 \u4e16\ud83d\ude00 ünï"`},
	{"string empty", `"string"`, `""`},
	{"string long", `"string"`, `"` + strings.Repeat("abcdefghij", 30) + `"`},
	{"bytes", `"bytes"`, `"\u0000\u0001\u00ff abc"`},
	{"enum", `{"type":"enum","name":"Color","symbols":["RED","GREEN","BLUE"]}`, `"BLUE"`},
	{"fixed", `{"type":"fixed","name":"Four","size":4}`, `"ab\u00ff\u0000"`},
	{"array", `{"type":"array","items":"long"}`, `[1, -2, 300000000000]`},
	{"array of 200", `{"type":"array","items":"int"}`, "[" + strings.Repeat("7,", 199) + "7]"},
	{"map", `{"type":"map","values":"string"}`, `{"a":"x","b\n":"y"}`},
	{"map empty", `{"type":"map","values":"string"}`, `{ }`},
	{"map of arrays", `{"type":"map","values":{"type":"array","items":"boolean"}}`, `{"k":[true,false],"l":[false]}`},
	{"record", record(`{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"ok","type":"boolean"}`),
		`{"id":7,"name":"Ada","ok":false}`},
	{"record members in another order", record(`{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"double"}`),
		`{"c":2.5,"a":1,"b":"x"}`},
	{"record last member first", record(`{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"double"}`),
		`{"c":2.5,"b":"x","a":1}`},
	{"record member names escaped", record(`{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":"double"}`),
		`{"\u0062":"x","\u0061":1,"c":2.5}`},
	{"record whitespace", record(`{"name":"a","type":"int"},{"name":"b","type":{"type":"array","items":"int"}}`),
		"{ \"b\" :\t[ 1 , 2 ]\n, \"a\" : 3 }"},
	{"nested record", record(`{"name":"in","type":{"type":"record","name":"In","fields":[{"name":"x","type":"int"}]}},{"name":"again","type":"In"}`),
		`{"again":{"x":2},"in":{"x":1}}`},
	{"array of records", record(`{"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[{"name":"sku","type":"string"},{"name":"n","type":"int"}]}}}`),
		`{"items":[{"n":1,"sku":"a"},{"sku":"b","n":2}]}`},
	{"union null", `["null","string"]`, `null`},
	{"union string", `["null","string"]`, `{"string":"x"}`},
	{"union int long", `["int","long"]`, `{"long":5}`},
	{"union record by full name", `["null",` + record(`{"name":"a","type":"int"}`) + `]`, `{"ex.R":{"a":1}}`},
	{"union array", `["null",{"type":"array","items":"int"}]`, `{"array":[1,2]}`},
	{"union map", `["null",{"type":"map","values":"int"}]`, `{"map":{"a":1}}`},
	{"union enum", `["null",{"type":"enum","name":"E","namespace":"n","symbols":["A","B"]}]`, `{"n.E":"B"}`},
	{"linked list", `{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`,
		`{"v":1,"next":{"Node":{"v":2,"next":{"Node":{"next":null,"v":3}}}}}`},
	{"default used", record(`{"name":"a","type":"int"},{"name":"b","type":"string","default":"dflt"}`), `{"a":1}`},
}

func TestEncodeAgreesWithGoavro(t *testing.T) {
	t.Parallel()
	for _, tc := range agreeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := decodeWithGoavro(t, tc.schema, encode(t, tc.schema, tc.data))
			g, err := goavro.NewCodec(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := g.NativeFromTextual([]byte(tc.data))
			if err != nil {
				t.Fatalf("goavro cannot read %s: %v", tc.data, err)
			}
			if !sameNative(got, want) {
				t.Errorf("%s decodes to %#v, goavro reads the JSON as %#v", tc.data, got, want)
			}
		})
	}
}

// TestConcurrentAppend shares one codec between goroutines, as the proxy
// does; run with -race it checks that encoding keeps no shared state.
func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	c, err := Compile(orderSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{
		`{"id":1,"tags":{"a":1,"b":2},"items":[1,2,3]}`,
		`{"lines":[{"sku":"x"}],"id":2,"customer":{"name":"n","id":3}}`,
		`{"note":{"string":"hello"},"id":3,"status":"PAID"}`,
	}
	want := make([][]byte, len(inputs))
	for i, in := range inputs {
		if want[i], err = c.Append(nil, []byte(in)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan string)
	for g := range 4 {
		go func() {
			for n := range 200 {
				i := (g + n) % len(inputs)
				got, err := c.Append(nil, []byte(inputs[i]))
				if err != nil || string(got) != string(want[i]) {
					done <- fmt.Sprintf("%s encodes to %x, %v; alone it encodes to %x", inputs[i], got, err, want[i])
					return
				}
			}
			done <- ""
		}()
	}
	for range 4 {
		if failure := <-done; failure != "" {
			t.Error(failure)
		}
	}
}
