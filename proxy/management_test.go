package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

func TestManagement_LivezReadyz(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, path := range []string{"/livez", "/readyz"} {
		if resp, body := get(t, ts.mgmt+path); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s, want 200", path, resp.StatusCode, body)
		}
	}
	// The management port serves nothing else, and the produce port has no probes.
	if resp, _ := get(t, ts.mgmt+"/v3/clusters/c/topics/orders/records"); resp.StatusCode != 404 {
		t.Errorf("produce path on the management port: %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, ts.base+"/readyz"); resp.StatusCode != 404 {
		t.Errorf("/readyz on the produce port: %d, want 404", resp.StatusCode)
	}
}

// Readiness needs Kafka; liveness does not.
func TestManagement_NotReadyWithoutKafka(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1")
	cfg.Producer.MetadataWaitMs = 200
	ts := startServerConfig(t, cfg, io.Discard)
	if resp, _ := get(t, ts.mgmt+"/livez"); resp.StatusCode != 200 {
		t.Errorf("livez: %d, want 200", resp.StatusCode)
	}
	if resp, body := get(t, ts.mgmt+"/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz without Kafka: %d %s, want 503", resp.StatusCode, body)
	}
}

// The metrics listed in README.md, "Operations": records by error_code,
// bytes, streams, in-flight records, report latency, refused streams by
// reason, rate-limited records and the Kafka writer's statistics.
func TestManagement_Metrics(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.RecordsPerSecond = 1000
	})
	body := oneRecord + `{"partition_id":99}` + oneRecord
	postRecords(t, ts.url("c", "orders"), body)
	post(t, ts.url("c", "orders"), "text/plain", oneRecord)
	_, text := get(t, ts.mgmt+"/metrics")
	for _, want := range []string{
		`restproxy_records_total{error_code="200"} 2`,
		`restproxy_records_total{error_code="40402"} 1`,
		`restproxy_received_bytes_total ` + strconv.Itoa(len(body)),
		`restproxy_active_streams 0`,
		`restproxy_in_flight_records 0`,
		`restproxy_report_latency_seconds_count 3`,
		`restproxy_streams_rejected_total{reason="media_type"} 1`,
		`restproxy_rate_limited_records_total 0`,
		`restproxy_kafka_writer_messages_total 2`,
		`go_goroutines`,
	} {
		if !bytes.Contains(text, []byte(want+"\n")) && !bytes.Contains(text, []byte(want+" ")) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// The in-flight bounds are exposed next to the gauges they bound, so the
// chart's saturation alert can divide one by the other.
func TestManagement_InFlightLimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.HTTP.MaxInFlightTotal = 1234
		c.HTTP.MaxInFlightBytesTotal = 5 << 20
	})
	got := scrape(t, ts.mgmt)
	for name, want := range map[string]float64{
		"restproxy_in_flight_records_limit": 1234,
		"restproxy_in_flight_bytes_limit":   5 << 20,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v (the config's bound)", name, got[name], want)
		}
	}
}

// One log line per finished stream, with its duration, records, bytes and
// counts per error_code.
func TestStreamLogLine(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	cfg := testConfig(testBroker.Addr())
	cfg.Logging.Level = "info"
	ts := startServerConfig(t, cfg, &logs)
	postRecords(t, ts.url("c", "orders"), oneRecord+oneRecord+`{"partition_id":-3}`)
	waitFor(t, "the stream's log line", func() bool { return strings.Contains(logs.String(), `"stream finished"`) })
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"stream finished"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
		}
	}
	codes, _ := line["error_codes"].(map[string]any)
	if line["records"] != 3.0 || line["topic"] != "orders" || line["end"] != "end of input" ||
		codes["200"] != 2.0 || codes["40402"] != 1.0 || line["duration_ms"] == nil || line["bytes"] == nil {
		t.Errorf("log line %v: want records 3, topic, end, duration, bytes and error_codes 200:2 40402:1", line)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The gauges listed in README.md, "Operations", move with the traffic, as
// scraped: while Kafka holds 5 records, /metrics shows one active stream and
// 5 records in flight; once they are reported, 5 successes, 5 latencies with
// a positive sum, the writer's 5 messages and their bytes, and the gauges
// back at 0.
func TestManagement_MetricsWhileStreaming(t *testing.T) {
	broker, release := heldBroker(t, map[string]int32{"metrics": 1})
	defer release()
	ts := startServerConfig(t, testConfig(broker.Addr()), io.Discard)
	sc := openStream(t, ts.url("c", "metrics"))
	for range 5 {
		sc.send(oneRecord)
	}
	waitFor(t, "5 records in flight", func() bool { return ts.inFlight() == 5 })
	held := scrape(t, ts.mgmt)
	for name, want := range map[string]float64{
		"restproxy_active_streams":       1,
		"restproxy_in_flight_records":    5,
		"restproxy_records_total":        0,
		"restproxy_received_bytes_total": float64(5 * len(oneRecord)),
	} {
		if got := held[name]; got != want {
			t.Errorf("while Kafka holds the records: %s = %v, want %v", name, got, want)
		}
	}

	release()
	for i := range 5 {
		if r := sc.next(); r.ErrorCode != 200 {
			t.Fatalf("report %d: %v", i, r)
		}
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Fatalf("extra reports %v", rest)
	}
	waitFor(t, "the stream to end", func() bool { return scrape(t, ts.mgmt)["restproxy_active_streams"] == 0 })
	after := scrape(t, ts.mgmt)
	for name, want := range map[string]float64{
		`restproxy_records_total{error_code="200"}`: 5,
		"restproxy_in_flight_records":               0,
		"restproxy_report_latency_seconds_count":    5,
		"restproxy_kafka_writer_messages_total":     5,
	} {
		if got := after[name]; got != want {
			t.Errorf("after the reports: %s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"restproxy_report_latency_seconds_sum", "restproxy_kafka_writer_writes_total", "restproxy_kafka_writer_bytes_total"} {
		if after[name] <= 0 {
			t.Errorf("after the reports: %s = %v, want > 0", name, after[name])
		}
	}
}

// scrape reads /metrics into a map from series (name and labels, as
// printed) to value; unlabelled families with labelled series also get
// the sum of their series under the bare name.
func scrape(t testing.TB, mgmt string) map[string]float64 {
	t.Helper()
	resp, body := get(t, mgmt+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series := line[:i]
		out[series] = v
		if name, _, ok := strings.Cut(series, "{"); ok {
			out[name] += v
		}
	}
	return out
}
