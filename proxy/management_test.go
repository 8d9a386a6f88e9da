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

// The metrics of spec 6 (ours): records by error_code, bytes, streams,
// in-flight records, report latency, refused streams by reason,
// rate-limited records and the Kafka writer's statistics.
func TestManagement_Metrics(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.RecordsPerSecond = 1000
	})
	body := oneRecord + `{"partition_id":99}` + oneRecord
	produce(t, ts.url("c", "orders"), body)
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

// One log line per finished stream, with its duration, records, bytes and
// counts per error_code.
func TestStreamLogLine(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	cfg := testConfig(testBroker.Addr())
	cfg.Logging.Level = "info"
	ts := startServerConfig(t, cfg, &logs)
	produce(t, ts.url("c", "orders"), oneRecord+oneRecord+`{"partition_id":-3}`)
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
	if line["records"] != 3.0 || line["topic"] != "orders" || line["end"] != endInput ||
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
