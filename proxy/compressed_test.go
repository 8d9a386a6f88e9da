package proxy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// compress returns s compressed with encoding ("gzip" or "zstd").
func compress(t testing.TB, encoding string, s []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("encoding %q", encoding)
	}
	if _, err := w.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postEncoded posts body with Content-Encoding encoding, with a
// Content-Length or, when chunked, as a stream.
func postEncoded(t testing.TB, url, encoding string, body []byte, chunked bool) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no length: net/http sends it chunked
	}
	req, err := http.NewRequest(http.MethodPost, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", encoding)
	return do(t, req)
}

// docs/produce-api.md, "Compressed request bodies": gzip and zstd streams
// of 10,000 records, each sent in many chunks, are stored byte for byte as
// a separate consumer reads them back, every report in input order.
func TestCompressed_Stream10kReadBack(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	const n = 10000
	for _, enc := range []string{"gzip", "zstd"} {
		t.Run(enc, func(t *testing.T) {
			t.Parallel()
			topic := enc + "10k"
			var start [3]int64
			for p := range 3 {
				start[p] = kafkatest.EndOffset(t, testBroker.Addr(), topic, p)
			}
			var plain bytes.Buffer
			for i := range n {
				// Values of every byte: base64 of the record's index and
				// bytes 0..255 in turn.
				v := append([]byte(strconv.Itoa(i)+":"), byte(i), byte(i>>8), 0, 0xff)
				fmt.Fprintf(&plain, `{"partition_id":%d,"key":{"type":"STRING","data":"k%d"},"value":{"type":"BINARY","data":"%s"}}`+"\n",
					i%3, i, base64Std(v))
			}
			body := compress(t, enc, plain.Bytes())
			resp, raw := postEncoded(t, ts.url("c", topic), strings.ToUpper(enc[:1])+enc[1:], body, true)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d body %.300s", resp.StatusCode, raw)
			}
			reports := parseReports(t, raw)
			if len(reports) != n {
				t.Fatalf("%d reports, want %d", len(reports), n)
			}
			next := start
			for i, r := range reports {
				p := int32(i % 3)
				if r.ErrorCode != 200 || r.PartitionID != p || r.Offset != next[p] {
					t.Fatalf("report %d = %v; want success on partition %d at offset %d", i, r, p, next[p])
				}
				next[p]++
			}
			for p := range int32(3) {
				for j, m := range readRange(t, topic, p, start[p], int(next[p]-start[p])) {
					i := int(p) + 3*j
					v := append([]byte(strconv.Itoa(i)+":"), byte(i), byte(i>>8), 0, 0xff)
					if string(m.Key) != "k"+strconv.Itoa(i) || !bytes.Equal(m.Value, v) {
						t.Fatalf("partition %d offset %d holds %q=%q, want record %d", p, m.Offset, m.Key, m.Value, i)
					}
				}
			}
		})
	}
}

// docs/produce-api.md, "Compressed request bodies": Content-Encoding is
// matched in any case, identity is no encoding, and a single compressed
// record (with a Content-Length) is produced like a plain one; any other
// encoding is refused 415 before anything is read.
func TestCompressed_EncodingNames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, enc := range []string{"gzip", "GZIP", "zstd", "ZStd"} {
		for _, chunked := range []bool{false, true} {
			resp, raw := postEncoded(t, ts.url("c", "orders"), enc, compress(t, strings.ToLower(enc), []byte(oneRecord)), chunked)
			if resp.StatusCode != 200 || len(parseReports(t, raw)) != 1 || parseReports(t, raw)[0].ErrorCode != 200 {
				t.Errorf("%s (chunked %v): status %d body %s", enc, chunked, resp.StatusCode, raw)
			}
		}
	}
	for _, enc := range []string{"identity", "Identity", ""} {
		if resp, raw := postEncoded(t, ts.url("c", "orders"), enc, []byte(oneRecord), false); resp.StatusCode != 200 {
			t.Errorf("Content-Encoding %q: status %d body %s", enc, resp.StatusCode, raw)
		}
	}
	for _, enc := range []string{"br", "deflate", "compress", "x-gzip", "gzip, zstd", "gzip;q=1"} {
		for _, url := range []string{ts.url("c", "orders"), ts.batchURL("c", "orders")} {
			resp, raw := postEncoded(t, url, enc, compress(t, "gzip", []byte(oneRecord)), false)
			wantError(t, resp, raw, 415, 415, "Unsupported Content-Encoding: "+enc+".")
		}
	}
	// Two Content-Encoding headers are two encodings.
	req, _ := http.NewRequest(http.MethodPost, ts.url("c", "orders"), strings.NewReader(oneRecord))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Content-Encoding", "identity")
	req.Header.Add("Content-Encoding", "gzip")
	resp, raw := do(t, req)
	wantError(t, resp, raw, 415, 415, "Unsupported Content-Encoding: identity, gzip.")
}

// corruptGzip is gzip data whose deflate stream is broken early.
func corruptGzip(t testing.TB, s string) []byte {
	z := compress(t, "gzip", []byte(s))
	out := bytes.Clone(z)
	for i := 10; i < len(out)-8; i++ {
		out[i] ^= 0xa5
	}
	return out
}

// docs/produce-api.md, "Compressed request bodies": corrupt compressed data
// is a 400 for a single request and a batch, nothing produced; a stream
// gets the reports of the records before it, then one final 400 report.
func TestCompressed_Corrupt(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	url := ts.url("c", "notinflated")
	records := strings.Repeat(oneRecord, 20)
	var entries []string
	for i := range 10 {
		entries = append(entries, entry(fmt.Sprint(i), strings.Repeat("v", 50)))
	}
	batch := batchOf(entries...)
	corruptions := map[string]func(string) []byte{
		"not gzip at all":   func(string) []byte { return []byte("this is not gzip data at all") },
		"broken deflate":    func(s string) []byte { return corruptGzip(t, s) },
		"cut short":         func(s string) []byte { z := compress(t, "gzip", []byte(s)); return z[:len(z)-12] },
		"checksum mismatch": func(s string) []byte { return flipChecksum(compress(t, "gzip", []byte(s))) },
	}
	for name, corrupt := range corruptions {
		resp, raw := postEncoded(t, url, "gzip", corrupt(records), false)
		if resp.StatusCode != 400 || !strings.HasPrefix(string(raw), `{"error_code":400,"message":"Malformed request body: corrupt gzip data: `) {
			t.Errorf("single, %s: status %d body %s; want 400 naming corrupt gzip data", name, resp.StatusCode, raw)
		}
		for _, chunked := range []bool{false, true} {
			resp, raw = postEncoded(t, ts.batchURL("c", "notinflated"), "gzip", corrupt(batch), chunked)
			if resp.StatusCode != 400 || !strings.HasPrefix(string(raw), `{"error_code":400,"message":"Malformed request body: corrupt gzip data: `) {
				t.Errorf("batch, %s: status %d body %s; want 400 naming corrupt gzip data", name, resp.StatusCode, raw)
			}
		}
	}
	resp, raw := postEncoded(t, url, "zstd", []byte("(not zstd)"), false)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "corrupt zstd data") {
		t.Errorf("single zstd: status %d body %s", resp.StatusCode, raw)
	}
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "notinflated", 0); n != 0 {
		t.Errorf("the topic holds %d records; corrupt single requests and batches must produce nothing", n)
	}

	// A stream: good records, then garbage in the compressed data.
	var stream bytes.Buffer
	zw := gzip.NewWriter(&stream)
	for range 3 {
		io.WriteString(zw, oneRecord+"\n")
	}
	zw.Flush()
	stream.WriteString("garbage that is no deflate block \xff\xfe\xfd")
	reports := streamEncoded(t, ts.url("c", "compressed"), "gzip", stream.Bytes())
	if len(reports) != 4 {
		t.Fatalf("stream reports %v, want 3 successes and one 400", reports)
	}
	for _, r := range reports[:3] {
		if r.ErrorCode != 200 {
			t.Errorf("report %v, want 200", r)
		}
	}
	if last := reports[3]; last.ErrorCode != 400 || !strings.HasPrefix(last.Message, "Bad Request: Error processing message: corrupt gzip data: ") {
		t.Errorf("last report %v, want the fatal 400 naming corrupt gzip data", last)
	}
}

// streamEncoded sends body, compressed with encoding, as a chunked stream
// and returns the reports of its 200.
func streamEncoded(t testing.TB, url, encoding string, body []byte) []report {
	t.Helper()
	resp, raw := postEncoded(t, url, encoding, body, true)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d body %.300s", resp.StatusCode, raw)
	}
	return parseReports(t, raw)
}

// flipChecksum breaks the CRC-32 of a gzip member: only its end says so.
func flipChecksum(z []byte) []byte {
	out := bytes.Clone(z)
	out[len(out)-8] ^= 0xff
	return out
}

// gzipBomb is a gzip body that expands to prefix, then n MiB of fill, then
// suffix: a multi-member file of one small member repeated, about 1 KiB
// per MiB.
func gzipBomb(t testing.TB, prefix string, fill byte, n int, suffix string) []byte {
	t.Helper()
	mib := compress(t, "gzip", bytes.Repeat([]byte{fill}, 1<<20))
	out := compress(t, "gzip", []byte(prefix))
	for range n {
		out = append(out, mib...)
	}
	return append(out, compress(t, "gzip", []byte(suffix))...)
}

// docs/produce-api.md, "Compressed request bodies": a gzip body of about
// 1 MB that expands to 1 GiB is refused as soon as it passes
// http.maxRequestBytes (413), for a single request and a batch, having
// decompressed no more than the limit and a window: the decompressed
// counter says so, where 1 GiB held would not fit the test's memory
// anyway. Without a request limit, the record limit ends it as soon.
func TestCompressed_GzipBombRefusedEarly(t *testing.T) {
	t.Parallel()
	const limit = 4 << 20
	bomb := func(prefix string, fill byte, suffix string) []byte { return gzipBomb(t, prefix, fill, 1024, suffix) }
	spaces := bomb("", ' ', oneRecord)
	if len(spaces) > 2<<20 {
		t.Fatalf("the bomb is %d bytes; want about 1 MB", len(spaces))
	}
	decompressed := func(ts *testServer) float64 {
		return ts.metric(t, "restproxy_decompressed_bytes_total", "encoding", "gzip")
	}

	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxRequestBytes = limit })
	resp, raw := postEncoded(t, ts.url("c", "notinflated"), "gzip", spaces, false)
	wantError(t, resp, raw, 413, 413, "Request body is larger than allowed.")
	if got := decompressed(ts); got < limit || got > limit+256<<10 {
		t.Errorf("single request: %.0f bytes decompressed; want the limit (%d) and at most a window more", got, limit)
	}

	before := decompressed(ts)
	entryBomb := bomb(`{"entries":[{"id":"a","value":{"type":"STRING","data":"`, 'a', `"}}]}`)
	resp, raw = postEncoded(t, ts.batchURL("c", "notinflated"), "gzip", entryBomb, true)
	wantError(t, resp, raw, 413, 413, "Request body is larger than allowed.")
	if got := decompressed(ts) - before; got < limit || got > limit+256<<10 {
		t.Errorf("batch: %.0f bytes decompressed; want the limit (%d) and at most a window more", got, limit)
	}

	// No request limit: a stream's record stops at the record limit.
	open := startServer(t, func(c *config.Config) { c.HTTP.MaxRecordBytes = 1 << 20 })
	recordBomb := bomb(`{"value":{"type":"STRING","data":"`, 'a', `"}}`)
	reports := streamEncoded(t, open.url("c", "notinflated"), "gzip", recordBomb)
	if len(reports) != 1 || reports[0].ErrorCode != 400 || reports[0].Message != "Bad Request: Error processing message: Produce request size is larger than allowed threshold" {
		t.Errorf("stream: reports %v, want the fatal record-size 400", reports)
	}
	if got := decompressed(open); got > 2<<20 {
		t.Errorf("stream: %.0f bytes decompressed for a record limit of 1 MiB", got)
	}
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "notinflated", 0); n != 0 {
		t.Errorf("the topic holds %d records", n)
	}
}

// docs/produce-api.md, "Compressed request bodies": the limits apply to
// the decompressed records: above http.maxRecordBytes a stream ends with
// the fatal 400, a batch entry fails alone; above producer.maxMessageBytes
// a record gets 413 and the stream goes on. A compressed single request
// within the window is checked whole before the 200: over the request
// limit it is a 413 with nothing produced; a larger one learns it in its
// last report.
func TestCompressed_LimitsOnDecompressedBytes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.HTTP.MaxRecordBytes = 1000
		c.Producer.MaxMessageBytes = 200
		c.HTTP.MaxRequestBytes = 50 << 10
	})
	big := `{"value":{"type":"STRING","data":"` + strings.Repeat("x", 2000) + `"}}`
	overMessage := `{"value":{"type":"STRING","data":"` + strings.Repeat("m", 300) + `"}}`
	reports := streamEncoded(t, ts.url("c", "orders"), "zstd", compress(t, "zstd", []byte(oneRecord+overMessage+oneRecord+big+oneRecord)))
	codes := make([]int, len(reports))
	for i, r := range reports {
		codes[i] = r.ErrorCode
	}
	if fmt.Sprint(codes) != "[200 413 200 400]" {
		t.Errorf("stream codes %v, want [200 413 200 400]", codes)
	}
	a := produceBatch(t, ts.batchURL("c", "orders"), string(compress(t, "gzip", []byte(batchOf(entry("a", "1"),
		`{"id":"big","value":{"type":"STRING","data":"`+strings.Repeat("x", 2000)+`"}}`, entry("c", "3"))))), "Content-Encoding", "gzip")
	if fmt.Sprint(a.successIDs()) != "[a c]" || len(a.Failures) != 1 || a.Failures[0].ErrorCode != 400 {
		t.Errorf("batch: %s", a.raw)
	}

	many := strings.Repeat(oneRecord, 1300) // 52 KiB decompressed, a few hundred bytes compressed
	resp, raw := postEncoded(t, ts.url("c", "notinflated"), "gzip", compress(t, "gzip", []byte(many)), false)
	wantError(t, resp, raw, 413, 413, "Request body is larger than allowed.")
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "notinflated", 0); n != 0 {
		t.Errorf("the topic holds %d records; a single request refused 413 must produce nothing", n)
	}
	// Past the window, the 200 has gone: the limit is the last report.
	wide := startServer(t, func(c *config.Config) { c.HTTP.MaxRequestBytes = 200 << 10 })
	manyMore := strings.Repeat(oneRecord, 6000) // 252 KiB
	resp, raw = postEncoded(t, wide.url("c", "orders"), "gzip", compress(t, "gzip", []byte(manyMore)), false)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d body %.200s", resp.StatusCode, raw)
	}
	reports = parseReports(t, raw)
	last := reports[len(reports)-1]
	if last.ErrorCode != 413 || last.Message != "Request body is larger than allowed." || len(reports) >= 6000 {
		t.Errorf("%d reports, last %v; want the 413 last, before the end of the body", len(reports), last)
	}
	for _, r := range reports[:len(reports)-1] {
		if r.ErrorCode != 200 {
			t.Fatalf("report %v before the limit", r)
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// docs/produce-api.md, "Compressed request bodies": a zstd frame that
// needs a window above 8 MiB is refused as corrupt, so a decoder never
// holds more; one within the bound is read.
func TestCompressed_ZstdWindowBounded(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	frame := func(window int) []byte {
		var buf bytes.Buffer
		zw, err := zstd.NewWriter(&buf, zstd.WithWindowSize(window), zstd.WithSingleSegment(false))
		if err != nil {
			t.Fatal(err)
		}
		// Longer than a block, so the frame is written before its size
		// is known and its header states the window.
		io.WriteString(zw, strings.Repeat(oneRecord+"\n", 8000))
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	resp, raw := postEncoded(t, ts.url("c", "orders"), "zstd", frame(64<<20), false)
	if resp.StatusCode != 400 || !strings.HasPrefix(string(raw), `{"error_code":400,"message":"Malformed request body: corrupt zstd data: `) {
		t.Errorf("a 64 MiB window: status %d body %s, want 400 naming corrupt zstd data", resp.StatusCode, raw)
	}
	if resp, raw := postEncoded(t, ts.url("c", "orders"), "zstd", frame(8<<20), false); resp.StatusCode != 200 {
		t.Errorf("an 8 MiB window: status %d body %s", resp.StatusCode, raw)
	}
}
