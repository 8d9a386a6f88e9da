package record

import (
	"fmt"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"math"
	"testing"
	"time"
)

// wantError is an expected *apierror.Error; Code 0 means "no error".
type wantError struct {
	Code    int
	Message string
}

func checkError(t *testing.T, what string, got *apierror.Error, want wantError) {
	t.Helper()
	switch {
	case got == nil && want.Code == 0:
	case got == nil:
		t.Errorf("%s: no error, want %d %q", what, want.Code, want.Message)
	case want.Code == 0:
		t.Errorf("%s: error %d %q, want none", what, got.Code(), got.Message)
	case got.Code() != want.Code || got.Message != want.Message:
		t.Errorf("%s: error\n  got  %d %q\n  want %d %q", what, got.Code(), got.Message, want.Code, want.Message)
	}
}

func bad(msg string) wantError { return wantError{400, msg} }

var schemaRegistry = wantError{422, "Error: 42206 : Payload error. Schema Registry must be configured when using schemas."}

// TestParseStructuralRules covers the structural checks of
// docs/produce-api.md, "The record object", and the first row (the record is
// not a valid record object) of "Failures of one record": each is a
// per-record 400 returned by Parse.
func TestParseStructuralRules(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wantError
	}{
		// "A JSON value that is not an object is one failed record".
		{"not an object: null", `null`, bad("A record must be a JSON object, not null.")},
		{"not an object: array", `[1]`, bad("A record must be a JSON object, not an array.")},
		{"not an object: number", `7`, bad("A record must be a JSON object, not a number.")},
		{"not an object: string", `"{}"`, bad("A record must be a JSON object, not a string.")},
		{"not an object: boolean", `true`, bad("A record must be a JSON object, not a boolean.")},
		{"empty text", ``, bad("Error processing JSON: unexpected end of JSON input at offset 0")},

		// "All fields optional; unknown fields give a per-record 400."
		{"unknown top-level field", `{"records":[]}`,
			bad(`Unrecognized field "records" in the record (known fields: "partition_id", "headers", "key", "value", "timestamp").`)},
		{"unknown top-level field is case-sensitive", `{"Key":null}`,
			bad(`Unrecognized field "Key" in the record (known fields: "partition_id", "headers", "key", "value", "timestamp").`)},
		{"unknown field in data object", `{"value":{"type":"JSON","data":1,"extra":true}}`,
			bad(`Unrecognized field "extra" in "value" (known fields: "type", "data", "subject", "subject_name_strategy", "schema_id", "schema_version", "schema").`)},
		{"unknown field in header object", `{"headers":[{"name":"a","value":null},{"name":"b","valu":"YQ=="}]}`,
			bad(`Unrecognized field "valu" in "headers[1]" (known fields: "name", "value").`)},
		{"duplicate top-level field", `{"key":null,"value":null,"key":null}`, bad(`Duplicate field "key" in the record.`)},
		{"duplicate field in data object", `{"key":{"type":"JSON","data":1,"data":2}}`, bad(`Duplicate field "data" in "key".`)},
		{"duplicate field in header", `{"headers":[{"name":"a","name":"b"}]}`, bad(`Duplicate field "name" in "headers[0]".`)},
		{"escaped field name is decoded", `{"\u006bey":{"type":"JSON","data":1},"key":null}`, bad(`Duplicate field "key" in the record.`)},

		// partition_id: int32 or null.
		{"partition_id string", `{"partition_id":"1"}`, bad(`Invalid field "partition_id": expected an int32 or null, got "1".`)},
		{"partition_id fraction", `{"partition_id":1.5}`, bad(`Invalid field "partition_id": expected an int32 or null, got 1.5.`)},
		{"partition_id 1.0 is not an integer", `{"partition_id":1.0}`, bad(`Invalid field "partition_id": expected an int32 or null, got 1.0.`)},
		{"partition_id exponent", `{"partition_id":1e2}`, bad(`Invalid field "partition_id": expected an int32 or null, got 1e2.`)},
		{"partition_id above int32", `{"partition_id":2147483648}`, bad(`Invalid field "partition_id": expected an int32 or null, got 2147483648.`)},
		{"partition_id below int32", `{"partition_id":-2147483649}`, bad(`Invalid field "partition_id": expected an int32 or null, got -2147483649.`)},
		{"partition_id boolean", `{"partition_id":true}`, bad(`Invalid field "partition_id": expected an int32 or null, got true.`)},

		// headers: array of {name, value} or null.
		{"headers object", `{"headers":{"name":"a"}}`, bad(`Invalid field "headers": expected an array of header objects or null, got {"name":"a"}.`)},
		{"header null element", `{"headers":[null]}`, bad(`Invalid field "headers[0]": expected a header object, got null.`)},
		{"header without name", `{"headers":[{"value":"YQ=="}]}`, bad(`Missing required field "headers[0].name".`)},
		{"header with null name", `{"headers":[{"name":null}]}`, bad(`Invalid field "headers[0].name": expected a string, got null.`)},
		{"header name number", `{"headers":[{"name":1}]}`, bad(`Invalid field "headers[0].name": expected a string, got 1.`)},
		{"header value number", `{"headers":[{"name":"a","value":1}]}`, bad(`Invalid field "headers[0].value": expected a padded standard base64 string or null, got 1.`)},
		{"header value not base64", `{"headers":[{"name":"a","value":"a b="}]}`, bad(`Invalid field "headers[0].value": expected a padded standard base64 string or null, got "a b=".`)},
		{"header value unpadded", `{"headers":[{"name":"a","value":"YQ"}]}`, bad(`Invalid field "headers[0].value": expected a padded standard base64 string or null, got "YQ".`)},
		{"header value URL alphabet", `{"headers":[{"name":"a","value":"-_8="}]}`, bad(`Invalid field "headers[0].value": expected a padded standard base64 string or null, got "-_8=".`)},
		{"header value with escaped line break", `{"headers":[{"name":"a","value":"YQ==\nYQ=="}]}`, bad(`Invalid field "headers[0].value": expected a padded standard base64 string or null, got "YQ==\nYQ==".`)},

		// Data object.
		{"key is a string", `{"key":"abc"}`, bad(`Invalid field "key": expected a data object or null, got "abc".`)},
		{"value is an array", `{"value":[1, 2]}`, bad(`Invalid field "value": expected a data object or null, got [1,2].`)},
		{"type is case-sensitive", `{"key":{"type":"binary","data":"YQ=="}}`,
			bad(`Invalid field "key.type": expected one of "BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA", "PROTOBUF" or null, got "binary".`)},
		{"type is a number", `{"value":{"type":1,"data":"YQ=="}}`,
			bad(`Invalid field "value.type": expected one of "BINARY", "JSON", "STRING", "AVRO", "JSONSCHEMA", "PROTOBUF" or null, got 1.`)},
		{"data must be present", `{"key":{"type":"STRING"}}`, bad(`Missing required field "key.data".`)},
		{"data must be present: empty data object", `{"value":{}}`, bad(`Missing required field "value.data".`)},
		{"subject wrong type", `{"key":{"subject":1,"data":1}}`, bad(`Invalid field "key.subject": expected a string or null, got 1.`)},
		{"schema wrong type", `{"key":{"schema":{},"data":1}}`, bad(`Invalid field "key.schema": expected a string or null, got {}.`)},
		{"schema_id not int32", `{"key":{"schema_id":"1","data":1}}`, bad(`Invalid field "key.schema_id": expected an int32 or null, got "1".`)},
		{"schema_version not int32", `{"key":{"schema_version":1.5,"data":1}}`, bad(`Invalid field "key.schema_version": expected an int32 or null, got 1.5.`)},
		{"subject_name_strategy bad enum", `{"key":{"subject_name_strategy":"TOPIC","data":1}}`,
			bad(`Invalid field "key.subject_name_strategy": expected one of "TOPIC_NAME", "RECORD_NAME", "TOPIC_RECORD_NAME" or null, got "TOPIC".`)},

		// Schema fields with BINARY/JSON/STRING: 400 naming the field.
		{"BINARY with subject", `{"key":{"type":"BINARY","subject":"foobar"}}`, bad(`'type=BINARY' cannot be used with 'subject'.`)},
		{"BINARY with subject_name_strategy", `{"key":{"type":"BINARY","subject_name_strategy":"TOPIC_NAME","data":""}}`, bad(`'type=BINARY' cannot be used with 'subject_name_strategy'.`)},
		{"JSON with schema_id", `{"value":{"type":"JSON","schema_id":1,"data":1}}`, bad(`'type=JSON' cannot be used with 'schema_id'.`)},
		{"STRING with schema_version", `{"value":{"type":"STRING","schema_version":1,"data":"a"}}`, bad(`'type=STRING' cannot be used with 'schema_version'.`)},
		{"STRING with schema", `{"value":{"data":"a","schema":"{}","type":"STRING"}}`, bad(`'type=STRING' cannot be used with 'schema'.`)},
		{"null schema fields are absent", `{"value":{"type":"STRING","data":"a","schema":null,"subject":null,"schema_id":null}}`, wantError{}},
		{"subject and subject_name_strategy", `{"key":{"subject":"a","subject_name_strategy":"TOPIC_NAME","data":1}}`, bad(`Only one of 'subject_name_strategy' or 'subject' can be used.`)},
		{"schema_id and schema_version", `{"key":{"schema_id":1,"schema_version":1,"data":1}}`, bad(`Only one of 'schema_id', 'schema_version' or 'schema' can be used.`)},

		// timestamp: RFC 3339, epoch seconds or null; not before 1970.
		{"timestamp not RFC 3339", `{"timestamp":"2021-02-05 19:14:42"}`,
			bad(`Invalid field "timestamp": expected an RFC 3339 date-time string, a number of epoch seconds, or null, got "2021-02-05 19:14:42".`)},
		{"timestamp boolean", `{"timestamp":false}`,
			bad(`Invalid field "timestamp": expected an RFC 3339 date-time string, a number of epoch seconds, or null, got false.`)},
		{"timestamp before 1970 (string)", `{"timestamp":"1969-12-31T23:59:59.999Z"}`, bad(`Invalid field "timestamp": "1969-12-31T23:59:59.999Z" is before 1970-01-01T00:00:00Z.`)},
		{"timestamp before 1970 (offset)", `{"timestamp":"1970-01-01T00:30:00+01:00"}`, bad(`Invalid field "timestamp": "1970-01-01T00:30:00+01:00" is before 1970-01-01T00:00:00Z.`)},
		{"timestamp before 1970 (seconds)", `{"timestamp":-1}`, bad(`Invalid field "timestamp": -1 is before 1970-01-01T00:00:00Z.`)},
		{"timestamp before 1970 (sub-millisecond)", `{"timestamp":-0.0001}`, bad(`Invalid field "timestamp": -0.0001 is before 1970-01-01T00:00:00Z.`)},
		{"timestamp after 9999", `{"timestamp":253402300800}`,
			bad(`Invalid field "timestamp": expected an RFC 3339 date-time string, a number of epoch seconds, or null up to year 9999, got 253402300800.`)},
		{"timestamp huge exponent", `{"timestamp":1e999999999999}`,
			bad(`Invalid field "timestamp": expected an RFC 3339 date-time string, a number of epoch seconds, or null up to year 9999, got 1e999999999999.`)},

		// Invalid JSON inside a record's braces fails that record alone.
		{"trailing comma in object", `{"key":null,}`, bad(`Error processing JSON: invalid character '}' looking for beginning of object key string at offset 12`)},
		{"missing colon", `{"key" null}`, bad(`Error processing JSON: invalid character 'n' after object key at offset 7`)},
		{"bad literal", `{"key":nul}`, bad(`Error processing JSON: invalid character '}' in literal null (expecting 'l') at offset 10`)},
		{"bad number in data", `{"value":{"type":"JSON","data":01}}`, bad(`Error processing JSON: invalid number "01" at offset 31`)},
		{"raw control character in string", "{\"value\":{\"type\":\"STRING\",\"data\":\"a\x00b\"}}", bad(`Error processing JSON: invalid character '\x00' in string literal at offset 35`)},
		{"raw newline in string", "{\"value\":{\"type\":\"STRING\",\"data\":\"a\nb\"}}", bad(`Error processing JSON: invalid character '\x0a' in string literal at offset 35`)},
		{"invalid UTF-8 in string", "{\"value\":{\"type\":\"STRING\",\"data\":\"a\xffb\"}}", bad(`Error processing JSON: invalid UTF-8 in string literal at offset 35`)},
		// A lone half of a UTF-16 surrogate pair is no character either.
		{"lone high surrogate", `{"value":{"type":"STRING","data":"\ud800x"}}`, bad(`Error processing JSON: lone UTF-16 surrogate \ud800 in string literal at offset 34`)},
		{"lone low surrogate", `{"value":{"type":"STRING","data":"\udc00"}}`, bad(`Error processing JSON: lone UTF-16 surrogate \udc00 in string literal at offset 34`)},
		{"high surrogate then not a low one", `{"value":{"type":"STRING","data":"\ud800\u0041"}}`, bad(`Error processing JSON: lone UTF-16 surrogate \ud800 in string literal at offset 34`)},
		{"bad escape", `{"value":{"type":"STRING","data":"a\qb"}}`, bad(`Error processing JSON: invalid character 'q' in string escape code at offset 36`)},
		{"bad unicode escape", `{"value":{"type":"STRING","data":"\u12G4"}}`, bad(`Error processing JSON: invalid character 'G' in \u hexadecimal character escape at offset 38`)},
		{"mismatched brackets", `{"value":{"type":"JSON","data":[1}]}`, bad(`Error processing JSON: invalid character '}' after array element at offset 33`)},
		{"two values", `{}{}`, bad(`Error processing JSON: invalid character '{' after top-level value at offset 2`)},
		{"truncated", `{"key":{"type":"JSON","data":[`, bad(`Error processing JSON: unexpected end of JSON input at offset 30`)},
		{"nesting too deep", `{"value":{"type":"JSON","data":` + string(bytes.Repeat([]byte("["), 1001)) + string(bytes.Repeat([]byte("]"), 1001)) + `}}`,
			bad(`Error processing JSON: exceeded max nesting depth 1000 at offset 1029`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Parse([]byte(tt.in))
			checkError(t, "Parse("+tt.in+")", err, tt.want)
			if rec.Size != len(tt.in) {
				t.Errorf("Size = %d, want %d", rec.Size, len(tt.in))
			}
		})
	}
}

// TestEncodeRules covers the encoding checks of docs/produce-api.md,
// "Data objects (`key` and `value`)", which Encode returns after Parse
// accepted the record, key before value.
func TestEncodeRules(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wantError
	}{
		{"BINARY data not a string", `{"key":{"type":"BINARY","data":{"a": 1}}}`, bad(`Bad Request: data={"a":1} is not a base64 string.`)},
		{"BINARY data number", `{"value":{"type":"BINARY","data":12}}`, bad(`Bad Request: data=12 is not a base64 string.`)},
		{"BINARY data not valid base64", `{"key":{"type":"BINARY","data":"not base64!"}}`, bad(`Bad Request: data="not base64!" is not a valid base64 string.`)},
		{"BINARY data URL alphabet", `{"key":{"type":"BINARY","data":"-_8"}}`, bad(`Bad Request: data="-_8" is not a valid base64 string.`)},
		{"BINARY data partial padding", `{"key":{"type":"BINARY","data":"YQ="}}`, bad(`Bad Request: data="YQ=" is not a valid base64 string.`)},
		{"BINARY data impossible length", `{"key":{"type":"BINARY","data":"YWJjZ"}}`, bad(`Bad Request: data="YWJjZ" is not a valid base64 string.`)},
		{"STRING data not a string", `{"key":{"type":"STRING","data":[1, "a"]}}`, bad(`Bad Request: data=[1,"a"] is not a string.`)},
		{"STRING data boolean", `{"value":{"type":"STRING","data":true}}`, bad(`Bad Request: data=true is not a string.`)},
		{"no type: schema needed", `{"value":{"data":{"a":1}}}`, schemaRegistry},
		{"null type: schema needed", `{"value":{"type":null,"data":1}}`, schemaRegistry},
		{"AVRO: schema needed", `{"value":{"type":"AVRO","data":1}}`, schemaRegistry},
		{"JSONSCHEMA: schema needed", `{"key":{"type":"JSONSCHEMA","schema_id":3,"data":1}}`, schemaRegistry},
		{"PROTOBUF: schema needed, null data", `{"key":{"type":"PROTOBUF","data":null}}`, schemaRegistry},
		{"key checked before value", `{"value":{"type":"STRING","data":1},"key":{"data":1}}`, schemaRegistry},
		{"value checked after a good key", `{"key":{"type":"STRING","data":"k"},"value":{"type":"STRING","data":1}}`, bad(`Bad Request: data=1 is not a string.`)},
		{"null data needs no encoding", `{"key":{"type":"BINARY","data":null},"value":{"type":"STRING","data":null}}`, wantError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%s): %d %q, want success (encoding errors belong to Encode)", tt.in, err.Code(), err.Message)
			}
			checkError(t, "Encode", rec.Encode(nil), tt.want)
		})
	}
}

// TestParseEncodeValues checks what a valid record turns into.
func TestParseEncodeValues(t *testing.T) {
	ts := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	data := func(typ string, b string) Data { return Data{Typed: typ != "", Type: typ, Bytes: []byte(b)} }
	null := func(typ string) Data { return Data{Typed: typ != "", Type: typ} }
	tests := []struct {
		name string
		in   string
		want Record // Size is checked separately
	}{
		{"empty object: every field optional", `{}`, Record{Partition: AnyPartition}},
		{"explicit nulls", `{"partition_id":null,"headers":null,"key":null,"value":null,"timestamp":null}`, Record{Partition: AnyPartition}},
		{"whitespace everywhere", " {\t\"partition_id\" :\r\n 3 } \n", Record{Partition: 3}},
		{"partition_id max int32", `{"partition_id":2147483647}`, Record{Partition: math.MaxInt32}},
		{"partition_id negative kept for the 40402 check", `{"partition_id":-5}`, Record{Partition: -5}},
		{"partition_id explicit -1 stays distinct from absent", `{"partition_id":-1}`, Record{Partition: math.MinInt32}},
		{"headers: order, duplicates, null and empty values kept", `{"headers":[{"name":"b","value":"YQ=="},{"value":null,"name":"a"},{"name":"b","value":""},{"name":"\u00e9"}]}`,
			Record{Partition: AnyPartition, Headers: []Header{{"b", []byte("a")}, {"a", nil}, {"b", []byte{}}, {"é", nil}}}},
		{"headers: empty array", `{"headers":[]}`, Record{Partition: AnyPartition}},
		{"BINARY padded", `{"key":{"type":"BINARY","data":"Zm9vYmFy"}}`, Record{Partition: AnyPartition, Key: data("BINARY", "foobar")}},
		{"BINARY unpadded", `{"key":{"type":"BINARY","data":"Zm9vYg"}}`, Record{Partition: AnyPartition, Key: data("BINARY", "foob")}},
		{"BINARY padded short", `{"key":{"type":"BINARY","data":"Zm9vYg=="}}`, Record{Partition: AnyPartition, Key: data("BINARY", "foob")}},
		{"BINARY with escaped slash", `{"key":{"type":"BINARY","data":"\/w=="}}`, Record{Partition: AnyPartition, Key: data("BINARY", "\xff")}},
		{"BINARY empty", `{"key":{"type":"BINARY","data":""}}`, Record{Partition: AnyPartition, Key: data("BINARY", "")}},
		{"STRING stored as UTF-8", `{"value":{"type":"STRING","data":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é"}}`,
			Record{Partition: AnyPartition, Value: data("STRING", "a\"\\/\b\f\n\r\t\u00e9\U0001F600é")}},
		{"STRING escaped NUL kept", `{"value":{"type":"STRING","data":"a\u0000b"}}`, Record{Partition: AnyPartition, Value: data("STRING", "a\x00b")}},
		{"STRING surrogate pair", `{"value":{"type":"STRING","data":"\ud83d\ude00x"}}`, Record{Partition: AnyPartition, Value: data("STRING", "\U0001F600x")}},
		{"JSON string stored with its quotes", `{"value":{"type":"JSON","data":"foo"}}`, Record{Partition: AnyPartition, Value: data("JSON", `"foo"`)}},
		{"JSON object compacted, member order kept", `{"value":{"type":"JSON","data":{ "foo" : 7 }}}`, Record{Partition: AnyPartition, Value: data("JSON", `{"foo":7}`)}},
		{"JSON keeps string contents and escapes", `{"value":{"data":{"z" : "a b\"}", "a":[1, 2.50, -0e1, true]},"type":"JSON"}}`,
			Record{Partition: AnyPartition, Value: data("JSON", `{"z":"a b\"}","a":[1,2.50,-0e1,true]}`)}},
		{"JSON duplicate member names in data are kept", `{"value":{"type":"JSON","data":{"a":1,"a":2}}}`, Record{Partition: AnyPartition, Value: data("JSON", `{"a":1,"a":2}`)}},
		{"typed null data", `{"key":{"type":"JSON","data":null},"value":{"type":"BINARY","data":null}}`,
			Record{Partition: AnyPartition, Key: null("JSON"), Value: null("BINARY")}},
		{"timestamp RFC 3339 UTC", `{"timestamp":"2021-02-05T19:14:42Z"}`, Record{Partition: AnyPartition, Timestamp: ts("2021-02-05T19:14:42Z")}},
		{"timestamp RFC 3339 offset, truncated to ms", `{"timestamp":"2021-02-05T21:14:42.123999+02:00"}`, Record{Partition: AnyPartition, Timestamp: ts("2021-02-05T19:14:42.123Z")}},
		{"timestamp epoch zero", `{"timestamp":"1970-01-01T00:00:00Z"}`, Record{Partition: AnyPartition, Timestamp: ts("1970-01-01T00:00:00Z")}},
		{"timestamp epoch seconds integer", `{"timestamp":1}`, Record{Partition: AnyPartition, Timestamp: ts("1970-01-01T00:00:01Z")}},
		{"timestamp epoch seconds fraction exact in decimal", `{"timestamp":1684261251.844}`, Record{Partition: AnyPartition, Timestamp: ts("2023-05-16T18:20:51.844Z")}},
		{"timestamp epoch seconds truncated", `{"timestamp":1.9999}`, Record{Partition: AnyPartition, Timestamp: ts("1970-01-01T00:00:01.999Z")}},
		{"timestamp epoch seconds exponent", `{"timestamp":1.684261251844E9}`, Record{Partition: AnyPartition, Timestamp: ts("2023-05-16T18:20:51.844Z")}},
		{"timestamp negative zero", `{"timestamp":-0.0}`, Record{Partition: AnyPartition, Timestamp: ts("1970-01-01T00:00:00Z")}},
		{"timestamp tiny positive", `{"timestamp":1e-9}`, Record{Partition: AnyPartition, Timestamp: ts("1970-01-01T00:00:00Z")}},
		{"timestamp last of year 9999", `{"timestamp":253402300799.999}`, Record{Partition: AnyPartition, Timestamp: ts("9999-12-31T23:59:59.999Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %d %q", err.Code(), err.Message)
			}
			if err := rec.Encode(nil); err != nil {
				t.Fatalf("Encode: %d %q", err.Code(), err.Message)
			}
			if want := len(bytes.TrimSpace([]byte(tt.in))); rec.Size != want {
				t.Errorf("Size = %d, want %d", rec.Size, want)
			}
			if rec.Partition != tt.want.Partition {
				t.Errorf("Partition = %d, want %d", rec.Partition, tt.want.Partition)
			}
			if !rec.Timestamp.Equal(tt.want.Timestamp) || rec.Timestamp.Location() != time.UTC {
				t.Errorf("Timestamp = %v, want %v in UTC", rec.Timestamp, tt.want.Timestamp)
			}
			if len(rec.Headers) != len(tt.want.Headers) {
				t.Fatalf("Headers = %q, want %q", rec.Headers, tt.want.Headers)
			}
			for i, h := range rec.Headers {
				w := tt.want.Headers[i]
				if h.Name != w.Name || !bytes.Equal(h.Value, w.Value) || (h.Value == nil) != (w.Value == nil) {
					t.Errorf("Headers[%d] = {%q, %q (nil %t)}, want {%q, %q (nil %t)}", i, h.Name, h.Value, h.Value == nil, w.Name, w.Value, w.Value == nil)
				}
			}
			checkData(t, "Key", rec.Key, tt.want.Key)
			checkData(t, "Value", rec.Value, tt.want.Value)
		})
	}
}

func checkData(t *testing.T, what string, got, want Data) {
	t.Helper()
	if got.Typed != want.Typed || got.Type != want.Type || !bytes.Equal(got.Bytes, want.Bytes) || (got.Bytes == nil) != (want.Bytes == nil) {
		t.Errorf("%s = {Typed:%t Type:%q Bytes:%q (nil %t)}, want {Typed:%t Type:%q Bytes:%q (nil %t)}",
			what, got.Typed, got.Type, got.Bytes, got.Bytes == nil, want.Typed, want.Type, want.Bytes, want.Bytes == nil)
	}
}

// TestParseOwnsItsBytes checks that a Record stays intact when the decoder
// reuses the buffer it was parsed from, and that its slices cannot overwrite
// each other through append.
func TestParseOwnsItsBytes(t *testing.T) {
	raw := []byte(`{"headers":[{"name":"h","value":"aGRy"}],"key":{"type":"STRING","data":"key"},"value":{"type":"JSON","data":[1,2]}}`)
	rec, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Encode(nil); err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = 'X'
	}
	_ = append(rec.Key.Bytes, "!!!!!!!!"...)
	_ = append(rec.Headers[0].Value, "!!!!!!!!"...)
	if string(rec.Headers[0].Value) != "hdr" || string(rec.Key.Bytes) != "key" || string(rec.Value.Bytes) != "[1,2]" {
		t.Errorf("record changed with its input: header %q, key %q, value %q", rec.Headers[0].Value, rec.Key.Bytes, rec.Value.Bytes)
	}
}

// TestEncodeBeforeParseData checks that Bytes stays unset until Encode, as the
// server's order of checks expects.
func TestEncodeFillsBytes(t *testing.T) {
	rec, err := Parse([]byte(`{"value":{"type":"STRING","data":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Value.Bytes != nil {
		t.Errorf("Value.Bytes = %q before Encode, want nil", rec.Value.Bytes)
	}
	if err := rec.Encode(nil); err != nil || string(rec.Value.Bytes) != "v" {
		t.Errorf("after Encode: Value.Bytes = %q, err %v; want \"v\", nil", rec.Value.Bytes, err)
	}
}

// testError is the error a test expects: the record failure kind that has
// code, with msg.
func testError(code int, msg string) *apierror.Error {
	for _, k := range apierror.RecordFailures() {
		if k.Entry().Code == code {
			return apierror.Detail(k, msg)
		}
	}
	panic(fmt.Sprintf("no record failure has error_code %d", code))
}
