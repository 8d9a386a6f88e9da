package protobuf

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// FuzzProtobufJSON feeds arbitrary bytes to Append over orderProto. Append
// must not panic; what it accepts must decode back, independently, to the
// message protojson reads from the same JSON, and re-encode to the same
// bytes; what it refuses must be a one-line DataError.
func FuzzProtobufJSON(f *testing.F) {
	for _, tc := range roundTripCases {
		f.Add([]byte(tc.data))
	}
	for _, tc := range dataErrorCases {
		f.Add([]byte(tc.data))
	}
	compiled := mustCompile(f, orderProto, orderRefs...)
	descriptor := decoderFor(f, orderProto, orderRefs, "shop.Order")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := compiled.Append(nil, data)
		if err != nil {
			var dataErr *codec.DataError
			if !errors.As(err, &dataErr) || strings.ContainsAny(dataErr.Problem, "\r\n") {
				t.Fatalf("Append(%q) error = %#v, want a one-line *codec.DataError", data, err)
			}
			return
		}
		decoded := decodeRecord(t, descriptor, out)
		read := dynamicpb.NewMessage(descriptor)
		if err := protojson.Unmarshal(data, read); err != nil {
			t.Fatalf("Append accepted %q, which protojson refuses: %v", data, err)
		}
		if !proto.Equal(decoded, read) {
			t.Fatalf("Append(%q) decodes to %v, want %v", data, decoded, read)
		}
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(decoded)
		if err != nil || !bytes.Equal(again, out[1:]) {
			t.Fatalf("Append(%q) = %x, re-encoded %x (%v)", data, out[1:], again, err)
		}
	})
}

// FuzzProtobufCompile feeds arbitrary schema text to Compile: it must not
// panic, and a schema it accepts must name its record and encode an empty
// one as the index byte alone.
func FuzzProtobufCompile(f *testing.F) {
	for _, seed := range []string{orderProto, otherProto, tenFieldProto, `syntax = "proto2"; message R { required int32 x = 1; }`,
		`edition = "2023"; message M { int32 id = 1; }`, `syntax = "proto3"; message {`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		compiled, err := Compile(text, orderRefs)
		if err != nil {
			return
		}
		if compiled.RecordName() == "" {
			t.Fatalf("Compile(%q) accepted a schema without a record name", text)
		}
		out, err := compiled.Append(nil, []byte(`{}`))
		if err == nil && !bytes.Equal(out, []byte{0}) {
			t.Fatalf("Append({}) over %q = %x, want 00", text, out)
		}
	})
}
