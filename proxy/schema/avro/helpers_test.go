package avro

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// record wraps field declarations in a record schema named ex.R.
func record(fields string) string {
	return `{"type":"record","name":"R","namespace":"ex","fields":[` + fields + `]}`
}

// encode compiles schema and encodes data, failing the test on an error.
func encode(t testing.TB, schema, data string) []byte {
	t.Helper()
	c, err := Compile(schema, nil)
	if err != nil {
		t.Fatalf("Compile: %v\nschema: %s", err, schema)
	}
	out, err := c.Append(nil, []byte(data))
	if err != nil {
		t.Fatalf("Append(%s): %v", data, err)
	}
	return out
}

// decodeWithGoavro decodes binary with goavro, an Avro implementation
// independent of the parser the codec is built on, and checks that the
// encoding is whole: nothing left over.
func decodeWithGoavro(t testing.TB, schema string, binary []byte) any {
	t.Helper()
	g, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatalf("goavro.NewCodec: %v", err)
	}
	native, rest, err := g.NativeFromBinary(binary)
	if err != nil {
		t.Fatalf("goavro cannot decode %x: %v", binary, err)
	}
	if len(rest) != 0 {
		t.Fatalf("goavro left %d bytes of %x undecoded", len(rest), binary)
	}
	return native
}

// sameNative compares goavro values; printing also equates NaNs.
func sameNative(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}
