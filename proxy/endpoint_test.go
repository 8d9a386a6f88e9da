package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

const oneRecord = `{"value":{"type":"STRING","data":"hello"}}`

// docs/produce-api.md, "Endpoint": the v3 path, under /kafka too, with or
// without a trailing slash.
func TestProduce_PathsAndTrailingSlash(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, path := range []string{
		"/v3/clusters/c1/topics/orders/records",
		"/v3/clusters/c1/topics/orders/records/",
		"/kafka/v3/clusters/c1/topics/orders/records",
		"/kafka/v3/clusters/c1/topics/orders/records/",
	} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			reports := postRecords(t, ts.base+path, oneRecord)
			if len(reports) != 1 || reports[0].ErrorCode != 200 || reports[0].TopicName != "orders" {
				t.Fatalf("reports = %v, want one success for topic orders", reports)
			}
		})
	}
}

// docs/produce-api.md, "Endpoint": any cluster_id is accepted and echoed back
// when none is configured.
func TestProduce_ClusterIDEchoed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, id := range []string{"lkc-abc123", "anything"} {
		reports := postRecords(t, ts.url(id, "orders"), oneRecord)
		if len(reports) != 1 || reports[0].ClusterID != id {
			t.Errorf("cluster %s: reports = %v, want cluster_id echoed", id, reports)
		}
	}
}

// docs/produce-api.md, "Endpoint" and "Refusals before streaming": with a
// configured cluster id, another gets 404 before streaming.
func TestProduce_UnknownClusterID_404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.ClusterID = "prod" })
	resp, body := post(t, ts.url("other", "orders"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 404, "Cluster other cannot be found.")
	if reports := postRecords(t, ts.url("prod", "orders"), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Errorf("configured cluster: reports = %v, want one success", reports)
	}
}

// docs/produce-api.md, "Headers" and "Refusals before streaming":
// application/json only, in any case; anything else is 415.
func TestProduce_UnsupportedMediaType_415(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, ct := range []string{"", "text/plain", "application/xml", "application/vnd.kafka.json.v2+json", "application/json-seq", "garbage;;"} {
		t.Run(ct, func(t *testing.T) {
			t.Parallel()
			resp, body := post(t, ts.url("c", "orders"), ct, oneRecord)
			wantError(t, resp, body, 415, 415, "HTTP 415 Unsupported Media Type")
		})
	}
	for _, ct := range []string{"application/json", "Application/JSON", "APPLICATION/JSON; charset=utf-8"} {
		t.Run("accepts "+ct, func(t *testing.T) {
			t.Parallel()
			resp, body := post(t, ts.url("c", "orders"), ct, oneRecord)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, body %s; want 200", resp.StatusCode, body)
			}
		})
	}
}

// docs/produce-api.md, "Headers" and "Refusals before streaming": charset
// UTF-8 or ISO-8859-1 in any case; others are 400.
func TestProduce_UnsupportedCharset_400(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, cs := range []string{"utf-16", "us-ascii", "latin1", "windows-1252"} {
		resp, body := post(t, ts.url("c", "orders"), "application/json; charset="+cs, oneRecord)
		wantError(t, resp, body, 400, 400, `Unsupported charset in Content-Type header. Supports "UTF-8" and "ISO-8859-1".`)
	}
	for _, cs := range []string{"UTF-8", "utf-8", "ISO-8859-1", "iso-8859-1"} {
		resp, body := post(t, ts.url("c", "orders"), "application/json; charset="+cs, oneRecord)
		if resp.StatusCode != 200 || len(parseReports(t, body)) != 1 {
			t.Errorf("charset %s: status %d body %s, want one report", cs, resp.StatusCode, body)
		}
	}
}

// docs/produce-api.md, "Headers": an ISO-8859-1 body is read as Latin-1: é
// (0xE9) is stored as UTF-8.
func TestProduce_Latin1BodyStoredAsUTF8(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	body := "{\"value\":{\"type\":\"STRING\",\"data\":\"caf\xe9\"}}"
	resp, raw := post(t, ts.url("c", "latin1"), "application/json; charset=ISO-8859-1", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d body %s", resp.StatusCode, raw)
	}
	r := parseReports(t, raw)
	if len(r) != 1 || r[0].ErrorCode != 200 {
		t.Fatalf("reports = %v, want one success", r)
	}
	if got := string(readBack(t, "latin1", r[0].PartitionID, r[0].Offset).Value); got != "café" {
		t.Errorf("stored value = %q, want %q", got, "café")
	}
}

// docs/produce-api.md, "Endpoint": other methods on the path get 405, unknown
// paths 404, both as JSON.
func TestProduce_MethodNotAllowed_405(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, http.MethodHead} {
		req, _ := http.NewRequest(m, ts.url("c", "orders"), nil)
		resp, body := do(t, req)
		if m == http.MethodHead {
			if resp.StatusCode != 405 {
				t.Errorf("HEAD: status %d, want 405", resp.StatusCode)
			}
			continue
		}
		wantError(t, resp, body, 405, 405, "HTTP 405 Method Not Allowed")
	}
}

func TestProduce_UnknownPath_404(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	// (/v3/clusters/c/topics/orders is a discovery resource: POST there is
	// 405, docs/discovery.md.)
	for _, path := range []string{"/", "/v3/clusters/c/topics/orders/configs", "/v3/clusters/c/topics/orders/records/x", "/v2/topics/orders", "/v3/clusters/c/topics//records"} {
		resp, body := post(t, ts.base+path, "application/json", oneRecord)
		wantError(t, resp, body, 404, 404, "HTTP 404 Not Found")
	}
}

// docs/produce-api.md, "Refusals before streaming": an empty or
// whitespace-only body is 422, with Content-Length or chunked.
func TestProduce_EmptyBody_422(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	const msg = "Payload error. Request body is empty. Data is required."
	for _, body := range []string{"", " ", " \t\r\n  \n"} {
		resp, raw := post(t, ts.url("c", "orders"), "application/json", body)
		wantError(t, resp, raw, 422, 422, msg)

		sc := openStream(t, ts.url("c", "orders"))
		sc.send(body)
		sc.closeSend()
		resp = sc.response()
		if resp.StatusCode != 422 {
			t.Errorf("chunked %q: status %d, want 422", body, resp.StatusCode)
		}
	}
}

// docs/produce-api.md, "Refusals before streaming": an unknown topic is
// answered 404/40401 from broker metadata, at once.
func TestProduce_UnknownTopic_40401(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	start := time.Now()
	resp, body := post(t, ts.url("c", "no-such-topic"), "application/json", oneRecord)
	wantError(t, resp, body, 404, 40401, "Topic no-such-topic cannot be found.")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("404 took %v; want it from metadata, without waiting for a delivery timeout", d)
	}
}

// docs/produce-api.md, "Refusals before streaming": Content-Length above
// http.maxRequestBytes is 413.
func TestProduce_RequestTooLarge_413(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxRequestBytes = 100 })
	resp, body := post(t, ts.url("c", "orders"), "application/json", oneRecord+strings.Repeat(" ", 100))
	wantError(t, resp, body, 413, 413, "Request body is larger than allowed.")
	if reports := postRecords(t, ts.url("c", "orders"), oneRecord); len(reports) != 1 {
		t.Errorf("small request: reports = %v", reports)
	}
}

// docs/produce-api.md, "Refusals before streaming": above http.maxStreams
// concurrent streams, 429 with Retry-After.
func TestProduce_TooManyStreams_429(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxStreams = 1 })
	sc := openStream(t, ts.url("c", "orders"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("first stream: %v", r)
	}
	resp, body := post(t, ts.url("c", "orders"), "application/json", oneRecord)
	wantError(t, resp, body, 429, 429, "Too many concurrent streams: try again later.")
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Errorf("429 without Retry-After")
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("first stream: extra reports %v", rest)
	}
	// The slot is free again once the first stream ended.
	waitFor(t, "the stream slot to free", func() bool { return ts.admit.streams.Len() == 0 })
	if reports := postRecords(t, ts.url("c", "orders"), oneRecord); len(reports) != 1 {
		t.Errorf("after the first stream: reports = %v", reports)
	}
}

// docs/produce-api.md, "Refusals before streaming": Kafka unreachable at
// stream start: 503/50003 with Retry-After.
func TestProduce_KafkaUnavailable_503(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1") // nothing listens on port 1
	cfg.Producer.MetadataWaitMs = 300
	ts := startServerConfig(t, cfg, io.Discard)
	resp, body := post(t, ts.url("c", "orders"), "application/json", oneRecord)
	if resp.StatusCode != 503 || !strings.HasPrefix(string(body), `{"error_code":50003,"message":`) {
		t.Fatalf("status %d body %s; want 503 with error_code 50003", resp.StatusCode, body)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After")
	}
}

// waitFor polls cond until it holds, failing after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitForWithin(t, what, 10*time.Second, cond, nil)
}

// waitForWithin polls cond until it holds, failing after within; the
// failure message ends with state(), when state is not nil, so that a
// timeout says what the server was doing instead of only that it was late.
func waitForWithin(t testing.TB, what string, within time.Duration, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %v waiting for %s", within, what)
			if state != nil {
				msg += "; " + state()
			}
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A path segment is decoded once, the same way whatever bytes it escapes:
// %6F is an "o" whether or not it needed escaping, for routing, the topic
// allow-list and the report alike.
func TestEndpoint_PathSegmentsDecodedOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.Authorization.Topics = []config.TopicRule{{Name: "orders"}}
	})
	for _, path := range []string{"/v3/clusters/c/topics/%6Frders/records", "/v3/clusters/%63/topics/orders/records"} {
		reports := postRecords(t, ts.base+path, oneRecord)
		if len(reports) != 1 || reports[0].ErrorCode != 200 || reports[0].TopicName != "orders" || reports[0].ClusterID != "c" {
			t.Errorf("%s: %v, want one success on cluster c, topic orders", path, reports)
		}
	}
	resp, body := post(t, ts.base+"/v3/clusters/c/topics/%3Cscript%3E/records", "application/json", oneRecord)
	if r := parseReport(t, string(body)); resp.StatusCode != 403 || r.Message != "Not authorized to access topic <script>." {
		t.Errorf("%%3Cscript%%3E: %d %s, want 403 naming the topic <script>", resp.StatusCode, body)
	}
}
