package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/devbroker"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// testBroker is the one Kafka-protocol broker the tests of this package
// share; tests that inject faults start their own.
var testBroker *devbroker.Broker

// testTopics are created on testBroker. Tests that count what a topic holds
// have a topic of their own.
var testTopics = map[string]int32{
	"orders":       3,
	"traced":       2,
	"accesslog":    1,
	"single":       1,
	"stream10k":    3,
	"duplex":       1,
	"broken":       1,
	"ratelimit":    1,
	"shutdown":     1,
	"maxage":       1,
	"disconnect":   3,
	"latin1":       1,
	"notproduced":  1,
	"sigterm":      1,
	"batchmixed":   1,
	"batchrefused": 1,
	"gzip10k":      3,
	"zstd10k":      3,
	"compressed":   1,
	"notinflated":  1,
	"tenant-a":     1,
	"tenant-b":     1,
	"schemas":      3,
	"schemastream": 1,
	"schemafaults": 1,
}

func TestMain(m *testing.M) {
	b, err := devbroker.Start("127.0.0.1:0", testTopics)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBroker = b
	code := m.Run()
	b.Close()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// testServer is a running Server on 127.0.0.1:0 and how to reach it.
type testServer struct {
	*Server
	base string // http://host:port of the produce API
	mgmt string // http://host:port of the management endpoints
	stop context.CancelFunc
	done chan error
}

// testConfig is a config for tests: loopback listeners on free ports, the
// given broker, quick linger.
func testConfig(brokerAddr string) config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.ManagementListen = "127.0.0.1:0"
	cfg.Kafka.BootstrapServers = []string{brokerAddr}
	cfg.Producer.LingerMs = 1
	cfg.Producer.MetadataWaitMs = 2000
	cfg.HTTP.ShutdownDrainMs = 5000
	cfg.Logging.Level = "warn"
	return cfg
}

// startServer runs a server against testBroker, with mutate applied to its
// config, and stops it when the test ends.
func startServer(t testing.TB, mutate func(*config.Config)) *testServer {
	t.Helper()
	cfg := testConfig(testBroker.Addr())
	if mutate != nil {
		mutate(&cfg)
	}
	return startServerConfig(t, cfg, io.Discard)
}

func startServerConfig(t testing.TB, cfg config.Config, logOut io.Writer) *testServer {
	t.Helper()
	return startServerWrapped(t, cfg, logOut, nil)
}

// startServerWrapped is startServerConfig with the produce listener
// replaced by wrap(listener), when wrap is not nil, before the server
// serves: for tests that shape the server's side of its connections.
func startServerWrapped(t testing.TB, cfg config.Config, logOut io.Writer, wrap func(net.Listener) net.Listener) *testServer {
	t.Helper()
	srv, err := New(cfg, NewLogger(cfg.Logging, logOut))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if wrap != nil {
		srv.apiListener = wrap(srv.apiListener)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{
		Server: srv,
		base:   "http://" + srv.Addr().String(),
		mgmt:   "http://" + srv.ManagementAddr().String(),
		stop:   cancel,
		done:   make(chan error, 1),
	}
	go func() { ts.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15s")
		}
	})
	return ts
}

func (ts *testServer) url(cluster, topic string) string {
	return ts.base + "/v3/clusters/" + cluster + "/topics/" + topic + "/records"
}

// report is one line of a produce response.
type report struct {
	ErrorCode   int         `json:"error_code"`
	Message     string      `json:"message"`
	ClusterID   string      `json:"cluster_id"`
	TopicName   string      `json:"topic_name"`
	PartitionID int32       `json:"partition_id"`
	Offset      int64       `json:"offset"`
	Timestamp   string      `json:"timestamp"`
	Key         *dataReport `json:"key"`
	Value       *dataReport `json:"value"`
	raw         string
}

type dataReport struct {
	Type          string `json:"type"`
	Subject       string `json:"subject"`
	SchemaID      int    `json:"schema_id"`
	SchemaVersion int    `json:"schema_version"`
	Size          int    `json:"size"`
}

func (r report) String() string { return r.raw }

// parseReport decodes one report line, refusing fields the contract does
// not have.
func parseReport(t testing.TB, line string) report {
	t.Helper()
	var r report
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("report %q: %v", line, err)
	}
	r.raw = line
	if r.ErrorCode != 200 && !strings.HasPrefix(line, `{"error_code":`+fmt.Sprint(r.ErrorCode)+`,"message":`) {
		t.Fatalf("error report %q is not exactly {error_code, message}", line)
	}
	return r
}

// parseReports splits a response body into reports; each must end in CRLF.
func parseReports(t testing.TB, body []byte) []report {
	t.Helper()
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatalf("response body does not end in CRLF: %q", body)
	}
	var out []report
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n") {
		if line != "" {
			out = append(out, parseReport(t, line))
		}
	}
	return out
}

// post sends body with the content type and returns the response and its
// whole body.
func post(t testing.TB, url, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp, body
}

// produce posts records as JSON and returns the reports of a 200 answer.
func postRecords(t testing.TB, url, body string) []report {
	t.Helper()
	resp, raw := post(t, url, "application/json", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", url, resp.StatusCode, raw)
	}
	return parseReports(t, raw)
}

// wantError checks an HTTP-level error: status, the exact JSON body and its
// Content-Type. Callers check Retry-After and WWW-Authenticate themselves.
func wantError(t testing.TB, resp *http.Response, body []byte, status, code int, message string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	want, _ := json.Marshal(struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}{code, message})
	if !bytes.Equal(body, want) {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// readBack consumes the record at topic/partition/offset with a separate
// kafka-go Reader: what Kafka stored, not what the proxy says it stored.
func readBack(t testing.TB, topic string, partition int32, offset int64) kafka.Message {
	t.Helper()
	msgs := readRange(t, topic, partition, offset, 1)
	return msgs[0]
}

// readRange consumes n records from offset on.
func readRange(t testing.TB, topic string, partition int32, offset int64, n int) []kafka.Message {
	t.Helper()
	rc := kafka.ReaderConfig{Brokers: []string{testBroker.Addr()}, Topic: topic, Partition: int(partition)}
	return kafkatest.Read(t, rc, offset, n)
}

// streamClient sends a chunked request body through a pipe and reads the
// reports as they come, so a test can interleave both.
type streamClient struct {
	t     testing.TB
	w     *io.PipeWriter
	got   chan *http.Response
	errc  chan error
	resp  *http.Response
	lines *bufio.Reader
}

func openStream(t testing.TB, url string) *streamClient {
	t.Helper()
	return openStreamWith(t, http.DefaultClient, url)
}

func openStreamWith(t testing.TB, client *http.Client, url string, authorization ...string) *streamClient {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	sc := &streamClient{t: t, w: pw, got: make(chan *http.Response, 1), errc: make(chan error, 1)}
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			sc.errc <- err
			return
		}
		sc.got <- resp
	}()
	t.Cleanup(func() {
		pw.Close()
		if sc.resp != nil {
			sc.resp.Body.Close()
		}
	})
	return sc
}

// send writes s to the request body; it blocks while the server does not
// read (the pipe has no buffer).
func (sc *streamClient) send(s string) {
	sc.t.Helper()
	if _, err := io.WriteString(sc.w, s); err != nil {
		sc.t.Fatalf("send: %v", err)
	}
}

// closeSend ends the request body.
// sendUntil sends rec one at a time until a report has code want, and
// returns that report, failing on any code but interim (what the stream
// reports until the change the test waits for has happened) or after 20 s.
// what names that change.
func (sc *streamClient) sendUntil(rec string, want, interim int, what string) report {
	sc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		sc.send(rec)
		r := sc.next()
		if r.ErrorCode == want {
			return r
		}
		if r.ErrorCode != interim {
			sc.t.Fatalf("record %d: %v, want %d, or %d until %s", i, r, want, interim, what)
		}
		if time.Now().After(deadline) {
			sc.t.Fatalf("still %d after %d records: %s was never reported as %d", interim, i+1, what, want)
		}
	}
}

func (sc *streamClient) closeSend() { sc.w.Close() }

// response waits for the response headers.
func (sc *streamClient) response() *http.Response {
	sc.t.Helper()
	if sc.resp != nil {
		return sc.resp
	}
	select {
	case sc.resp = <-sc.got:
		sc.lines = bufio.NewReader(sc.resp.Body)
	case err := <-sc.errc:
		sc.t.Fatalf("stream request: %v", err)
	case <-time.After(20 * time.Second):
		sc.t.Fatalf("no response headers within 20s")
	}
	return sc.resp
}

// next reads the next report, failing the test at the end of the body.
func (sc *streamClient) next() report {
	sc.t.Helper()
	r, ok := sc.tryNext()
	if !ok {
		sc.t.Fatalf("response ended; wanted another report")
	}
	return r
}

// tryNext reads the next report; false at the end of the body.
func (sc *streamClient) tryNext() (report, bool) {
	sc.t.Helper()
	sc.response()
	// A server that holds reports back must fail the test, not hang it.
	watchdog := time.AfterFunc(20*time.Second, func() { sc.resp.Body.Close() })
	line, err := sc.lines.ReadString('\n')
	if !watchdog.Stop() {
		sc.t.Fatalf("no report within 20s (partial %q)", line)
	}
	if err == io.EOF && line == "" {
		return report{}, false
	}
	if err != nil {
		sc.t.Fatalf("read report: %v (partial %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		sc.t.Fatalf("report %q does not end in CRLF", line)
	}
	return parseReport(sc.t, strings.TrimSuffix(line, "\r\n")), true
}

// rest reads the remaining reports up to the end of the response.
func (sc *streamClient) rest() []report {
	sc.t.Helper()
	var out []report
	for {
		r, ok := sc.tryNext()
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

// testCounter reads the value of one counter or gauge.
func testCounter(t testing.TB, c prometheus.Collector) float64 {
	t.Helper()
	return testutil.ToFloat64(c)
}

// produceChunked is produce with a body of unknown length, sent with
// Transfer-Encoding: chunked: the streaming mode.
func produceChunked(t testing.TB, url, body string) []report {
	t.Helper()
	return produceStream(t, url, io.MultiReader(strings.NewReader(body)))
}

// produceStream sends body as a chunked stream and returns the reports of
// a 200 answer. The body is read as the transport sends it, so a server
// that stops reading leaves the rest unsent.
func produceStream(t testing.TB, url string, body io.Reader) []report {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.TransferEncoding = []string{"chunked"}
	resp, raw := do(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s (chunked): status %d, body %.300s", url, resp.StatusCode, raw)
	}
	return parseReports(t, raw)
}

// bothModes runs check as a subtest for a single request with
// Content-Length and for a chunked stream.
func bothModes(t *testing.T, check func(t *testing.T, produce func(testing.TB, string, string) []report)) {
	t.Helper()
	t.Run("Content-Length", func(t *testing.T) { check(t, postRecords) })
	t.Run("chunked", func(t *testing.T) { check(t, produceChunked) })
}

// inFlight is what the flow bounds hold now: the records the server's
// streams have read and not yet reported.
func (ts *testServer) inFlight() int64 {
	records, _ := ts.producer.Flow().Held()
	return records
}

// inFlightPeak is the most records the flow bounds ever held at once.
func (ts *testServer) inFlightPeak() int64 { return ts.producer.Flow().Peak() }

// metric is the value of one series of the server's metrics, by name and
// label pairs, read from its registry; 0 when absent.
func (ts *testServer) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	families, err := ts.metrics.Registry().Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
