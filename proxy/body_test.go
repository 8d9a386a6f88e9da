package proxy

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// docs/produce-api.md, "The record object" and "Success report": every field
// of a record reaches Kafka as sent, and the report says where it was stored;
// both are checked against what a separate consumer reads.
func TestProduce_RecordFieldsReadBack(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	cases := []struct {
		name       string
		body       string
		partition  int32 // -1: any
		key, value []byte
		headers    []kafka.Header
		timestamp  time.Time // zero: now
		keyReport  string    // `{"type":..,"size":..}` or "" for absent
		valReport  string
	}{
		{
			name:      "binary key, json value, headers with duplicates and null",
			body:      `{"partition_id":2,"headers":[{"name":"h1","value":"AAE="},{"name":"h1","value":"Ag=="},{"name":"nil","value":null}],"key":{"type":"BINARY","data":"a2V5"},"value":{"type":"JSON","data":{"foo" : 7, "b":[1, "x"]}},"timestamp":"2023-05-16T18:20:51.844Z"}`,
			partition: 2, key: []byte("key"), value: []byte(`{"foo":7,"b":[1,"x"]}`),
			headers:   []kafka.Header{{Key: "h1", Value: []byte{0, 1}}, {Key: "h1", Value: []byte{2}}, {Key: "nil", Value: nil}},
			timestamp: time.Date(2023, 5, 16, 18, 20, 51, 844e6, time.UTC),
			keyReport: `{"type":"BINARY","size":3}`, valReport: `{"type":"JSON","size":21}`,
		},
		{
			name:      "string value, epoch seconds timestamp",
			body:      `{"partition_id":0,"value":{"type":"STRING","data":"héllo"},"timestamp":1700000000}`,
			partition: 0, value: []byte("héllo"),
			timestamp: time.Unix(1700000000, 0).UTC(),
			valReport: `{"type":"STRING","size":6}`,
		},
		{
			name:      "json string value stored with its quotes, null key data",
			body:      `{"partition_id":1,"key":{"type":"STRING","data":null},"value":{"type":"JSON","data":"foo"}}`,
			partition: 1, value: []byte(`"foo"`),
			keyReport: `{"type":"STRING","size":-1}`, valReport: `{"type":"JSON","size":5}`,
		},
		{
			name:      "no key, no value, no partition",
			body:      `{}`,
			partition: -1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			before := time.Now().Truncate(time.Millisecond)
			reports := postRecords(t, ts.url("c1", "orders"), c.body)
			if len(reports) != 1 || reports[0].ErrorCode != 200 {
				t.Fatalf("reports = %v, want one success", reports)
			}
			r := reports[0]
			if c.partition >= 0 && r.PartitionID != c.partition {
				t.Errorf("report partition = %d, want %d", r.PartitionID, c.partition)
			}
			if got := dataJSON(r.Key); got != c.keyReport {
				t.Errorf("report key = %s, want %s", got, c.keyReport)
			}
			if got := dataJSON(r.Value); got != c.valReport {
				t.Errorf("report value = %s, want %s", got, c.valReport)
			}
			m := readBack(t, "orders", r.PartitionID, r.Offset)
			if int32(m.Partition) != r.PartitionID || m.Offset != r.Offset {
				t.Errorf("stored at %d/%d, report says %d/%d", m.Partition, m.Offset, r.PartitionID, r.Offset)
			}
			if !bytes.Equal(m.Key, c.key) || !bytes.Equal(m.Value, c.value) {
				t.Errorf("stored key %q value %q, want key %q value %q", m.Key, m.Value, c.key, c.value)
			}
			if len(m.Headers) != len(c.headers) {
				t.Fatalf("stored headers %v, want %v", m.Headers, c.headers)
			}
			for i, h := range c.headers {
				if m.Headers[i].Key != h.Key || !bytes.Equal(m.Headers[i].Value, h.Value) {
					t.Errorf("header %d = %s:%q, want %s:%q", i, m.Headers[i].Key, m.Headers[i].Value, h.Key, h.Value)
				}
			}
			stored := m.Time.UTC()
			if !c.timestamp.IsZero() && !stored.Equal(c.timestamp) {
				t.Errorf("stored timestamp %v, want %v", stored, c.timestamp)
			}
			if c.timestamp.IsZero() && (stored.Before(before) || stored.After(time.Now()) || stored.Nanosecond()%int(time.Millisecond) != 0) {
				t.Errorf("stored timestamp %v, want now (after %v), in whole milliseconds", stored, before)
			}
			wantTS := stored.Format("2006-01-02T15:04:05.000Z")
			if stored.Nanosecond() == 0 {
				wantTS = stored.Format("2006-01-02T15:04:05Z")
			}
			if r.Timestamp != wantTS {
				t.Errorf("report timestamp %q, want %q (the stored one)", r.Timestamp, wantTS)
			}
		})
	}
}

func dataJSON(d *dataReport) string {
	if d == nil {
		return ""
	}
	return `{"type":"` + d.Type + `","size":` + strconv.Itoa(d.Size) + `}`
}

// docs/produce-api.md, "Success report": the success report's fields come in
// the reference's order.
func TestProduce_SuccessReportFieldOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	reports := postRecords(t, ts.url("C", "single"), `{"key":{"type":"STRING","data":"hello"},"value":{"type":"JSON","data":{"foo":7}}}`)
	if len(reports) != 1 {
		t.Fatalf("reports = %v", reports)
	}
	r := reports[0]
	want := `{"error_code":200,"cluster_id":"C","topic_name":"single","partition_id":0,"offset":` + strconv.Itoa(int(r.Offset)) +
		`,"timestamp":"` + r.Timestamp + `","key":{"type":"STRING","size":5},"value":{"type":"JSON","size":9}}`
	if r.raw != want {
		t.Errorf("report\n%s\nwant\n%s", r.raw, want)
	}
}

// docs/produce-api.md, "Body: concatenated JSON": concatenated JSON,
// separated by any JSON whitespace or nothing.
func TestProduce_ConcatenatedJSON(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		rec := func(v string) string { return `{"value":{"type":"STRING","data":"` + v + `"}}` }
		body := rec("a") + rec("b") + " " + rec("c") + "\t\r\n" + rec("d") + "\n\n"
		reports := postRecords(t, ts.url("c", "single"), body)
		if len(reports) != 4 {
			t.Fatalf("got %d reports, want 4: %v", len(reports), reports)
		}
		for i, want := range []string{"a", "b", "c", "d"} {
			if reports[i].ErrorCode != 200 {
				t.Fatalf("report %d = %v", i, reports[i])
			}
			if got := string(readBack(t, "single", 0, reports[i].Offset).Value); got != want {
				t.Errorf("record %d stored %q, want %q", i, got, want)
			}
		}
	})
}

// docs/produce-api.md, "The record object" and "Failures of one record": a
// record that does not parse or bind gets a 400 report and the stream
// continues; so does a JSON value that is not an object.
func TestProduce_RecordDoesNotParse_400_StreamContinues(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		bad := []string{
			`{"unknown":1}`,
			`{"value":{"type":"STRING","data":"x","extra":1}}`,
			`{"value":{"type":"STRING"}}`,
			`{"headers":[{"value":"AA=="}]}`,
			`{"partition_id":"zero"}`,
			`{"value":{"type":"BINARY","data":"x","subject":"s"}}`,
			`{"timestamp":"1969-12-31T23:59:59Z"}`,
			`null`,
			`[1,2]`,
			`42`,
		}
		body := oneRecord + "\n" + strings.Join(bad, "\n") + "\n" + oneRecord
		reports := postRecords(t, ts.url("c", "orders"), body)
		if len(reports) != len(bad)+2 {
			t.Fatalf("got %d reports, want %d: %v", len(reports), len(bad)+2, reports)
		}
		if reports[0].ErrorCode != 200 || reports[len(reports)-1].ErrorCode != 200 {
			t.Errorf("good records around the bad ones: %v, %v; want 200s", reports[0], reports[len(reports)-1])
		}
		for i, b := range bad {
			if r := reports[i+1]; r.ErrorCode != 400 || r.Message == "" {
				t.Errorf("%s: report %v, want 400 with a message", b, r)
			}
		}
	})
}

// docs/produce-api.md, "Data objects (`key` and `value`)" and
// "Failures of one record": no type or a schema type needs a Schema Registry:
// 422.
func TestProduce_SchemaNeeded_422(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		const msg = "Error: 42206 : Payload error. Schema Registry must be configured when using schemas."
		for _, body := range []string{
			`{"value":{"data":"x"}}`,
			`{"value":{"type":"AVRO","data":"x"}}`,
			`{"key":{"type":"PROTOBUF","data":"x"},"value":{"type":"STRING","data":"x"}}`,
			`{"value":{"type":"JSONSCHEMA","data":{}}}`,
		} {
			reports := postRecords(t, ts.url("c", "notproduced"), body)
			if len(reports) != 1 || reports[0].ErrorCode != 422 || reports[0].Message != msg {
				t.Errorf("%s: reports %v, want one 422 %q", body, reports, msg)
			}
		}
		if n := kafkatest.EndOffset(t, testBroker.Addr(), "notproduced", 0); n != 0 {
			t.Errorf("topic holds %d records; refused records must not be produced", n)
		}
	})
}

// docs/produce-api.md, "Data objects (`key` and `value`)": BINARY data must
// be base64, STRING data a string: 400 per record.
func TestProduce_BadEncoding_400(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		for body, want := range map[string]string{
			`{"value":{"type":"BINARY","data":7}}`:     "Bad Request: data=7 is not a base64 string.",
			`{"value":{"type":"BINARY","data":"%%%"}}`: `Bad Request: data="%%%" is not a valid base64 string.`,
			`{"value":{"type":"STRING","data":[1]}}`:   "Bad Request: data=[1] is not a string.",
		} {
			reports := postRecords(t, ts.url("c", "orders"), body)
			if len(reports) != 1 || reports[0].ErrorCode != 400 || reports[0].Message != want {
				t.Errorf("%s: reports %v, want one 400 %q", body, reports, want)
			}
		}
	})
}
