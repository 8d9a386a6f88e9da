package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// stoppableBroker is a broker of the test's own that the test can stop and
// start again on the same address, as a restarted Kafka would come back.
type stoppableBroker struct {
	t      testing.TB
	topics map[string]int32
	opts   []kfake.Opt
	addr   string
	b      *devbroker.Broker
}

// startStoppableBroker starts the broker with opts, and restarts it with
// them too: with kfake.DataDir, a restarted broker has what was stored.
func startStoppableBroker(t testing.TB, topics map[string]int32, opts ...kfake.Opt) *stoppableBroker {
	t.Helper()
	b, err := devbroker.Start("127.0.0.1:0", topics, opts...)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	sb := &stoppableBroker{t: t, topics: topics, opts: opts, addr: b.Addr(), b: b}
	t.Cleanup(func() {
		if sb.b != nil {
			sb.b.Close()
		}
	})
	return sb
}

// stop closes the broker: its listener and every connection to it.
func (sb *stoppableBroker) stop() {
	sb.b.Close()
	sb.b = nil
}

// restart starts a broker with the same topics and options on the same
// address: an empty one, unless the options keep its data.
func (sb *stoppableBroker) restart() {
	sb.t.Helper()
	b, err := devbroker.Start(sb.addr, sb.topics, sb.opts...)
	if err != nil {
		sb.t.Fatalf("restart broker on %s: %v", sb.addr, err)
	}
	sb.b = b
}

// holdProduce makes the broker swallow produce requests, never answering
// them, until the returned answer is called: records sent meanwhile stay in
// flight until the broker goes away or their delivery timeout.
func (sb *stoppableBroker) holdProduce() (answer func()) {
	var answering atomic.Bool
	c := sb.b.Cluster()
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if answering.Load() {
			return nil, nil, false // handle it normally from now on
		}
		c.KeepControl()
		return nil, nil, true
	})
	return func() { answering.Store(true) }
}

// The broker stops in the middle of a stream. Every record read, whether
// Kafka held it when the broker went away or it arrived afterwards, gets a
// 50003 report (by producer.deliveryTimeoutMs, whose sweep guarantees a
// report even when kafka-go is still retrying), the stream goes on and ends
// cleanly. Once a broker is back on the same address, a new stream's records
// succeed and a separate consumer finds them stored.
func TestFailure_BrokerStopsMidStream_50003ThenRecovers(t *testing.T) {
	t.Parallel()
	sb := startStoppableBroker(t, map[string]int32{"stops": 1})
	cfg := testConfig(sb.addr)
	// Long enough that the held records are still in flight when the test
	// looks, and that a record to a live broker is delivered, on a loaded
	// machine; the broker's fall answers the held records sooner.
	cfg.Producer.DeliveryTimeoutMs = 5000
	ts := startServerConfig(t, cfg, io.Discard)

	sc := openStream(t, ts.url("c", "stops"))
	sc.sendUntil(oneRecord, 200, 50003, "the broker storing records before it stops")
	sb.holdProduce()
	const held = 5
	for range held {
		sc.send(oneRecord)
	}
	waitFor(t, "records in the broker's hands", func() bool { return ts.inFlight() == held })
	sb.stop()
	start := time.Now()
	const afterStop = 5
	for range afterStop {
		sc.send(oneRecord)
	}
	sc.closeSend()
	reports := sc.rest()
	t.Logf("%d reports within %v of the broker stopping (delivery timeout %dms)", len(reports), time.Since(start), cfg.Producer.DeliveryTimeoutMs)
	if len(reports) != held+afterStop {
		t.Fatalf("%d reports, want %d: %v", len(reports), held+afterStop, reports)
	}
	for i, r := range reports {
		if r.ErrorCode != 50003 {
			t.Errorf("report %d after the broker stopped: %v, want 50003", i, r)
		}
	}
	waitFor(t, "in-flight records to be released", func() bool { return ts.inFlight() == 0 })

	sb.restart()
	postUntil(t, ts.url("c", "stops"), stillDown, "the broker's return", 200)
	sc = openStream(t, ts.url("c", "stops"))
	r := sc.sendUntil(`{"value":{"type":"STRING","data":"back"}}`, 200, 50003, "a new stream's record stored after recovery")
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
	rc := kafka.ReaderConfig{Brokers: []string{sb.addr}, Topic: "stops"}
	if m := kafkatest.Read(t, rc, r.Offset, 1)[0]; string(m.Value) != "back" {
		t.Errorf("restarted broker holds %q at offset %d, want \"back\"", m.Value, r.Offset)
	}
}

// The broker stops answering in the middle of a stream without closing its
// connections (a hung broker, a network partition). Only the delivery timeout
// can then answer: every record in flight gets a 50003 report that says so,
// the stream goes on, and once the broker answers again the same stream's
// records succeed.
func TestFailure_BrokerHangsMidStream_50003ByDeliveryTimeout(t *testing.T) {
	t.Parallel()
	sb := startStoppableBroker(t, map[string]int32{"hangs": 1})
	cfg := testConfig(sb.addr)
	cfg.Producer.DeliveryTimeoutMs = 800
	ts := startServerConfig(t, cfg, io.Discard)
	sc := openStream(t, ts.url("c", "hangs"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("record before the broker hangs: %v", r)
	}
	answer := sb.holdProduce()
	const held = 5
	for range held {
		sc.send(oneRecord)
	}
	for i := range held {
		if r := sc.next(); r.ErrorCode != 50003 || !strings.Contains(r.Message, "deliveryTimeoutMs") {
			t.Errorf("record %d sent to the hung broker: %v, want 50003 naming the delivery timeout", i, r)
		}
	}
	answer()
	sc.sendUntil(oneRecord, 200, 50003, "the broker answering again")
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
}

// The broker is down when a request starts. A proxy that has served the topic
// before, and so holds its metadata, must not open a stream into a cluster
// that is gone: the request is answered 503/50003 with Retry-After before
// streaming (at most the requests that raced with the broker's fall get 200
// and a 50003 report), and once the broker is back the same request succeeds
// and is stored.
func TestFailure_BrokerDownAtRequestStart_503(t *testing.T) {
	t.Parallel()
	sb := startStoppableBroker(t, map[string]int32{"down": 1})
	cfg := testConfig(sb.addr)
	cfg.Producer.MetadataWaitMs = 300
	ts := startServerConfig(t, cfg, io.Discard)
	url := ts.url("c", "down")
	// A loaded machine can outlast the short metadata wait the first time.
	postUntil(t, url, stillDown, "the proxy serving the topic before the broker stops", 200)

	sb.stop()
	resp, body := postUntil(t, url, func(status int, reports []report) bool {
		return status == 200 && len(reports) == 1 && reports[0].ErrorCode == 50003
	}, "the proxy to notice the broker is down", 503)
	if !strings.HasPrefix(string(body), `{"error_code":50003,"message":"Kafka is unavailable`) {
		t.Errorf("503 body %s, want error_code 50003 saying Kafka is unavailable", body)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After")
	}
	// A streaming client, its body still open, gets the same answer.
	sc := openStream(t, url)
	sc.send(oneRecord)
	resp = sc.response()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("stream opened while the broker is down: status %d, Retry-After %q; want 503 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	sb.restart()
	_, body = postUntil(t, url, stillDown, "the broker's return", 200)
	r := parseReports(t, body)[0]
	rc := kafka.ReaderConfig{Brokers: []string{sb.addr}, Topic: "down"}
	if m := kafkatest.Read(t, rc, r.Offset, 1)[0]; string(m.Value) != "hello" {
		t.Errorf("restarted broker holds %q at offset %d, want \"hello\"", m.Value, r.Offset)
	}
}

// stillDown accepts the answers of a proxy that has not yet seen the broker
// come back: 503 before streaming, or a stream whose record got 50003.
func stillDown(status int, reports []report) bool {
	return status == 503 || (status == 200 && len(reports) == 1 && reports[0].ErrorCode == 50003)
}

// postUntil posts oneRecord to url until the answer has HTTP status want
// (for 200: with a 200 report, since a stream's status says nothing of its
// record), failing on any answer interim does not accept or after 20 s;
// what names the change awaited. It returns the last response and body.
func postUntil(t *testing.T, url string, interim func(status int, reports []report) bool, what string, want int) (*http.Response, []byte) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		resp, body := post(t, url, "application/json", oneRecord)
		var reports []report
		if resp.StatusCode == 200 {
			reports = parseReports(t, body)
		}
		if resp.StatusCode == want && (want != 200 || len(reports) == 1 && reports[0].ErrorCode == 200) {
			t.Logf("%s after %d requests", what, i+1)
			return resp, body
		}
		if !interim(resp.StatusCode, reports) {
			t.Fatalf("request %d: status %d, body %s; want %d, or the answer before %s", i, resp.StatusCode, body, want, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no status %d after %d requests: %s never happened", want, i+1, what)
		}
	}
}

// A streaming client refused before its stream starts (here: an unknown
// topic) gets its answer while its body is still open. net/http reads up
// to 256 KiB of an unread body before it writes a handler's answer, so a
// client that sent its first record and waits for the report, as streaming
// clients do, waited for ever.
func TestFailure_StreamRefusedWhileBodyOpen_AnsweredAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	sc := openStream(t, ts.url("c", "nope"))
	sc.send(oneRecord)
	resp := sc.response()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the refusal: %v", err)
	}
	wantError(t, resp, body, 404, 40401, "Topic nope cannot be found.")
	if reports := postRecords(t, ts.url("c", "orders"), oneRecord); reports[0].ErrorCode != 200 {
		t.Errorf("a good request afterwards: %v", reports)
	}
}

// A client that sends but never reads its reports. Memory stays within the
// per-stream bound: once the socket is full the writer blocks, the reader
// fills the report queue to exactly http.maxInFlightPerStream and stops
// reading the socket (the client cannot send all it wants), and neither the
// queue nor the in-flight gauge ever exceeds the bound. The write deadline
// (http.idleTimeoutMs) then cuts the stream, and its log line says its
// reports could not be written.
//
// Both ends' socket buffers are small. Linux grows a loopback sender's
// buffer up to net.ipv4.tcp_wmem's maximum (4 MiB), which took ~23000
// reports to fill, so on a loaded machine the Kafka round trips before the
// write deadline even started counting outlasted the test's wait; and
// grown buffers in the other direction could take in megabytes of records
// the server never read, nearing what the client tries to send.
func TestFailure_ClientNeverReadsReports_BoundedThenCutWithLogLine(t *testing.T) {
	t.Parallel()
	const perStream, toSend = 64, 200000
	var logs syncBuffer
	cfg := testConfig(testBroker.Addr())
	cfg.HTTP.IdleTimeoutMs = 1000
	cfg.HTTP.MaxInFlightPerStream = perStream
	cfg.Logging.Level = "info"
	ts := startServerWrapped(t, cfg, &logs, smallBufferListener)
	sc := openStreamWith(t, smallBufferClient(), ts.url("c", "orders"))
	var sent atomic.Int64
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		sendCounting(sc, `{"partition_id":0}`, toSend, &sent)
	}()
	sc.response() // the reports are never read

	maxHeld, maxInFlight := 0, 0.0
	sample := func() {
		maxHeld = max(maxHeld, heldReports(ts))
		maxInFlight = max(maxInFlight, ts.metric(t, "restproxy_in_flight_records"))
	}
	state := func() string {
		return fmt.Sprintf("active streams %d, reports held %d, records in flight %v, records sent %d, reports written %v; stream goroutines:\n%s",
			ts.admit.streams.Len(), heldReports(ts), ts.metric(t, "restproxy_in_flight_records"), sent.Load(),
			ts.metric(t, "restproxy_records_total", "error_code", "200"), strings.Join(streamGoroutines(), "\n\n"))
	}
	waitForWithin(t, "the report queue to fill to its bound", 10*time.Second,
		func() bool { sample(); return heldReports(ts) == perStream }, state)
	// Once the sockets are full, the write deadline cuts the stream after
	// the idle timeout; the slack is for a loaded machine under -race.
	cutWithin := 2*time.Duration(cfg.HTTP.IdleTimeoutMs)*time.Millisecond + 15*time.Second
	waitForWithin(t, "the stream to be cut by the write deadline", cutWithin, func() bool {
		sample()
		return ts.admit.streams.Len() == 0 && ts.metric(t, "restproxy_active_streams") == 0
	}, state)
	sc.w.CloseWithError(errors.New("test done"))
	<-sendDone
	if n := sent.Load(); n >= toSend {
		t.Errorf("the client sent all %d records: the server never stopped reading", n)
	}
	if maxHeld > perStream || maxInFlight > perStream {
		t.Errorf("held %d unwritten reports and %v records in flight; bound %d", maxHeld, maxInFlight, perStream)
	}
	line := streamLogLine(t, &logs)
	if line["end"] != "reports not read within the idle timeout" || line["write_error"] != true || line["topic"] != "orders" {
		t.Errorf("log line %v: want the stream on orders ended with write_error because its reports were not read", line)
	}
}

// heldReports is how many records the server's streams have read and not
// yet written a report for: what a stream holds in memory.
func heldReports(ts *testServer) int {
	return int(ts.inFlight())
}

// smallBuffers fixes a socket's send and receive buffers at 4 KiB, which
// also turns off Linux's growing of them.
func smallBuffers(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = errors.Join(
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096),
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096))
	})
	return errors.Join(err, serr)
}

// smallBufferClient is an HTTP client whose sockets have small buffers, so
// reports it does not read fill them quickly, and records the server does
// not read back up into it quickly.
func smallBufferClient() *http.Client {
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error { return smallBuffers(c) }}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}}
}

// smallBufferListener gives the server's side of every accepted connection
// small buffers, as smallBufferClient does the client's.
func smallBufferListener(l net.Listener) net.Listener { return smallBufferAccepter{l} }

type smallBufferAccepter struct{ net.Listener }

func (l smallBufferAccepter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err == nil {
		err = smallBuffers(rc)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("shrink the buffers of an accepted connection: %w", err)
	}
	return c, nil
}

// sendUntilRefused writes rec up to n times, until the body is refused,
// and returns how many were written.
func sendUntilRefused(sc *streamClient, rec string, n int) int {
	var sent atomic.Int64
	sendCounting(sc, rec, n, &sent)
	return int(sent.Load())
}

// sendCounting is sendUntilRefused counting in sent, as it goes, the
// records written, for a test to say how far the client got.
func sendCounting(sc *streamClient, rec string, n int, sent *atomic.Int64) {
	for range n {
		if _, err := io.WriteString(sc.w, rec); err != nil {
			return
		}
		sent.Add(1)
	}
}

// streamLogLine waits for the one "stream finished" log line in logs and
// returns it decoded.
func streamLogLine(t *testing.T, logs *syncBuffer) map[string]any {
	t.Helper()
	var found []string
	waitFor(t, "the stream's log line", func() bool {
		found = found[:0]
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `"msg":"stream finished"`) {
				found = append(found, l)
			}
		}
		return len(found) > 0
	})
	if len(found) != 1 {
		t.Fatalf("%d stream log lines, want 1:\n%s", len(found), strings.Join(found, "\n"))
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(found[0]), &line); err != nil {
		t.Fatalf("log line %q: %v", found[0], err)
	}
	return line
}

// A client that disconnects mid-stream, while Kafka still holds the records
// it sent. Once Kafka answers, every record the server read is stored
// although nobody is left to read the reports; the stream's log line accounts
// for each (a report attempted, by error_code, or unreported); and no
// goroutine of the stream or its connection is left behind. Not parallel: the
// goroutine count is of the whole process.
func TestFailure_ClientDisconnectsMidStream_RecordsDeliveredNoGoroutineLeft(t *testing.T) {
	const sent = 500
	b, release := heldBroker(t, map[string]int32{"gone": 1})
	defer release()
	var logs syncBuffer
	cfg := testConfig(b.Addr())
	cfg.Logging.Level = "info"
	ts := startServerConfig(t, cfg, &logs)
	before := len(streamGoroutines())

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	sc := openStreamWith(t, client, ts.url("c", "gone"))
	for i := range sent {
		sc.send(fmt.Sprintf(`{"value":{"type":"STRING","data":"r%d"}}`, i))
	}
	waitFor(t, "every record in Kafka's hands", func() bool { return ts.inFlight() == sent })
	if during := len(streamGoroutines()); during <= before {
		t.Fatalf("%d stream goroutines while the stream runs, %d before: the leak check would see nothing", during, before)
	}
	sc.w.CloseWithError(errors.New("client gone")) // the transport drops the connection
	release()

	line := streamLogLine(t, &logs)
	codes, _ := line["error_codes"].(map[string]any)
	accounted, _ := line["unreported"].(float64)
	for _, n := range codes {
		accounted += n.(float64)
	}
	if line["records"] != float64(sent) || accounted != sent || line["end"] != "client went away" {
		t.Errorf("log line %v: want %d records read, each reported or counted unreported, ended by the client", line, sent)
	}
	waitFor(t, "the records read to be delivered", func() bool { return ts.inFlight() == 0 })
	stored := kafkatest.Read(t, kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "gone"}, kafka.FirstOffset, sent)
	for i, m := range stored {
		if want := fmt.Sprintf("r%d", i); string(m.Value) != want {
			t.Fatalf("stored record %d is %q, want %q", i, m.Value, want)
		}
	}
	if end := kafkatest.EndOffset(t, b.Addr(), "gone", 0); end != sent {
		t.Errorf("%d records stored, %d read", end, sent)
	}
	deadline := time.Now().Add(10 * time.Second)
	for left := streamGoroutines(); len(left) > before; left = streamGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of the stream or its connection left, %d before it:\n%s", len(left), before, strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamGoroutines returns the stacks of goroutines serving produce streams
// in this process.
func streamGoroutines() []string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "proxy/produce.(*Stream)") || strings.Contains(g, "proxy/produce.(*intake)") ||
			strings.Contains(g, "proxy/produce.(*queue)") || strings.Contains(g, "proxy.(*Server).handleProduce") {
			out = append(out, g)
		}
	}
	return out
}
