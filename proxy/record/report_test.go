package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"encoding/json"
	"testing"
	"time"
)

func TestAppendTimestamp(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"milliseconds zero: no fraction", time.Date(2023, 5, 16, 18, 20, 51, 0, time.UTC), "2023-05-16T18:20:51Z"},
		{"one second after the epoch", time.Unix(1, 0), "1970-01-01T00:00:01Z"},
		{"the epoch", time.UnixMilli(0), "1970-01-01T00:00:00Z"},
		{"milliseconds: exactly three digits", time.Date(2023, 5, 16, 18, 20, 51, 844_000_000, time.UTC), "2023-05-16T18:20:51.844Z"},
		{"trailing zero kept", time.Date(2023, 5, 16, 18, 20, 51, 840_000_000, time.UTC), "2023-05-16T18:20:51.840Z"},
		{"leading zeros kept", time.Date(2023, 5, 16, 18, 20, 51, 7_000_000, time.UTC), "2023-05-16T18:20:51.007Z"},
		{"sub-millisecond truncated", time.Date(2023, 5, 16, 18, 20, 51, 999_999, time.UTC), "2023-05-16T18:20:51Z"},
		{"non-UTC converted to UTC", time.Date(2023, 5, 17, 3, 20, 51, 5_000_000, tokyo), "2023-05-16T18:20:51.005Z"},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), "9999-12-31T23:59:59.999Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendTimestamp(nil, tt.in)); got != tt.want {
				t.Errorf("AppendTimestamp(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendSuccess(t *testing.T) {
	ts := time.Date(2023, 5, 16, 18, 20, 51, 844_000_000, time.UTC)
	tests := []struct {
		name string
		in   Success
		want string
	}{
		{"spec example", Success{ClusterID: "C", Topic: "orders", Partition: 0, Offset: 612, Timestamp: ts,
			Key:   Data{Typed: true, Type: "STRING", Bytes: []byte("hello")}.Summary(),
			Value: Data{Typed: true, Type: "JSON", Bytes: []byte(`{"foo":7}`)}.Summary()},
			`{"error_code":200,"cluster_id":"C","topic_name":"orders","partition_id":0,"offset":612,"timestamp":"2023-05-16T18:20:51.844Z","key":{"type":"STRING","size":5},"value":{"type":"JSON","size":9}}` + "\r\n"},
		{"no key or value given", Success{ClusterID: "lkc-1", Topic: "t", Partition: 3, Offset: 0, Timestamp: time.Unix(1, 0)},
			`{"error_code":200,"cluster_id":"lkc-1","topic_name":"t","partition_id":3,"offset":0,"timestamp":"1970-01-01T00:00:01Z"}` + "\r\n"},
		{"untyped data is not reported", Success{ClusterID: "C", Topic: "t", Timestamp: ts, Key: Data{Bytes: []byte("x")}.Summary(), Value: Data{Typed: true, Type: "BINARY", Bytes: []byte{}}.Summary()},
			`{"error_code":200,"cluster_id":"C","topic_name":"t","partition_id":0,"offset":0,"timestamp":"2023-05-16T18:20:51.844Z","value":{"type":"BINARY","size":0}}` + "\r\n"},
		{"null data has size -1", Success{ClusterID: "C", Topic: "t", Offset: 9223372036854775807, Timestamp: ts, Key: Data{Typed: true, Type: "BINARY"}.Summary(), Value: Data{Typed: true, Type: "JSON"}.Summary()},
			`{"error_code":200,"cluster_id":"C","topic_name":"t","partition_id":0,"offset":9223372036854775807,"timestamp":"2023-05-16T18:20:51.844Z","key":{"type":"BINARY","size":-1},"value":{"type":"JSON","size":-1}}` + "\r\n"},
		{"names escaped", Success{ClusterID: `c"1`, Topic: "t\\x", Timestamp: ts},
			`{"error_code":200,"cluster_id":"c\"1","topic_name":"t\\x","partition_id":0,"offset":0,"timestamp":"2023-05-16T18:20:51.844Z"}` + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := "previous\r\n"
			got := string(AppendSuccess([]byte(prefix), &tt.in))
			if got != prefix+tt.want {
				t.Errorf("AppendSuccess =\n  %q\nwant\n  %q", got, prefix+tt.want)
			}
			if !json.Valid([]byte(tt.want)) {
				t.Errorf("report is not valid JSON: %s", tt.want)
			}
		})
	}
}

func TestAppendError(t *testing.T) {
	tests := []struct {
		name string
		in   apierror.Error
		want string
	}{
		{"plain", *testError(40402, "Partition not found."), `{"error_code":40402,"message":"Partition not found."}`},
		{"cut at first newline", *testError(400, "Unexpected character\n at [Source: line 1]\nmore"), `{"error_code":400,"message":"Unexpected character"}`},
		{"cut at first CR", *testError(500, "first\r\nsecond"), `{"error_code":500,"message":"first"}`},
		{"quotes and backslashes", *testError(400, `Bad Request: data="a\b" is not a valid base64 string.`), `{"error_code":400,"message":"Bad Request: data=\"a\\b\" is not a valid base64 string."}`},
		{"control characters", *testError(400, "a\tb\x00c\x1fd\be\ff\x7f"), `{"error_code":400,"message":"a\tb\u0000c\u001fd\u0008e\u000cf` + "\x7f" + `"}`},
		{"non-ASCII kept as UTF-8", *testError(400, "héllo ✓ 😀"), `{"error_code":400,"message":"héllo ✓ 😀"}`},
		{"invalid UTF-8 replaced", *testError(400, "a\xffb\xc3"), `{"error_code":400,"message":"a\ufffdb\ufffd"}`},
		{"line separators escaped", *testError(400, "a\u2028b\u2029c"), `{"error_code":400,"message":"a\u2028b\u2029c"}`},
		{"empty message", *testError(500, ""), `{"error_code":500,"message":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendError(nil, &tt.in))
			if got != tt.want+"\r\n" {
				t.Errorf("AppendError =\n  %q\nwant\n  %q", got, tt.want+"\r\n")
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("report is not valid JSON: %q", got)
			}
		})
	}
}

func TestAppendReportsDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 1024)
	s := &Success{ClusterID: "C", Topic: "orders", Partition: 1, Offset: 5, Timestamp: time.Now(),
		Key: Data{Typed: true, Type: "STRING", Bytes: []byte("k")}.Summary()}
	e := testError(400, "Bad Request: data=1 is not a string.")
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendSuccess(buf[:0], s)
		buf = AppendError(buf[:0], e)
	})
	if allocs != 0 {
		t.Errorf("AppendSuccess + AppendError allocate %v times per report, want 0", allocs)
	}
}
