package proxy

import (
	"bytes"
	"io"
	"strings"
	"testing"

	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// hostileBody is one request body built to hurt the server, and the answer
// it must get: a report with error_code whose message contains mention,
// which names the problem. fatal says the stream must end there (the JSON
// can no longer be followed); otherwise a good record after it in the same
// body still succeeds.
type hostileBody struct {
	name    string
	body    func() io.Reader
	code    int
	mention string
	fatal   bool
}

// within puts s inside a record's STRING value.
func within(s string) string { return `{"value":{"type":"STRING","data":"` + s + `"}}` }

// repeated is b repeated n times, produced as it is read so that a 100 MB
// body never exists in the test's memory.
func repeated(b byte, n int64) io.Reader { return io.LimitReader(byteReader(b), n) }

type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func text(parts ...string) func() io.Reader {
	return func() io.Reader { return strings.NewReader(strings.Join(parts, "")) }
}

const (
	sizeRefused   = "Produce request size is larger than allowed threshold"
	nestingRefuse = "exceeded max nesting depth 1000"
)

var hostileBodies = []hostileBody{
	{name: "deep nesting inside a JSON value, closed",
		body: text(`{"value":{"type":"JSON","data":`, strings.Repeat("[", 100000), strings.Repeat("]", 100000), `}}`),
		code: 400, mention: nestingRefuse},
	{name: "deep nesting of objects inside a JSON value",
		body: text(`{"value":{"type":"JSON","data":`, strings.Repeat(`{"a":`, 20000), "1", strings.Repeat("}", 20000), `}}`),
		code: 400, mention: nestingRefuse},
	{name: "deep nesting never closed, body ends",
		body: text(`{"value":{"type":"JSON","data":`, strings.Repeat("[", 1000000)),
		code: 400, mention: "Error processing message", fatal: true},
	{name: "100 MB string",
		body: func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"value":{"type":"STRING","data":"`), repeated('x', 100<<20), strings.NewReader(`"}}`))
		},
		code: 400, mention: sizeRefused, fatal: true},
	{name: "invalid UTF-8 in a string", body: text(within("a\xff\xfeb")), code: 400, mention: "invalid UTF-8 in string literal"},
	{name: "invalid UTF-8 in a field name", body: text("{\"val\xc3ue\":null}"), code: 400, mention: "invalid UTF-8"},
	{name: "truncated UTF-8 sequence at the end of a string", body: text(within("caf\xc3")), code: 400, mention: "invalid UTF-8"},
	{name: "invalid UTF-8 between records", body: text("\xff\xfe"), code: 400, mention: "Error processing message", fatal: true},
	{name: "raw NUL byte in a string", body: text(within("a\x00b")), code: 400, mention: `invalid character '\x00' in string literal`},
	{name: "NUL bytes between records", body: text("\x00\x00\x00"), code: 400, mention: "Error processing message", fatal: true},
	{name: "huge partition_id", body: text(`{"partition_id":123456789012345678901234567890}`), code: 400, mention: `"partition_id"`},
	{name: "partition_id beyond float64", body: text(`{"partition_id":1e400}`), code: 400, mention: `"partition_id"`},
	{name: "huge timestamp", body: text(`{"timestamp":1e999999999}`), code: 400, mention: `"timestamp"`},
	{name: "timestamp with 100,000 digits", body: text(`{"timestamp":`, strings.Repeat("9", 100000), `}`), code: 400, mention: `"timestamp"`},
	{name: "duplicate field in the record", body: text(`{"value":null,"key":null,"value":{"type":"STRING","data":"x"}}`), code: 400, mention: `Duplicate field "value"`},
	{name: "duplicate field in a data object", body: text(`{"value":{"type":"STRING","type":"BINARY","data":"eA=="}}`), code: 400, mention: `Duplicate field "type"`},
	{name: "duplicate field in a header", body: text(`{"headers":[{"name":"a","value":null,"value":"eA=="}]}`), code: 400, mention: `Duplicate field "value"`},
}

// Bad input: each hostile body is answered with a clear error (a report with
// its error_code and a message naming the problem), a fatal one is the last
// report of its stream, a non-fatal one lets the next record of the same
// stream succeed, and after each the server still serves a good request.
func TestHostileBodies_ClearErrorAndServerKeepsServing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	url := ts.url("c", "orders")
	for _, hb := range hostileBodies {
		t.Run(hb.name, func(t *testing.T) {
			body := io.MultiReader(hb.body(), strings.NewReader(oneRecord))
			reports := produceStream(t, url, body)
			if len(reports) == 0 {
				t.Fatalf("no report")
			}
			got := reports[0]
			if got.ErrorCode != hb.code || !strings.Contains(got.Message, hb.mention) {
				t.Errorf("report %v, want error_code %d with a message naming %q", got, hb.code, hb.mention)
			}
			switch {
			case hb.fatal && len(reports) != 1:
				t.Errorf("reports after the fatal one: %v", reports[1:])
			case !hb.fatal && (len(reports) != 2 || reports[1].ErrorCode != 200):
				t.Errorf("the good record after it: %v, want one success", reports[1:])
			}
			if good := postRecords(t, url, oneRecord); len(good) != 1 || good[0].ErrorCode != 200 {
				t.Errorf("a good request afterwards: %v, want one success", good)
			}
		})
	}
}

// Bad input: hostile but valid values are stored byte for byte, not refused
// or rewritten: a JSON value with a 100,000-digit number and duplicate member
// names, and a STRING with escaped NULs.
func TestHostileBodies_ValidValuesStoredUnchanged(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"hostile": 1})
	ts := startServerConfig(t, testConfig(b.Addr()), io.Discard)
	bigNumber := strings.Repeat("7", 100000) + "e999999999"
	cases := []struct{ name, body, stored string }{
		{"huge number in a JSON value", `{"value":{"type":"JSON","data":` + bigNumber + `}}`, bigNumber},
		{"duplicate member names in a JSON value", `{"value":{"type":"JSON","data":{"a":1, "a":2}}}`, `{"a":1,"a":2}`},
		{"escaped NUL bytes in a STRING", within(`\u0000a\u0000`), "\x00a\x00"},
	}
	for _, c := range cases {
		reports := postRecords(t, ts.url("c", "hostile"), c.body)
		if len(reports) != 1 || reports[0].ErrorCode != 200 {
			t.Fatalf("%s: reports %v, want one success", c.name, reports)
		}
		rc := kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "hostile"}
		m := kafkatest.Read(t, rc, reports[0].Offset, 1)[0]
		if !bytes.Equal(m.Value, []byte(c.stored)) {
			t.Errorf("%s: stored %.80q (%d bytes), want %.80q (%d bytes)", c.name, m.Value, len(m.Value), c.stored, len(c.stored))
		}
	}
}
