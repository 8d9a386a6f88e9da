package record

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// benchProgramRecord has the shape hack/bench sends by default: a STRING key
// and a BINARY value, 200 bytes of JSON in all, so that this benchmark's
// per-record cost reads against the program's end-to-end CPU per record.
var benchProgramRecord = `{"key":{"type":"STRING","data":"k00000042"},"value":{"type":"BINARY","data":"` +
	base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5}, 90)) + `"}}`

// BenchmarkParseEncode_BinaryValue parses, validates and base64-decodes one
// such record, the path typicalRecord's JSON value does not take.
func BenchmarkParseEncode_BinaryValue(b *testing.B) {
	if len(benchProgramRecord) != 200 {
		b.Fatalf("record is %d bytes, want 200", len(benchProgramRecord))
	}
	benchParseEncode(b, benchProgramRecord, func(rec *Record) error {
		if len(rec.Value.Bytes) != 90 || !strings.HasPrefix(string(rec.Key.Bytes), "k00") {
			return fmt.Errorf("decoded key %q and a %d-byte value, want k00000042 and 90 bytes", rec.Key.Bytes, len(rec.Value.Bytes))
		}
		return nil
	})
}
