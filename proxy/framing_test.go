package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// rawExchange writes raw to the produce listener, half-closes, and returns
// the response read back and whether the server then closed the
// connection without serving anything more.
func rawExchange(t *testing.T, ts *testServer, raw string) (*http.Response, string, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rest, _ := io.ReadAll(br)
	return resp, string(body), len(rest) == 0
}

func rawHead(ts *testServer, topic string, headers ...string) string {
	return "POST /v3/clusters/c/topics/" + topic + "/records HTTP/1.1\r\nHost: " + ts.Addr().String() +
		"\r\nContent-Type: application/json\r\n" + strings.Join(headers, "") + "\r\n"
}

// A request with both Content-Length and Transfer-Encoding: chunked is
// answered with Connection: close and the connection is closed after it,
// so what follows its last chunk is never served as a second request
// (RFC 9112, sections 6.1 and 6.3).
func TestFraming_ChunkedWithContentLengthClosesTheConnection(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	before := kafkatest.EndOffset(t, testBroker.Addr(), "single", 0)
	smuggled := rawHead(ts, "single", "Content-Length: 4\r\n") + `{"value":{"type":"STRING","data":"smuggled"}}`
	raw := rawHead(ts, "single", "Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n" + smuggled
	resp, body, closed := rawExchange(t, ts, raw)
	if !resp.Close { // http.ReadResponse turns "Connection: close" into Close
		t.Errorf("answer %d %q without Connection: close", resp.StatusCode, body)
	}
	if !closed {
		t.Errorf("the bytes after the last chunk were answered as a second request")
	}
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "single", 0); n != before {
		t.Errorf("topic grew by %d records: the smuggled request was served", n-before)
	}
	// Refused before any check of the request, at an unknown path: closed too.
	raw = "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled
	if resp, body, closed := rawExchange(t, ts, raw); !resp.Close || !closed {
		t.Errorf("unknown path: answer %d %q, Connection: close %v, closed %v", resp.StatusCode, body, resp.Close, closed)
	}
}

// A body cut short in the middle of a record (the client half-closes
// before its Content-Length, or before the last chunk) gets a report for
// that record, as a body that ended there does, not a silent 200.
func TestFraming_TruncatedBodyReportsTheRecord(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	rec := `{"value":{"type":"STRING","data":"whole"}}`
	cut := `{"value":{"type":"STRING","data":"cut sh`
	for name, raw := range map[string]string{
		"Content-Length": rawHead(ts, "orders", "Content-Length: 200\r\n") + rec + cut,
		"chunked":        rawHead(ts, "orders", "Transfer-Encoding: chunked\r\n") + chunk(rec) + chunk(cut),
	} {
		t.Run(name, func(t *testing.T) {
			resp, body, _ := rawExchange(t, ts, raw)
			reports := parseReports(t, []byte(body))
			if resp.StatusCode != 200 || len(reports) != 2 || reports[0].ErrorCode != 200 ||
				reports[1].ErrorCode != 400 || !strings.Contains(reports[1].Message, "unexpected end of input") {
				t.Fatalf("answer %d with reports %v, want a 200 then a 400 naming the unexpected end of input", resp.StatusCode, reports)
			}
		})
	}
}

// Broken chunk framing before any data is a 400 that says so, not a 422
// "Request body is empty".
func TestFraming_BrokenChunkFraming400(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for name, framing := range map[string]string{
		"size out of range": "ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
		"not a size":        "zz\r\n{}\r\n0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			resp, body, _ := rawExchange(t, ts, rawHead(ts, "orders", "Transfer-Encoding: chunked\r\n")+framing)
			r := parseReport(t, body)
			if resp.StatusCode != 400 || r.ErrorCode != 400 || !strings.HasPrefix(r.Message, "Malformed request body: ") {
				t.Errorf("answer %d %s, want 400 with a message starting \"Malformed request body: \"", resp.StatusCode, body)
			}
		})
	}
}

func chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
