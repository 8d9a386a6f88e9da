package protobuf

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// otherProto is imported by orderProto as a registry reference.
const otherProto = `syntax = "proto3";
package other;
message Address {
  string city = 1;
  string zip = 2;
}
`

// orderProto covers what the codec has to carry: scalars of every wire
// type, a nested message, enums, repeated fields, maps, a oneof, a
// well-known type and a message from a referenced file.
const orderProto = `syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";
import "other.proto";

enum Status {
  STATUS_UNKNOWN = 0;
  STATUS_PAID = 1;
  STATUS_SHIPPED = 2;
}

message Order {
  int32 id = 1;
  int64 total_cents = 2;
  uint32 quantity = 3;
  uint64 big = 4;
  sint32 delta = 5;
  fixed64 checksum = 6;
  float ratio = 7;
  double amount = 8;
  bool paid = 9;
  string note = 10;
  bytes blob = 11;
  Customer customer = 12;
  Status status = 13;
  repeated string tags = 14;
  repeated Line lines = 15;
  map<string, int32> counts = 16;
  map<int64, Customer> by_id = 17;
  oneof payment {
    string card = 18;
    string iban = 19;
  }
  google.protobuf.Timestamp created = 20;
  other.Address address = 21;

  message Customer {
    string id = 1;
    string name = 2;
  }
  message Line {
    string sku = 1;
    int32 count = 2;
  }
}

message Unused {
  string never = 1;
}
`

var orderRefs = []codec.Reference{{Name: "other.proto", Schema: otherProto}}

// decoderFor compiles text independently of the codec, for the test's
// decoding side, and returns the descriptor of the named message.
func decoderFor(t testing.TB, text string, refs []codec.Reference, message protoreflect.FullName) protoreflect.MessageDescriptor {
	t.Helper()
	sources := map[string]string{"test.proto": text}
	for _, ref := range refs {
		sources[ref.Name] = ref.Schema
	}
	compiler := protocompile.Compiler{Resolver: protocompile.WithStandardImports(
		&protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(sources)})}
	files, err := compiler.Compile(context.Background(), "test.proto")
	if err != nil {
		t.Fatalf("compile test schema: %v", err)
	}
	descriptor, ok := files[0].FindDescriptorByName(message).(protoreflect.MessageDescriptor)
	if !ok {
		t.Fatalf("test schema has no message %s", message)
	}
	return descriptor
}

// decodeRecord checks the message-index byte and decodes the rest of an
// encoded record into a fresh dynamic message.
func decodeRecord(t testing.TB, descriptor protoreflect.MessageDescriptor, encoded []byte) *dynamicpb.Message {
	t.Helper()
	if len(encoded) == 0 || encoded[0] != 0 {
		t.Fatalf("encoded record %x does not start with the message index 0", encoded)
	}
	decoded := dynamicpb.NewMessage(descriptor)
	if err := proto.Unmarshal(encoded[1:], decoded); err != nil {
		t.Fatalf("decode %x: %v", encoded, err)
	}
	return decoded
}

// sameJSON compares two JSON texts as values, since protojson's output
// spacing is deliberately unstable.
func sameJSON(t testing.TB, got, want []byte) bool {
	t.Helper()
	var gotValue, wantValue any
	if err := json.Unmarshal(got, &gotValue); err != nil {
		t.Fatalf("decoded record as JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &wantValue); err != nil {
		t.Fatalf("expected JSON %s: %v", want, err)
	}
	return reflect.DeepEqual(gotValue, wantValue)
}

func mustCompile(t testing.TB, text string, refs ...codec.Reference) *Codec {
	t.Helper()
	compiled, err := Compile(text, refs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return compiled
}

func protojsonOf(t testing.TB, message proto.Message) []byte {
	t.Helper()
	text, err := protojson.Marshal(message)
	if err != nil {
		t.Fatalf("protojson.Marshal: %v", err)
	}
	return text
}
