package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"
)

// Every record of an avro set is the same exact size, names the schema id,
// and its data is valid Avro JSON for the schema, read by an Avro library
// of its own (goavro), which also sees all ten fields.
func TestNewAvroRecordSet_ExactSizeAndDataFitsTheSchema(t *testing.T) {
	t.Parallel()
	codec, err := goavro.NewCodec(benchAvroSchema)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	smallest, err := newAvroRecordSet(recordSetSize, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 200, smallest.size + 1, 1000} {
		rs, err := newAvroRecordSet(recordSetSize, size, 7)
		if err != nil {
			t.Fatal(err)
		}
		if want := max(size, smallest.size); rs.size != want {
			t.Fatalf("size %d: set of %d-byte records, want %d", size, rs.size, want)
		}
		for i, raw := range rs.json {
			if len(raw) != rs.size {
				t.Fatalf("size %d: record %d is %d bytes, want %d", size, i, len(raw), rs.size)
			}
			checkAvroRecord(t, codec, raw, string(rs.keys[i]))
		}
		if want := append(bytes.Join(rs.json, []byte("\n")), '\n'); !bytes.Equal(rs.stream, want) {
			t.Fatalf("size %d: the stream chunk is not the records each followed by a newline", size)
		}
	}
}

func checkAvroRecord(t *testing.T, codec *goavro.Codec, raw []byte, key string) {
	t.Helper()
	var rec struct {
		Key   struct{ Type, Data string }
		Value struct {
			Type     string
			SchemaID int `json:"schema_id"`
			Data     json.RawMessage
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("record is not JSON: %v: %s", err, raw)
	}
	if rec.Key.Type != "STRING" || rec.Key.Data != key || rec.Value.Type != "" || rec.Value.SchemaID != 7 {
		t.Fatalf("record %s: want STRING key %q and a value of schema_id 7 with no type (the schema's own)", raw, key)
	}
	native, rest, err := codec.NativeFromTextual(rec.Value.Data)
	if err != nil || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("data %s does not fit the schema: %v (left %q)", rec.Value.Data, err, rest)
	}
	if fields := native.(map[string]any); len(fields) != 10 {
		t.Fatalf("data %s decodes to %d fields, want 10", rec.Value.Data, len(fields))
	}
}

func TestAvroVerdict(t *testing.T) {
	t.Parallel()
	base := &Result{Mode: "stream-8", RecordsPerSec: 100_000, CPUMicrosPerRecord: 10}
	for _, tt := range []struct {
		name        string
		res         Result
		base        *Result
		asked       int64
		failure     string
		wantNote    []string
		notInNote   string
		wantFailure string
	}{
		{name: "above the bar", res: Result{RecordsPerSec: 90_000, CPUMicrosPerRecord: 11}, base: base, asked: 2,
			wantNote: []string{"231-byte records; registry asked 2 times", "0.90x stream-8's records/s, CPU/record +10.0%"}, notInNote: "below"},
		{name: "below the bar", res: Result{RecordsPerSec: 70_000, CPUMicrosPerRecord: 14}, base: base, asked: 2,
			wantNote: []string{"0.70x stream-8's records/s", "(below the 0.8x bar)"}},
		{name: "no stream-8 to compare with", res: Result{RecordsPerSec: 70_000}, asked: 3,
			wantNote: []string{"registry asked 3 times"}, notInNote: "x stream-8"},
		{name: "registry asked per record", res: Result{RecordsPerSec: 90_000}, base: base, asked: 11,
			wantNote: []string{"registry asked 11 times"}, wantFailure: "the proxy asked the registry 11 times, want at most 10"},
		{name: "the mode's own failure first", res: Result{RecordsPerSec: 90_000}, base: base, asked: 11, failure: "HTTP 503",
			wantFailure: "HTTP 503"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			note, failure := avroVerdict(tt.res, tt.base, tt.asked, 231, tt.failure)
			for _, want := range tt.wantNote {
				if !strings.Contains(note, want) {
					t.Errorf("note %q lacks %q", note, want)
				}
			}
			if tt.notInNote != "" && strings.Contains(note, tt.notInNote) {
				t.Errorf("note %q has %q", note, tt.notInNote)
			}
			if !strings.HasPrefix(failure, tt.wantFailure) || (tt.wantFailure == "") != (failure == "") {
				t.Errorf("failure %q, want %q", failure, tt.wantFailure)
			}
		})
	}
}
