package avro

import (
	"errors"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// fuzzSchemas are the schemas FuzzAvroJSON encodes with, chosen by the
// fuzzed input's first argument.
var fuzzSchemas = []string{
	orderSchema,
	defaultsSchema,
	`{"type":"record","name":"Node","fields":[{"name":"v","type":"int","default":0},{"name":"next","type":["null","Node"],"default":null}]}`,
	`["null","boolean","int","long","float","double","string","bytes",
		{"type":"array","items":"long"},{"type":"map","values":["null","string"]},
		{"type":"enum","name":"E","symbols":["A","B"]},{"type":"fixed","name":"F","size":3},
		{"type":"record","name":"Rec","fields":[{"name":"s","type":"string"},{"name":"m","type":{"type":"map","values":"E"},"default":{}}]}]`,
	`"string"`,
	`"bytes"`,
	`{"type":"map","values":{"type":"array","items":"double"}}`,
}

// FuzzAvroJSON checks that any input either encodes or is a DataError,
// never a panic, and that whatever encodes is Avro goavro reads whole.
func FuzzAvroJSON(f *testing.F) {
	codecs := make([]*Codec, len(fuzzSchemas))
	readers := make([]*goavro.Codec, len(fuzzSchemas))
	for i, schema := range fuzzSchemas {
		var err error
		if codecs[i], err = Compile(schema, nil); err != nil {
			f.Fatalf("Compile(%s): %v", schema, err)
		}
		if readers[i], err = goavro.NewCodec(schema); err != nil {
			f.Fatalf("goavro.NewCodec(%s): %v", schema, err)
		}
	}
	var seeds []string
	for _, tc := range agreeCases {
		seeds = append(seeds, tc.data)
	}
	for _, tc := range valueCases {
		seeds = append(seeds, tc.data)
	}
	for _, tc := range errorCases {
		seeds = append(seeds, tc.data)
	}
	seeds = append(seeds, `{"given":1}`, `{"v":1,"next":{"Node":{"v":2}}}`, `{"Rec":{"s":"x","m":{"k":"B"}}}`, tenFieldRecord)
	for i := range fuzzSchemas {
		for _, seed := range seeds {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(codecs)
		out, err := codecs[i].Append(nil, data)
		if err != nil {
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) {
				t.Fatalf("Append(%q) error %v (%T) is not a *codec.DataError", data, err, err)
			}
			return
		}
		if _, rest, err := readers[i].NativeFromBinary(out); err != nil || len(rest) != 0 {
			t.Fatalf("schema %d: %q encodes to %x, which goavro reads with %d bytes left, error %v", i, data, out, len(rest), err)
		}
	})
}
