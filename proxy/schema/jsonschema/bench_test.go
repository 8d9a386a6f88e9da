package jsonschema

import (
	"strings"
	"testing"
)

// tenFieldSchema and tenFieldRecord are the benchmark's record: ten fields
// of the common kinds, one nested object and one array.
const (
	tenFieldSchema = `{"title":"Order","type":"object","additionalProperties":false,
		"required":["id","customer","amount"],
		"properties":{
			"id":{"type":"integer"},"customer":{"type":"string"},"amount":{"type":"number","minimum":0},
			"currency":{"type":"string","enum":["EUR","USD"]},"paid":{"type":"boolean"},
			"note":{"type":["string","null"]},"created":{"type":"string","format":"date-time"},
			"tags":{"type":"array","items":{"type":"string"}},"quantity":{"type":"integer","minimum":1},
			"address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string"}}}}}`
	tenFieldRecord = `{"id": 12345, "customer": "ada", "amount": 99.5, "currency": "EUR", "paid": true,
		"note": null, "created": "2024-05-01T12:00:00Z", "tags": ["a", "b"], "quantity": 3,
		"address": {"city": "Zürich", "zip": "8000"}}`
)

func BenchmarkAppendTenFields(b *testing.B) {
	compiled := mustCompile(b, tenFieldSchema)
	data := []byte(tenFieldRecord)
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out, err := compiled.Append(dst[:0], data)
		if err != nil || len(out) == 0 {
			b.Fatalf("Append: %v", err)
		}
	}
}

// BenchmarkAppendNumbersAtTheBounds is the costliest numbers a record may
// hold: a thousand integers checked exactly at the largest exponent
// allowed.
func BenchmarkAppendNumbersAtTheBounds(b *testing.B) {
	compiled := mustCompile(b, `{"type":"array","items":{"type":"integer","minimum":0,"multipleOf":7}}`)
	data := []byte("[" + strings.Repeat("7e1000,", 999) + "7e1000]")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := compiled.Append(nil, data); err != nil {
			b.Fatalf("Append: %v", err)
		}
	}
}
