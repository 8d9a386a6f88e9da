package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// The access log's lines, parsed from a real run (README "Observability"):
// a stream with mixed outcomes gets one line with its principal, topic,
// cluster, records, bytes, counts per error_code, duration and end reason
// (the trace id only with tracing on: TestTracing_*), and neither the password nor a payload; a successful
// one-record request is left out at sampleSuccessfulSingleRatio 0 while a
// failed one is logged; a refused request gets its own line.
func TestAccessLog_MixedStreamSingleAndRefusal(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, creds, "alice:pa55word-xyz\n")
	cfg := testConfig(testBroker.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
	cfg.Logging.Level = "info"
	cfg.Logging.Access.SampleSuccessfulSingleRatio = 0
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)
	url := ts.url("c1", "accesslog")
	alice := basic("alice", "pa55word-xyz")

	const secretValue = "do-not-log-this-payload"
	mixed := `{"value":{"type":"STRING","data":"` + secretValue + `"}}
{"partition_id":7,"value":{"type":"STRING","data":"b"}}
{"value":{"type":"STRING","data":"c"}}`
	produceWith(t, url, mixed, alice, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	produceWith(t, url, `{"value":{"type":"STRING","data":"single"}}`, alice, "")
	produceWith(t, url, `{"partition_id":9,"value":{"type":"STRING","data":"single"}}`, alice, "")
	resp, _ := produceAs(t, url, basic("alice", "wrong"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d", resp.StatusCode)
	}

	var lines []map[string]any
	waitFor(t, "three access-log lines", func() bool {
		lines = accessLines(t, logs.String())
		return len(lines) >= 3
	})
	text := logs.String()
	for _, secret := range []string{"pa55word-xyz", secretValue, "wrong"} {
		if strings.Contains(text, secret) {
			t.Errorf("the log holds %q:\n%s", secret, text)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d access lines, want 3 (the mixed stream, the failed single, the refusal):\n%s", len(lines), text)
	}
	stream := lines[0]
	want := map[string]any{
		"msg": "stream finished", "principal": "alice", "cluster_id": "c1", "topic": "accesslog",
		"records": 3.0, "end": "end of input",
		"error_codes": map[string]any{"200": 2.0, "40402": 1.0},
	}
	for k, v := range want {
		if fmt.Sprint(stream[k]) != fmt.Sprint(v) {
			t.Errorf("stream line %s = %v, want %v", k, stream[k], v)
		}
	}
	if b, _ := stream["bytes"].(float64); b < float64(len(mixed)-10) {
		t.Errorf("stream line bytes = %v, want about %d", stream["bytes"], len(mixed))
	}
	if id, ok := stream["trace_id"]; ok {
		t.Errorf("stream line trace_id = %v with tracing off, want none", id)
	}
	if _, ok := stream["duration_ms"].(float64); !ok {
		t.Errorf("stream line has no duration_ms: %v", stream)
	}
	if single := lines[1]; fmt.Sprint(single["error_codes"]) != "map[40402:1]" || single["records"] != 1.0 {
		t.Errorf("failed single line = %v, want one record failing 40402", single)
	}
	if refused := lines[2]; refused["msg"] != "request refused" || refused["status"] != 401.0 || refused["error_code"] != 40101.0 {
		t.Errorf("refusal line = %v, want 401/40101", refused)
	}
}

// produceWith POSTs body with an Authorization and, when not "", a
// traceparent header, and fails the test unless it is answered 200.
func produceWith(t *testing.T, url, body, authorization, traceparent string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	if resp, raw := do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
}

// accessLines are the access-log lines of a JSON log, in order.
func accessLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, `"msg":"stream finished"`) && !strings.Contains(l, `"msg":"request refused"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
