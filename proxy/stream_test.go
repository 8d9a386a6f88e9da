package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// docs/produce-api.md, "Single requests and streams",
// "Response: delivery reports" and "Delivery guarantees and back-pressure":
// 10,000 records over 3 partitions in one chunked request; every report is in
// input order and matches what a separate consumer reads.
func TestProduce_Stream10kRecordsInInputOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	const n = 10000
	var start [3]int64
	for p := range 3 {
		start[p] = kafkatest.EndOffset(t, testBroker.Addr(), "stream10k", p)
	}
	sc := openStream(t, ts.url("c", "stream10k"))
	go func() {
		var buf bytes.Buffer
		for i := range n {
			fmt.Fprintf(&buf, `{"partition_id":%d,"key":{"type":"STRING","data":"k%d"},"value":{"type":"STRING","data":"v%d"}}`+"\n", i%3, i, i)
			if buf.Len() > 16<<10 || i == n-1 {
				if _, err := sc.w.Write(buf.Bytes()); err != nil {
					return
				}
				buf.Reset()
			}
		}
		sc.closeSend()
	}()
	reports := sc.rest()
	if len(reports) != n {
		t.Fatalf("got %d reports, want %d", len(reports), n)
	}
	var next [3]int64 = start
	for i, r := range reports {
		p := int32(i % 3)
		if r.ErrorCode != 200 || r.PartitionID != p || r.Offset != next[p] {
			t.Fatalf("report %d = %v; want success on partition %d at offset %d", i, r, p, next[p])
		}
		next[p]++
	}
	for p := range int32(3) {
		msgs := readRange(t, "stream10k", p, start[p], int(next[p]-start[p]))
		for j, m := range msgs {
			i := int(p) + 3*j
			if string(m.Key) != "k"+strconv.Itoa(i) || string(m.Value) != "v"+strconv.Itoa(i) {
				t.Fatalf("partition %d offset %d holds %s=%s, want record %d", p, m.Offset, m.Key, m.Value, i)
			}
			if r := reports[i]; m.Offset != r.Offset {
				t.Fatalf("record %d stored at offset %d, reported %d", i, m.Offset, r.Offset)
			}
		}
	}
}

// docs/produce-api.md, "Single requests and streams" (full duplex): the
// client waits for record N's report before it sends record N+1, so the
// stream only completes if the 200 and the reports flow back while the
// request body is still open: from the very first record, after a burst
// larger than one flush, and record by record after that.
func TestProduce_FullDuplex_ReportsWhileSending(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sc := openStream(t, ts.url("c", "duplex"))
	for i := range 3 {
		sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"first-%d"}}`, i))
		if r := sc.next(); r.ErrorCode != 200 {
			t.Fatalf("report of record %d, sent alone: %v", i, r)
		}
		if i == 0 && sc.resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200 while the body is open", sc.resp.StatusCode)
		}
	}
	for i := range 300 {
		sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"burst-%d"}}`, i))
	}
	for i := range 300 {
		if r := sc.next(); r.ErrorCode != 200 {
			t.Fatalf("burst report %d: %v", i, r)
		}
	}
	var first int64
	for i := range 50 {
		sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"step-%d"}}`, i))
		r := sc.next() // blocks until the server answered this very record
		if r.ErrorCode != 200 {
			t.Fatalf("step %d: %v", i, r)
		}
		if i == 0 {
			first = r.Offset
		} else if r.Offset != first+int64(i) {
			t.Fatalf("step %d at offset %d, want %d", i, r.Offset, first+int64(i))
		}
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
	for i, m := range readRange(t, "duplex", 0, first, 50) {
		if got := string(m.Value); got != fmt.Sprintf("step-%d", i) {
			t.Errorf("offset %d stored %q, want step-%d", m.Offset, got, i)
		}
	}
}

// docs/produce-api.md, "Errors that end the stream": a stream that breaks
// mid-way: every record before the break has its report, the fatal one is
// last, and nothing after it is read.
func TestProduce_StreamBreaksMidway_FatalLast(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sc := openStream(t, ts.url("c", "broken"))
	for range 100 {
		sc.send(oneRecord)
	}
	for i := range 100 {
		if r := sc.next(); r.ErrorCode != 200 {
			t.Fatalf("report %d: %v", i, r)
		}
	}
	sc.send(`}` + oneRecord)
	r := sc.next()
	if r.ErrorCode != 400 || r.Message != `Bad Request: Error processing message: invalid character '}' looking for beginning of value at offset 4200` {
		t.Errorf("fatal report %v", r)
	}
	go func() { // whatever follows is not read
		for range 5 {
			if _, err := sc.w.Write([]byte(oneRecord)); err != nil {
				return
			}
		}
	}()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("reports after the fatal one: %v", rest)
	}
}

// docs/produce-api.md, "Time-outs" (idle read): a stream that sends nothing
// for http.idleTimeoutMs is ended after reporting what it has.
func TestProduce_IdleTimeoutEndsStream(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.IdleTimeoutMs = 300
	cfg.Logging.Level = "info"
	ts := startServerConfig(t, cfg, &logs)
	sc := openStream(t, ts.url("c", "orders"))
	sc.send(oneRecord + oneRecord)
	start := time.Now()
	reports := sc.rest() // the client never closes its body: only the idle timeout ends this
	if len(reports) != 2 || reports[0].ErrorCode != 200 || reports[1].ErrorCode != 200 {
		t.Fatalf("reports %v, want two successes", reports)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("stream ended after %v, before the idle timeout", d)
	}
	waitFor(t, "the stream's log line", func() bool { return strings.Contains(logs.String(), `"stream finished"`) })
	if !strings.Contains(logs.String(), `"end":"idle timeout"`) {
		t.Errorf("log does not say the stream ended by idle timeout:\n%s", logs.String())
	}
}

// docs/produce-api.md, "Errors that end the stream" (Shutdown): on shutdown
// the server stops reading new records and writes the report of every record
// it read before the response ends.
func TestProduce_ShutdownDuringStream_EveryReadRecordReported(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	before := kafkatest.EndOffset(t, testBroker.Addr(), "shutdown", 0)
	sc := openStream(t, ts.url("c", "shutdown"))
	for i := range 200 {
		sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"r%d"}}`, i))
	}
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("first report %v", r)
	}
	ts.stop() // what SIGTERM does in main
	sent := make(chan int, 1)
	go func() { // keep sending; the server must stop reading at some point
		n := 0
		for ; n < 100000; n++ {
			if _, err := fmt.Fprintf(sc.w, `{"value":{"type":"STRING","data":"late%d"}}`, n); err != nil {
				break
			}
		}
		sent <- n
	}()
	reports := append([]report{{ErrorCode: 200}}, sc.rest()...)
	for i, r := range reports {
		if r.ErrorCode != 200 {
			t.Fatalf("report %d = %v; want every record read to be produced and reported", i, r)
		}
	}
	sc.w.Close()
	if n := <-sent; n >= 100000 {
		t.Errorf("the server kept reading %d records after shutdown", n)
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		ts.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return after shutdown")
	}
	if got := kafkatest.EndOffset(t, testBroker.Addr(), "shutdown", 0) - before; got != int64(len(reports)) {
		t.Errorf("topic grew by %d records, %d were reported: a record was produced without a report, or reported without being stored", got, len(reports))
	}
	// New streams are refused once draining.
	if _, err := http.Post(ts.url("c", "orders"), "application/json", bytes.NewBufferString(oneRecord)); err == nil {
		t.Errorf("a new request after shutdown was accepted")
	}
}

// docs/produce-api.md, "Time-outs" (first data): a stream that sends nothing
// at all before the idle timeout is answered 408 instead of being held open.
func TestProduce_IdleBeforeFirstRecord_408(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.IdleTimeoutMs = 200 })
	sc := openStream(t, ts.url("c", "orders"))
	sc.send("  ") // whitespace only, then silence
	resp := sc.response()
	body, _ := io.ReadAll(resp.Body)
	wantError(t, resp, body, 408, 408, "Request timed out: no data received.")
}

// docs/produce-api.md, "Errors that end the stream": idle means no record,
// not no byte. A client that sends one whitespace byte every 100 ms after a
// record, and so never completes another, is cut by the idle timeout all
// the same; while it waits, it counts as an active stream.
func TestProduce_TricklingBytesWithoutRecordsEndsByIdle(t *testing.T) {
	t.Parallel()
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.IdleTimeoutMs = 400
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "orders"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("first record: %v", r)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 100 ms, for up to 10 s: far past the timeout
		for range 100 {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := io.WriteString(sc.w, " "); err != nil {
				return
			}
		}
	}()
	if got := ts.metric(t, "restproxy_active_streams"); got != 1 {
		t.Errorf("restproxy_active_streams = %v while the stream is open, want 1", got)
	}
	start := time.Now()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("reports after the first: %v", rest)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the trickling stream ended after %v; the idle timeout is 400ms", d)
	}
	waitFor(t, "the stream slot to free", func() bool { return ts.admit.streams.Len() == 0 })
}

// A stream waiting for its first record holds a stream slot, and so counts
// as active.
func TestProduce_StreamAwaitingDataCountsAsActive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.IdleTimeoutMs = 5000 })
	sc := openStream(t, ts.url("c", "orders"))
	sc.send("  ")
	waitFor(t, "the stream to be admitted", func() bool { return ts.admit.streams.Len() == 1 })
	if got := ts.metric(t, "restproxy_active_streams"); got != 1 {
		t.Errorf("restproxy_active_streams = %v with one stream awaiting data, want 1", got)
	}
	sc.send(oneRecord)
	sc.closeSend()
	if reports := sc.rest(); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Errorf("reports %v, want one success", reports)
	}
}
