package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// The load generator speaks HTTP/1.1 itself over a plain TCP connection
// rather than through net/http's client: it then knows when a record's last
// byte went to the kernel (the start of its report latency), writes a chunk
// with one writev and no copy, and spends little of the CPU it shares with
// the proxy on its own bookkeeping. The proxy sees ordinary chunked POSTs.

// OKPrefix starts every success report (produce-api.md §3).
var OKPrefix = []byte(`{"error_code":200,`)

// Target is where records are POSTed.
type Target struct {
	Addr          string // host:port
	Topic         string
	Authorization string // the Authorization header's value; "" for none
}

// RequestLine is a produce POST's request line and first headers, to be
// followed by the body's framing header and the blank line.
func (t Target) RequestLine() string {
	line := "POST /v3/clusters/bench/topics/" + t.Topic + "/records HTTP/1.1\r\nHost: " + t.Addr +
		"\r\nContent-Type: application/json\r\n"
	if t.Authorization != "" {
		line += "Authorization: " + t.Authorization + "\r\n"
	}
	return line
}

// streamSendBuffer is each stream's socket send buffer: several chunks of
// records, so the proxy never waits for the load generator.
const streamSendBuffer = 256 << 10

// Stream is one open chunked produce request.
type Stream struct {
	conn net.Conn
	br   *bufio.Reader
	hdr  [16]byte // chunk-size line scratch
}

// OpenStream connects to t and starts a chunked POST.
func OpenStream(t Target) (*Stream, error) { return OpenStreamHeaders(t, "") }

// OpenStreamHeaders is OpenStream with extra header lines, each ending in
// CRLF.
func OpenStreamHeaders(t Target, extra string) (*Stream, error) {
	conn, err := net.Dial("tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	// Loopback buffers grow to megabytes per connection: records queued
	// there when a mode ends would all have to drain before it can end.
	if err := conn.(*net.TCPConn).SetWriteBuffer(streamSendBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := io.WriteString(conn, t.RequestLine()+extra+"Transfer-Encoding: chunked\r\n\r\n"); err != nil {
		conn.Close()
		return nil, err
	}
	return &Stream{conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}, nil
}

// WriteChunk sends p as one HTTP chunk.
func (s *Stream) WriteChunk(p []byte) error {
	h := strconv.AppendInt(s.hdr[:0], int64(len(p)), 16)
	h = append(h, '\r', '\n')
	bufs := net.Buffers{h, p, crlf}
	_, err := bufs.WriteTo(s.conn)
	return err
}

var crlf = []byte("\r\n")

// CloseSend ends the request body; reports keep coming until the proxy
// ends the response.
func (s *Stream) CloseSend() error {
	_, err := io.WriteString(s.conn, "0\r\n\r\n")
	return err
}

// ReadReports reads the response and calls onReport for each report, with
// whether it is a success, until the response ends. A non-200 status is an
// error carrying the body.
func (s *Stream) ReadReports(onReport func(ok bool, line []byte)) error {
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	body := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := body.ReadSlice('\n')
		// Only a whole line is a report: a read that fails (a dropped
		// connection) returns the part of one it had.
		if err == nil && !bytes.Equal(line, crlf) {
			onReport(bytes.HasPrefix(line, OKPrefix), line)
		}
		if err == io.EOF && len(line) == 0 {
			return nil
		}
		if err == io.EOF {
			return fmt.Errorf("read reports: the response ended inside a report: %q", line)
		}
		if err != nil {
			return fmt.Errorf("read reports: %w", err)
		}
	}
}

// SetDeadline bounds the stream's reads and writes, so a hang turns into
// an error.
func (s *Stream) SetDeadline(t time.Time) error { return s.conn.SetDeadline(t) }

// Close drops the connection, whether or not the body was ended.
func (s *Stream) Close() { s.conn.Close() }
