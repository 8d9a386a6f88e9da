package proxy

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
	"github.com/restproxy-dev/restproxy-operator/proxy/management"
)

// limitSeries is how /metrics prints the counter of one limit.
func limitSeries(limit string) string {
	return `restproxy_limit_exceeded_total{limit="` + limit + `"}`
}

// README.md, "Limits": each limit is visible in /metrics. For each, a server
// with only that limit set is pushed over it; /metrics then shows that
// limit's counter at the number of refusals the client saw, every other
// limit's at 0, and the topic, read back, holds only the records reported
// 200.
func TestMetrics_EachLimitCounted(t *testing.T) {
	rec := `{"value":{"type":"STRING","data":"0123456789"}}` // 47 bytes
	big := `{"value":{"type":"STRING","data":"` + strings.Repeat("x", 300) + `"}}`
	// burst posts five records in one request and returns how many were
	// reported 200 and how many 429.
	burst := func(t *testing.T, ts *testServer) (produced, refused int) {
		for _, r := range postRecords(t, ts.url("c", "limits"), strings.Repeat(rec, 5)) {
			switch r.ErrorCode {
			case 200:
				produced++
			case 429:
				refused++
			default:
				t.Fatalf("report %v, want 200 or 429", r)
			}
		}
		return produced, refused
	}
	// A principal's own budgets: the API key "k" under a rule, with
	// rateLimit off.
	keys := writeTempCredentials(t, "k\n")
	burstAsKey := func(t *testing.T, ts *testServer) (produced, refused int) {
		resp, raw := produceBodyAs(t, ts.url("c", "limits"), "Bearer k", strings.Repeat(rec, 5))
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
		for _, r := range parseReports(t, raw) {
			switch r.ErrorCode {
			case 200:
				produced++
			case 429:
				refused++
			default:
				t.Fatalf("report %v, want 200 or 429", r)
			}
		}
		return produced, refused
	}
	principal := func(rule config.AccessRule) func(*config.Config) {
		return func(c *config.Config) {
			c.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: keys}
			rule.Principals = []config.PrincipalMatch{{Prefix: "key:"}}
			c.Authorization.Rules = []config.AccessRule{rule}
		}
	}
	rate := func(set func(*config.RateLimit)) func(*config.Config) {
		return func(c *config.Config) {
			// Every other budget is 0: no limit on that dimension.
			c.RateLimit = config.RateLimit{Enabled: true}
			set(&c.RateLimit)
		}
	}
	cases := []struct {
		limit  string
		config func(*config.Config)
		hit    func(t *testing.T, ts *testServer) (produced, refused int)
	}{
		{"rate_records_global", rate(func(r *config.RateLimit) { r.RecordsPerSecond = 1 }), burst},
		{"rate_bytes_global", rate(func(r *config.RateLimit) { r.BytesPerSecond = int64(len(rec)) }), burst},
		{"rate_records_cluster", rate(func(r *config.RateLimit) { r.PerClusterRecordsPerSecond = 1 }), burst},
		{"rate_bytes_cluster", rate(func(r *config.RateLimit) { r.PerClusterBytesPerSecond = int64(len(rec)) }), burst},
		{"rate_records_principal", principal(config.AccessRule{RecordsPerSecond: 1}), burstAsKey},
		{"rate_bytes_principal", principal(config.AccessRule{BytesPerSecond: int64(len(rec))}), burstAsKey},
		{"max_streams", func(c *config.Config) { c.HTTP.MaxStreams = 1 }, func(t *testing.T, ts *testServer) (int, int) {
			sc := openStream(t, ts.url("c", "limits"))
			sc.send(rec)
			if r := sc.next(); r.ErrorCode != 200 {
				t.Fatalf("first stream: %v", r)
			}
			resp, body := post(t, ts.url("c", "limits"), "application/json", rec)
			wantError(t, resp, body, 429, 429, "Too many concurrent streams: try again later.")
			sc.closeSend()
			if rest := sc.rest(); len(rest) != 0 {
				t.Fatalf("first stream: extra reports %v", rest)
			}
			return 1, 1
		}},
		{"max_request_bytes", func(c *config.Config) { c.HTTP.MaxRequestBytes = 10 }, func(t *testing.T, ts *testServer) (int, int) {
			resp, body := post(t, ts.url("c", "limits"), "application/json", rec)
			wantError(t, resp, body, 413, 413, "Request body is larger than allowed.")
			return 0, 1
		}},
		{"max_record_bytes", func(c *config.Config) { c.HTTP.MaxRecordBytes = 100 }, func(t *testing.T, ts *testServer) (int, int) {
			reports := postRecords(t, ts.url("c", "limits"), rec+big+rec)
			if len(reports) != 2 || reports[0].ErrorCode != 200 || reports[1].ErrorCode != 400 {
				t.Fatalf("reports %v, want 200 then the fatal 400", reports)
			}
			return 1, 1
		}},
		{"max_message_bytes", func(c *config.Config) { c.Producer.MaxMessageBytes = 200 }, func(t *testing.T, ts *testServer) (int, int) {
			reports := postRecords(t, ts.url("c", "limits"), big+rec)
			if len(reports) != 2 || reports[0].ErrorCode != 413 || reports[1].ErrorCode != 200 {
				t.Fatalf("reports %v, want 413 then 200", reports)
			}
			return 1, 1
		}},
		{"stream_max_age", func(c *config.Config) {
			c.HTTP.StreamMaxAgeMs = 1
			c.HTTP.StreamGracePeriodMs = 100
		}, func(t *testing.T, ts *testServer) (int, int) {
			sc := openStream(t, ts.url("c", "limits"))
			time.Sleep(20 * time.Millisecond) // past the maximum age: the condition under test is time itself
			produced := 0
			for range 100 {
				sc.send(rec)
				switch r := sc.next(); r.ErrorCode {
				case 408:
					if rest := sc.rest(); len(rest) != 0 {
						t.Fatalf("reports after the 408: %v", rest)
					}
					return produced, 1
				case 200: // the server read it within a millisecond of the stream's start
					produced++
				default:
					t.Fatalf("report %v, want 408", r)
				}
			}
			t.Fatalf("no 408 after 100 records")
			return 0, 0
		}},
	}
	for _, c := range cases {
		t.Run(c.limit, func(t *testing.T) {
			t.Parallel()
			b := kafkatest.StartBroker(t, map[string]int32{"limits": 1})
			cfg := testConfig(b.Addr())
			c.config(&cfg)
			ts := startServerConfig(t, cfg, io.Discard)
			before := scrape(t, ts.mgmt)
			for _, name := range management.LimitNames() {
				if v, ok := before[limitSeries(name)]; !ok || v != 0 {
					t.Errorf("before any traffic: %s = %v (present %v), want 0", limitSeries(name), v, ok)
				}
			}
			produced, refused := c.hit(t, ts)
			if refused == 0 {
				t.Fatalf("the limit refused nothing")
			}
			after := scrape(t, ts.mgmt)
			for _, name := range management.LimitNames() {
				want := 0.0
				if name == c.limit {
					want = float64(refused)
				}
				if got := after[limitSeries(name)]; got != want {
					t.Errorf("%s = %v, want %v", limitSeries(name), got, want)
				}
			}
			if n := kafkatest.EndOffset(t, b.Addr(), "limits", 0); n != int64(produced) {
				t.Errorf("topic holds %d records, %d were reported 200: refused records must not be produced", n, produced)
			}
		})
	}
}

// Every refusal reason of restproxy_streams_rejected_total is a series
// from the start, auth failures (401, 403) included.
func TestMetrics_RefusalReasonsPresentAtZero(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	m := scrape(t, ts.mgmt)
	for _, k := range apierror.Refusals() {
		reason := k.Label()
		series := fmt.Sprintf(`restproxy_streams_rejected_total{reason=%q}`, reason)
		if v, ok := m[series]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", series, v, ok)
		}
	}
}

// Every refusal is counted, those echo's router answers itself included:
// a method other than POST is reason="method", an unknown path
// reason="path".
func TestMetrics_RouterRefusalsCounted(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	if resp, body := get(t, ts.url("c", "orders")); resp.StatusCode != 405 {
		t.Fatalf("GET: %d %s, want 405", resp.StatusCode, body)
	}
	paths := []string{"/v3/clusters/c/brokers", "/nope", "/v3/clusters/c/topics/orders/records/extra"}
	for _, p := range paths {
		if resp, body := post(t, ts.base+p, "application/json", `{}`); resp.StatusCode != 404 {
			t.Fatalf("POST %s: %d %s, want 404", p, resp.StatusCode, body)
		}
	}
	m := scrape(t, ts.mgmt)
	if got := m[`restproxy_streams_rejected_total{reason="method"}`]; got != 1 {
		t.Errorf("reason=method counted %v, want 1", got)
	}
	if got := m[`restproxy_streams_rejected_total{reason="path"}`]; got != float64(len(paths)) {
		t.Errorf("reason=path counted %v, want %d", got, len(paths))
	}
}
