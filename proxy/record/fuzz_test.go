package record

import (
	"fmt"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// chunkReader returns at most n bytes per Read, to check that how the body
// arrives never changes how it is cut.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n, len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// streamResult is everything a decoder produced for one body.
type streamResult struct {
	values [][]byte
	err    error
	// mismatch says how the first value parsed with the decoder's extents
	// differed from ParseIn's; "" when none did.
	mismatch string
}

func decodeBody(r io.Reader, max int) streamResult {
	d := NewStreamDecoder(r, max)
	var res streamResult
	for {
		v, err := d.Next()
		if err != nil {
			res.err = err
			return res
		}
		if m := streamedParseDiffers(v, d); m != "" && res.mismatch == "" {
			res.mismatch = m
		}
		res.values = append(res.values, bytes.Clone(v))
	}
}

// streamedParseDiffers says how ParseStreamedIn, given the decoder's
// extents, parses v otherwise than ParseIn; "" when alike.
func streamedParseDiffers(v []byte, d *StreamDecoder) string {
	got, gerr := ParseStreamedIn(v, nil, d)
	want, werr := ParseIn(v, nil)
	switch {
	case (gerr == nil) != (werr == nil):
		return fmt.Sprintf("%q: streamed error %v, ParseIn %v", v, gerr, werr)
	case gerr != nil && gerr.Message != werr.Message:
		return fmt.Sprintf("%q: streamed %q, ParseIn %q", v, gerr.Message, werr.Message)
	case gerr == nil && (schemaData(got.Key) != schemaData(want.Key) || schemaData(got.Value) != schemaData(want.Value)):
		return fmt.Sprintf("%q: streamed schema data differs", v)
	}
	return ""
}

func schemaData(d Data) string {
	if d.Schema == nil {
		return "-"
	}
	return string(d.Schema.Data)
}

func FuzzStreamDecodeAndParse(f *testing.F) {
	seeds := []string{
		``,
		" \r\n\t",
		`{}`,
		`{"partition_id":1,"headers":[{"name":"h","value":"YQ=="}],"key":{"type":"STRING","data":"k"},"value":{"type":"JSON","data":{"a":[1,2]}},"timestamp":1684261251.844}`,
		`{"key":{"type":"BINARY","data":"Zm9vYmFy"}}{"value":{"type":"BINARY","data":"YQ"}}`,
		`{"key":{"type":"BINARY","data":7}} {"key":{"type":"STRING","data":{}}}`,
		`{"value":{"type":"AVRO","data":1}}{"value":{"data":null}}`,
		`{"key":{"type":"BINARY","subject":"x"}}`,
		`{"key":{"subject":"a","subject_name_strategy":"TOPIC_NAME","data":1}}`,
		`null[1]7"s"true`,
		`{"a":1},{"b":2}`,
		`{"a":"}{\"\\"}{"b":"[\\\""}`,
		`{"timestamp":"2021-02-05T19:14:42.123+02:00"}{"timestamp":-1}{"timestamp":1e400}`,
		`{"value":{"type":"STRING","data":"\ud83d\ude00\ud800\u0000é"}}`,
		"{\"value\":{\"type\":\"STRING\",\"data\":\"\xff\"}}",
		`{"headers":[{"name":"a"},{"name":"a","value":null},null]}`,
		`{"partition_id":-1}{"partition_id":2147483648}{"partition_id":1.0}`,
		`{"key":nul}{"key":{}} {"a":`,
		`{"value":{"type":"JSON","data":[[[[[[[[[[]]]]]]]]]]}}`,
		`{"key":null,"key":null}`,
		`1.2.3`,
		`{"\u006bey":null}`,
		`{"value":{"schema_id":1,"data":{"a":"}","b":[1,{"c":"\"]"}]}},"key":{"type":"AVRO","schema":"s","data":[{"x":1}]}}`,
		`{"headers":[{"name":"h","value":null}],"value":{"data":{"a":1},"schema_version":2}}{"value":{"subject":"s","data":{"a":1,}}}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i%5+1), uint16(0))
		f.Add([]byte(s), uint8(3), uint16(20))
	}
	f.Fuzz(func(t *testing.T, body []byte, chunk uint8, limit uint16) {
		max := int(limit)
		whole := decodeBody(bytes.NewReader(body), max)
		chunked := decodeBody(&chunkReader{b: body, n: int(chunk%16) + 1}, max)
		oneByte := decodeBody(iotest.OneByteReader(bytes.NewReader(body)), max)
		for _, other := range []streamResult{chunked, oneByte} {
			if !sameResult(whole, other) {
				t.Fatalf("reading in chunks changed the result:\n whole %q %v\n chunked %q %v", whole.values, whole.err, other.values, other.err)
			}
		}
		if whole.mismatch != "" {
			t.Fatal(whole.mismatch)
		}
		checkCut(t, body, max, whole)
		for _, v := range whole.values {
			checkRecord(t, v)
		}
	})
}

func sameResult(a, b streamResult) bool {
	if len(a.values) != len(b.values) {
		return false
	}
	for i := range a.values {
		if !bytes.Equal(a.values[i], b.values[i]) {
			return false
		}
	}
	var ae, be *apierror.Error
	if errors.As(a.err, &ae) && errors.As(b.err, &be) {
		return *ae == *be
	}
	return a.err == b.err
}

// checkCut checks that the values are the body's own bytes, in order, with
// only whitespace between them, each within the limit, and that the stream
// ends cleanly exactly when only whitespace is left.
func checkCut(t *testing.T, body []byte, max int, res streamResult) {
	pos := 0
	skip := func() {
		for pos < len(body) && isSpace(body[pos]) {
			pos++
		}
	}
	for i, v := range res.values {
		skip()
		if !bytes.HasPrefix(body[pos:], v) {
			t.Fatalf("value %d %q is not the next text of the body at %d", i, v, pos)
		}
		if len(v) == 0 || (max > 0 && len(v) > max) {
			t.Fatalf("value %d has size %d (limit %d)", i, len(v), max)
		}
		pos += len(v)
	}
	skip()
	var e *apierror.Error
	switch {
	case res.err == io.EOF && pos != len(body):
		t.Fatalf("clean end with %q left", body[pos:])
	case res.err != io.EOF && !errors.As(res.err, &e):
		t.Fatalf("stream ended with %v, want io.EOF or *apierror.Error", res.err)
	case e != nil && (e.Code() != 400 || pos == len(body)):
		t.Fatalf("fatal error %d %q with nothing wrong left in the body", e.Code(), e.Message)
	case e != nil:
		if r := AppendError(nil, e); !json.Valid(r) {
			t.Fatalf("fatal report is not valid JSON: %q", r)
		}
	}
}

// checkRecord checks Parse and Encode of one value: exactly one outcome,
// sizes, and agreement with encoding/json where it applies.
func checkRecord(t *testing.T, v []byte) {
	rec, perr := Parse(v)
	if rec.Size != len(v) {
		t.Fatalf("Size = %d, want %d", rec.Size, len(v))
	}
	if perr != nil {
		if perr.Code() != 400 || perr.Message == "" {
			t.Fatalf("Parse(%q) error %d %q, want a 400 with a message", v, perr.Code(), perr.Message)
		}
		if r := AppendError(nil, perr); !json.Valid(r) {
			t.Fatalf("error report is not valid JSON: %q", r)
		}
		return
	}
	if !json.Valid(v) && rec.Key.Schema == nil && rec.Value.Schema == nil {
		// A schema's data is read whole by its codec, not by Parse.
		t.Fatalf("Parse accepted invalid JSON %q", v)
	}
	if eerr := rec.Encode(nil); eerr != nil {
		if (eerr.Code() != 400 && eerr.Code() != 422) || eerr.Message == "" {
			t.Fatalf("Encode(%q) error %d %q", v, eerr.Code(), eerr.Message)
		}
		if r := AppendError(nil, eerr); !json.Valid(r) {
			t.Fatalf("error report is not valid JSON: %q", r)
		}
		return
	}
	checkAgainstEncodingJSON(t, v, &rec)
	report := AppendSuccess(nil, &Success{ClusterID: "c", Topic: "t", Offset: 1, Timestamp: rec.Timestamp, Key: rec.Key.Summary(), Value: rec.Value.Summary()})
	if !json.Valid(report) {
		t.Fatalf("success report is not valid JSON: %q", report)
	}
	if !rec.Timestamp.IsZero() && (rec.Timestamp.Before(time.Unix(0, 0)) || rec.Timestamp.Nanosecond()%1e6 != 0) {
		t.Fatalf("timestamp %v before 1970 or not whole milliseconds", rec.Timestamp)
	}
}

// checkAgainstEncodingJSON decodes the record with encoding/json (which does
// not reject duplicate or unknown fields, but they were rejected already) and
// compares the key and value contents.
func checkAgainstEncodingJSON(t *testing.T, v []byte, rec *Record) {
	var ref struct {
		Key, Value *struct {
			Type string
			Data json.RawMessage
		}
	}
	if err := json.Unmarshal(v, &ref); err != nil {
		t.Fatalf("encoding/json rejects accepted record %q: %v", v, err)
	}
	for _, c := range []struct {
		ref *struct {
			Type string
			Data json.RawMessage
		}
		got Data
	}{{ref.Key, rec.Key}, {ref.Value, rec.Value}} {
		if c.ref == nil || string(c.ref.Data) == "null" {
			if c.got.Bytes != nil {
				t.Fatalf("null data stored as %q", c.got.Bytes)
			}
			continue
		}
		switch c.ref.Type {
		case TypeString:
			var s string
			if err := json.Unmarshal(c.ref.Data, &s); err != nil || s != string(c.got.Bytes) {
				t.Fatalf("STRING data %s stored as %q, encoding/json says %q (%v)", c.ref.Data, c.got.Bytes, s, err)
			}
		case TypeBinary:
			var text string
			if err := json.Unmarshal(c.ref.Data, &text); err != nil {
				t.Fatalf("BINARY data %s accepted but not a string: %v", c.ref.Data, err)
			}
			enc := base64.StdEncoding
			if len(text)%4 != 0 {
				enc = base64.RawStdEncoding
			}
			want, err := enc.DecodeString(text)
			if err != nil || strings.ContainsAny(text, "\r\n") || !bytes.Equal(want, c.got.Bytes) {
				t.Fatalf("BINARY data %s stored as %q, encoding/base64 says %q (%v)", c.ref.Data, c.got.Bytes, want, err)
			}
		case TypeJSON:
			var compact bytes.Buffer
			if err := json.Compact(&compact, c.ref.Data); err != nil || !bytes.Equal(compact.Bytes(), c.got.Bytes) {
				t.Fatalf("JSON data %s stored as %q, json.Compact says %q (%v)", c.ref.Data, c.got.Bytes, compact.Bytes(), err)
			}
		}
	}
}
