package protobuf

import "testing"

// tenFieldProto and tenFieldRecord are the benchmark's record: ten fields
// of the common kinds, one nested message and one repeated field.
const (
	tenFieldProto = `syntax = "proto3";
package bench;
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  string customer = 2;
  double amount = 3;
  Currency currency = 4;
  bool paid = 5;
  string note = 6;
  google.protobuf.Timestamp created = 7;
  repeated string tags = 8;
  int32 quantity = 9;
  Address address = 10;
  enum Currency { CURRENCY_UNKNOWN = 0; EUR = 1; USD = 2; }
  message Address { string city = 1; string zip = 2; }
}`
	tenFieldRecord = `{"id": "12345", "customer": "ada", "amount": 99.5, "currency": "EUR", "paid": true,
		"note": "", "created": "2024-05-01T12:00:00Z", "tags": ["a", "b"], "quantity": 3,
		"address": {"city": "Zürich", "zip": "8000"}}`
)

func BenchmarkAppendTenFields(b *testing.B) {
	compiled := mustCompile(b, tenFieldProto)
	data := []byte(tenFieldRecord)
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out, err := compiled.Append(dst[:0], data)
		if err != nil || len(out) < 2 {
			b.Fatalf("Append: %v", err)
		}
	}
}
