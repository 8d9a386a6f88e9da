package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
)

// The load generator speaks HTTP/1.1 itself over a plain TCP connection
// rather than through net/http's client: it then knows when a record's last
// byte went to the kernel (the start of its report latency), writes a chunk
// with one writev and no copy, and spends little of the CPU it shares with
// the proxy on its own bookkeeping. The proxy sees ordinary chunked POSTs.

// okPrefix starts every success report (produce-api.md §3).
var okPrefix = []byte(`{"error_code":200,`)

// produceTarget is where records are POSTed.
type produceTarget struct {
	addr          string // host:port
	topic         string
	authorization string // the Authorization header's value; "" for none
}

func (t produceTarget) requestLine() string {
	line := "POST /v3/clusters/bench/topics/" + t.topic + "/records HTTP/1.1\r\nHost: " + t.addr +
		"\r\nContent-Type: application/json\r\n"
	if t.authorization != "" {
		line += "Authorization: " + t.authorization + "\r\n"
	}
	return line
}

// streamSendBuffer is each stream's socket send buffer: several chunks of
// records, so the proxy never waits for the load generator.
const streamSendBuffer = 256 << 10

// stream is one open chunked produce request.
type stream struct {
	conn net.Conn
	br   *bufio.Reader
	hdr  [16]byte // chunk-size line scratch
}

func openStream(t produceTarget) (*stream, error) { return openStreamHeaders(t, "") }

// openStreamHeaders is openStream with extra header lines, each ending in
// CRLF.
func openStreamHeaders(t produceTarget, extra string) (*stream, error) {
	conn, err := net.Dial("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	// Loopback buffers grow to megabytes per connection: records queued
	// there when a mode ends would all have to drain before it can end.
	if err := conn.(*net.TCPConn).SetWriteBuffer(streamSendBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := io.WriteString(conn, t.requestLine()+extra+"Transfer-Encoding: chunked\r\n\r\n"); err != nil {
		conn.Close()
		return nil, err
	}
	return &stream{conn: conn, br: bufio.NewReaderSize(conn, 64<<10)}, nil
}

// writeChunk sends p as one HTTP chunk.
func (s *stream) writeChunk(p []byte) error {
	h := strconv.AppendInt(s.hdr[:0], int64(len(p)), 16)
	h = append(h, '\r', '\n')
	bufs := net.Buffers{h, p, crlf}
	_, err := bufs.WriteTo(s.conn)
	return err
}

var crlf = []byte("\r\n")

// closeSend ends the request body; reports keep coming until the proxy
// ends the response.
func (s *stream) closeSend() error {
	_, err := io.WriteString(s.conn, "0\r\n\r\n")
	return err
}

// readReports reads the response and calls onReport for each report, with
// whether it is a success, until the response ends. A non-200 status is an
// error carrying the body.
func (s *stream) readReports(onReport func(ok bool, line []byte)) error {
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
		if len(line) > 0 && !bytes.Equal(line, crlf) {
			onReport(bytes.HasPrefix(line, okPrefix), line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read reports: %w", err)
		}
	}
}

func (s *stream) close() { s.conn.Close() }
