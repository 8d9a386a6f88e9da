package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	kafka "github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

func (ts *testServer) batchURL(cluster, topic string) string {
	return ts.base + "/v3/clusters/" + cluster + "/topics/" + topic + "/records:batch"
}

// batchAnswer is a 207 body: both lists, each entry kept raw too.
type batchAnswer struct {
	Successes []batchSuccess `json:"successes"`
	Failures  []batchFailure `json:"failures"`
	raw       string
}

type batchSuccess struct {
	ID          string      `json:"id"`
	ClusterID   string      `json:"cluster_id"`
	TopicName   string      `json:"topic_name"`
	PartitionID int32       `json:"partition_id"`
	Offset      int64       `json:"offset"`
	Timestamp   string      `json:"timestamp"`
	Key         *dataReport `json:"key"`
	Value       *dataReport `json:"value"`
}

type batchFailure struct {
	ID        string `json:"id"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func (a batchAnswer) failureIDs() []string {
	var ids []string
	for _, f := range a.Failures {
		ids = append(ids, f.ID)
	}
	return ids
}

func (a batchAnswer) successIDs() []string {
	var ids []string
	for _, s := range a.Successes {
		ids = append(ids, s.ID)
	}
	return ids
}

// postBatch posts body to a batch url with extra headers (name, value
// pairs) and returns the response and its body.
func postBatch(t testing.TB, url, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

// produceBatch posts a batch that must be answered 207 and returns the
// answer, refusing fields the contract does not have and lists that are
// absent.
func produceBatch(t testing.TB, url, body string, headers ...string) batchAnswer {
	t.Helper()
	resp, raw := postBatch(t, url, body, headers...)
	return parseBatchAnswer(t, resp, raw)
}

func parseBatchAnswer(t testing.TB, resp *http.Response, raw []byte) batchAnswer {
	t.Helper()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("status %d, body %s; want 207", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var a batchAnswer
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("207 body %s: %v", raw, err)
	}
	var lists map[string]json.RawMessage
	_ = json.Unmarshal(raw, &lists)
	if string(lists["successes"]) == "null" || lists["successes"] == nil || lists["failures"] == nil || string(lists["failures"]) == "null" {
		t.Fatalf("207 body %s: successes and failures must both be arrays", raw)
	}
	a.raw = string(raw)
	return a
}

// entry is a batch entry whose STRING value is v.
func entry(id, v string) string {
	return `{"id":"` + id + `","value":{"type":"STRING","data":"` + v + `"}}`
}

func batchOf(entries ...string) string {
	return `{"entries":[` + strings.Join(entries, ",") + `]}`
}

// docs/produce-api.md, "Batch produce": records:batch is routed to the batch
// endpoint, under /v3 and /kafka/v3, with or without a trailing slash, and
// .../records still to the produce endpoint; a ":batch" of another name is
// no path; other methods get 405.
func TestBatch_Routing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	for _, prefix := range []string{"/v3", "/kafka/v3"} {
		for _, slash := range []string{"", "/"} {
			path := prefix + "/clusters/c1/topics/orders/records"
			a := produceBatch(t, ts.base+path+":batch"+slash, batchOf(entry("a", "x")))
			if len(a.Successes) != 1 || a.Successes[0].ID != "a" || a.Successes[0].TopicName != "orders" || a.Successes[0].ClusterID != "c1" {
				t.Errorf("%s:batch%s: %s, want one success", path, slash, a.raw)
			}
			if reports := postRecords(t, ts.base+path+slash, oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
				t.Errorf("%s%s: reports %v, want one success", path, slash, reports)
			}
		}
	}
	// The batch body is not concatenated records, and records are no batch.
	if reports := postRecords(t, ts.url("c", "orders"), batchOf(entry("a", "x"))); len(reports) != 1 || reports[0].ErrorCode != 400 {
		t.Errorf("a batch body to .../records: %v, want one 400 report", reports)
	}
	// The colon percent-encoded, in either case, is the same path.
	for _, path := range []string{"/records%3Abatch", "/records%3abatch/"} {
		resp, raw := postBatch(t, ts.base+"/kafka/v3/clusters/c/topics/ord%65rs"+path, batchOf(entry("a", "x")))
		if a := parseBatchAnswer(t, resp, raw); len(a.Successes) != 1 || a.Successes[0].TopicName != "orders" {
			t.Errorf("%s: %s, want one success on topic orders", path, a.raw)
		}
	}
	for _, path := range []string{"/records:batches", "/records:bat", "/records:batch/x", "/recordsbatch", "/records:", "/records%3Abatches"} {
		resp, body := post(t, ts.base+"/v3/clusters/c/topics/orders"+path, "application/json", batchOf(entry("a", "x")))
		wantError(t, resp, body, 404, 404, "HTTP 404 Not Found")
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, ts.batchURL("c", "orders"), nil)
		resp, body := do(t, req)
		wantError(t, resp, body, 405, 405, "HTTP 405 Method Not Allowed")
		if resp.Header.Get("Allow") != http.MethodPost {
			t.Errorf("%s: Allow %q, want POST", m, resp.Header.Get("Allow"))
		}
	}
}

// docs/produce-api.md, "Batch produce": every entry is stored as sent and
// answered in a success entry, in request order, with the fields of a
// streamed success report, the id first and no error_code; a separate
// consumer finds each at the reported partition and offset.
func TestBatch_SuccessesStoredAtReportedOffsets(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	body := batchOf(
		`{"id":"first","partition_id":2,"headers":[{"name":"h","value":"AAE="}],"key":{"type":"BINARY","data":"a2V5"},"value":{"type":"JSON","data":{"foo" : 7}},"timestamp":"2023-05-16T18:20:51.844Z"}`,
		`{"value":{"type":"STRING","data":"second"},"partition_id":0,"id":"second"}`,
		`{"id":"3","key":{"type":"STRING","data":"k3"}}`,
		`{"id":"é \"quoted\""}`,
	)
	a := produceBatch(t, ts.batchURL("C", "orders"), body)
	if len(a.Failures) != 0 || len(a.Successes) != 4 {
		t.Fatalf("answer %s, want 4 successes", a.raw)
	}
	if got, want := a.successIDs(), []string{"first", "second", "3", `é "quoted"`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("success ids %q, want %q in request order", got, want)
	}
	s := a.Successes[0]
	wantFirst := `{"id":"first","cluster_id":"C","topic_name":"orders","partition_id":2,"offset":` + fmt.Sprint(s.Offset) +
		`,"timestamp":"2023-05-16T18:20:51.844Z","key":{"type":"BINARY","size":3},"value":{"type":"JSON","size":9}}`
	if !strings.HasPrefix(a.raw, `{"successes":[`+wantFirst+`,{"id":"second",`) {
		t.Errorf("answer\n%s\nwant it to start with\n{\"successes\":[%s,{\"id\":\"second\",...", a.raw, wantFirst)
	}
	if !strings.HasSuffix(a.raw, `],"failures":[]}`) {
		t.Errorf("answer %s: want an empty failures list", a.raw)
	}
	m := readBack(t, "orders", s.PartitionID, s.Offset)
	if string(m.Key) != "key" || string(m.Value) != `{"foo":7}` || len(m.Headers) != 1 || !bytes.Equal(m.Headers[0].Value, []byte{0, 1}) ||
		!m.Time.Equal(time.Date(2023, 5, 16, 18, 20, 51, 844e6, time.UTC)) {
		t.Errorf("first entry stored as %+v", m)
	}
	for i, want := range []string{"second", "", ""} {
		s := a.Successes[i+1]
		m := readBack(t, "orders", s.PartitionID, s.Offset)
		if string(m.Value) != want || (i == 1 && string(m.Key) != "k3") {
			t.Errorf("entry %s stored key %q value %q at %d/%d", s.ID, m.Key, m.Value, s.PartitionID, s.Offset)
		}
	}
	if a.Successes[1].PartitionID != 0 || a.Successes[2].Value != nil || a.Successes[2].Key == nil || a.Successes[3].Key != nil {
		t.Errorf("answer %s: partition or key/value summaries wrong", a.raw)
	}
}

// docs/produce-api.md, "Batch produce": entries that fail for different
// reasons (bad base64, partition out of range, over http.maxRecordBytes, a
// field the record object does not have, a schema type) are exactly the
// failures, with the code and message a streamed record gets, in request
// order; the other entries are stored at the offsets reported.
func TestBatch_EntriesFailAlone(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxRecordBytes = 200 })
	start := kafkatest.EndOffset(t, testBroker.Addr(), "batchmixed", 0)
	body := batchOf(
		entry("ok1", "one"),
		`{"id":"b64","value":{"type":"BINARY","data":"not base64!"}}`,
		entry("ok2", "two"),
		`{"id":"part","partition_id":5,"value":{"type":"STRING","data":"x"}}`,
		`{"id":"big","value":{"type":"STRING","data":"`+strings.Repeat("y", 300)+`"}}`,
		entry("ok3", "three"),
		`{"id":"field","bogus":1}`,
		`{"id":"schema","value":{"type":"AVRO","data":"x"}}`,
		`{"id":"json","value": tru}`,
		entry("ok4", "four"),
	)
	a := produceBatch(t, ts.batchURL("c", "batchmixed"), body)
	want := []batchFailure{
		{"b64", 400, `Bad Request: data="not base64!" is not a valid base64 string.`},
		{"part", 40402, "Partition not found."},
		{"big", 400, "Bad Request: Error processing message: Produce request size is larger than allowed threshold"},
		{"field", 400, `Unrecognized field "bogus" in the entry (known fields: "id", "partition_id", "headers", "key", "value", "timestamp").`},
		{"schema", 422, "Error: 42206 : Payload error. Schema Registry must be configured when using schemas."},
		{"json", 400, "Error processing JSON: invalid character '}' in literal true (expecting 'e') at offset 25"},
	}
	if fmt.Sprint(a.Failures) != fmt.Sprint(want) {
		t.Errorf("failures\n%v\nwant\n%v", a.Failures, want)
	}
	if got := a.successIDs(); fmt.Sprint(got) != "[ok1 ok2 ok3 ok4]" {
		t.Fatalf("successes %v, want ok1..ok4", got)
	}
	msgs := readRange(t, "batchmixed", 0, start, 4)
	for i, s := range a.Successes {
		if s.Offset != start+int64(i) || string(msgs[i].Value) != []string{"one", "two", "three", "four"}[i] {
			t.Errorf("%s reported at %d, stored %q at %d", s.ID, s.Offset, msgs[i].Value, msgs[i].Offset)
		}
	}
	if end := kafkatest.EndOffset(t, testBroker.Addr(), "batchmixed", 0); end != start+4 {
		t.Errorf("the topic grew by %d records, want 4: failed entries must not be produced", end-start)
	}
}

// docs/produce-api.md, "Batch produce": every batch-level fault is one
// HTTP 400 naming the problem, and nothing of the batch is produced, not
// even its good entries.
func TestBatch_BatchErrors_400_NothingProduced(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	ok := entry("ok", "x")
	many := make([]string, 11)
	for i := range many {
		many[i] = entry(fmt.Sprint("e", i), "x")
	}
	cases := []struct{ body, message string }{
		{`[` + ok + `]`, `Bad Request: the body must be a JSON object with an "entries" array, not an array.`},
		{`{"entries":[` + ok + `]`, `Bad Request: invalid JSON at offset 61: unexpected end of the body looking for ',' or '}'.`},
		{`not json`, `Bad Request: the body must be a JSON object with an "entries" array, not null.`},
		{`{"entries":[` + ok + `] x}`, `Bad Request: invalid JSON at offset 62: invalid character 'x' after the entries.`},
		{`{}`, `Bad Request: the body has no "entries" array.`},
		{`{"records":[` + ok + `]}`, `Bad Request: Unrecognized field "records" in the batch (known fields: "entries").`},
		{`{"entries":[` + ok + `],"extra":1}`, `Bad Request: Unrecognized field "extra" in the batch (known fields: "entries").`},
		{`{"entries":[]}`, `Bad Request: the batch has no entries.`},
		{batchOf(many...), `Bad Request: the batch has 11 entries; at most 10 are accepted.`},
		{batchOf(ok, `{"value":null}`), `Bad Request: entries[1] has no "id".`},
		{batchOf(ok, `{"id":1}`), `Bad Request: entries[1].id must be a string, not a number.`},
		{batchOf(`{"id":""}`, ok), `Bad Request: entries[0].id must be 1 to 80 characters long; it has 0.`},
		{batchOf(ok, entry(strings.Repeat("i", 81), "x")), `Bad Request: entries[1].id must be 1 to 80 characters long; it has 81.`},
		{batchOf(ok, entry("b", "x"), entry("ok", "y")), `Bad Request: entry ids must be distinct; "ok" appears twice.`},
		{batchOf(ok, `"entry"`), `Bad Request: entries[1] must be a JSON object with an "id", not a string.`},
	}
	for _, c := range cases {
		resp, body := postBatch(t, ts.batchURL("c", "batchrefused"), c.body)
		wantError(t, resp, body, 400, 400, c.message)
	}
	// An id of 80 characters, of any kind, is accepted.
	long := strings.Repeat("é", 80)
	if a := produceBatch(t, ts.batchURL("c", "orders"), batchOf(entry(long, "x"))); len(a.Successes) != 1 || a.Successes[0].ID != long {
		t.Errorf("80-character id: %s", a.raw)
	}
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "batchrefused", 0); n != 0 {
		t.Errorf("the topic holds %d records; refused batches must produce nothing", n)
	}
}

// docs/configuration.md, "http": http.maxBatchEntries bounds a batch.
func TestBatch_MaxBatchEntries(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxBatchEntries = 3 })
	resp, body := postBatch(t, ts.batchURL("c", "orders"), batchOf(entry("a", "1"), entry("b", "2"), entry("c", "3"), entry("d", "4")))
	wantError(t, resp, body, 400, 400, "Bad Request: the batch has 4 entries; at most 3 are accepted.")
	if a := produceBatch(t, ts.batchURL("c", "orders"), batchOf(entry("a", "1"), entry("b", "2"), entry("c", "3"))); len(a.Successes) != 3 {
		t.Errorf("3 entries: %s", a.raw)
	}
}

// docs/produce-api.md, "Batch produce": the refusals before reading are
// those of .../records: media type, charset, Content-Encoding, cluster id,
// unknown topic, Content-Length, and a body that expands past
// http.maxRequestBytes.
func TestBatch_RefusalsBeforeReading(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.ClusterID = "prod"; c.HTTP.MaxRequestBytes = 300 })
	ok := batchOf(entry("a", "x"))
	url := ts.batchURL("prod", "orders")
	resp, body := postBatch(t, url, ok, "Content-Type", "text/plain")
	wantError(t, resp, body, 415, 415, "HTTP 415 Unsupported Media Type")
	resp, body = postBatch(t, url, ok, "Content-Type", "application/json; charset=utf-16")
	wantError(t, resp, body, 400, 400, `Unsupported charset in Content-Type header. Supports "UTF-8" and "ISO-8859-1".`)
	resp, body = postBatch(t, url, ok, "Content-Encoding", "br")
	wantError(t, resp, body, 415, 415, "Unsupported Content-Encoding: br.")
	resp, body = postBatch(t, ts.batchURL("other", "orders"), ok)
	wantError(t, resp, body, 404, 404, "Cluster other cannot be found.")
	resp, body = postBatch(t, ts.batchURL("prod", "nope"), ok)
	wantError(t, resp, body, 404, 40401, "Topic nope cannot be found.")
	big := batchOf(entry("a", strings.Repeat("x", 300)))
	resp, body = postBatch(t, url, big)
	wantError(t, resp, body, 413, 413, "Request body is larger than allowed.")
	// Chunked, the limit applies to what is read.
	req, _ := http.NewRequest(http.MethodPost, url, io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Content-Type", "application/json")
	resp, body = do(t, req)
	wantError(t, resp, body, 413, 413, "Request body is larger than allowed.")
	// Compressed, to what it expands to.
	resp, body = postBatch(t, url, gzipString(t, big), "Content-Encoding", "gzip")
	wantError(t, resp, body, 413, 413, "Request body is larger than allowed.")
	if a := produceBatch(t, url, gzipString(t, ok), "Content-Encoding", "gzip"); len(a.Successes) != 1 {
		t.Errorf("a small gzipped batch: %s", a.raw)
	}
}

// docs/produce-api.md, "Authentication" and "Topic authorization": a batch
// is refused 401 without valid credentials and 403 for a topic off the
// allow-list, before its body is looked at.
func TestBatch_AccessControl(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "credentials")
	writeCredentials(t, creds, "alice:secret\n")
	ts := startServer(t, func(c *config.Config) {
		c.Authentication = config.Authentication{Type: config.AuthBasic, CredentialsFile: creds}
		c.Authorization.Topics = []config.TopicRule{{Name: "orders"}}
	})
	ok := batchOf(entry("a", "x"))
	resp, body := postBatch(t, ts.batchURL("c", "orders"), ok)
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	resp, body = postBatch(t, ts.batchURL("c", "orders"), ok, "Authorization", basic("alice", "wrong"))
	wantError(t, resp, body, 401, 40101, "Unauthorized: missing or invalid credentials.")
	resp, body = postBatch(t, ts.batchURL("c", "single"), `not even json`, "Authorization", basic("alice", "secret"))
	wantError(t, resp, body, 403, 40301, "Not authorized to access topic single.")
	if a := produceBatch(t, ts.batchURL("c", "orders"), ok, "Authorization", basic("alice", "secret")); len(a.Successes) != 1 {
		t.Errorf("allowed: %s", a.raw)
	}
}

// docs/produce-api.md, "Batch produce": a batch counts against
// http.maxStreams (429 with Retry-After), and Kafka unreachable when it
// starts is 503 with Retry-After.
func TestBatch_TooManyStreamsAndKafkaUnavailable(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxStreams = 1 })
	sc := openStream(t, ts.url("c", "orders"))
	sc.send(oneRecord)
	if r := sc.next(); r.ErrorCode != 200 {
		t.Fatalf("stream: %v", r)
	}
	resp, body := postBatch(t, ts.batchURL("c", "orders"), batchOf(entry("a", "x")))
	wantError(t, resp, body, 429, 429, "Too many concurrent streams: try again later.")
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	sc.closeSend()
	sc.rest()

	cfg := testConfig("127.0.0.1:1") // nothing listens on port 1
	cfg.Producer.MetadataWaitMs = 300
	down := startServerConfig(t, cfg, io.Discard)
	resp, body = postBatch(t, down.batchURL("c", "orders"), batchOf(entry("a", "x")))
	if resp.StatusCode != 503 || !strings.HasPrefix(string(body), `{"error_code":50003,"message":`) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("Kafka unreachable: status %d, Retry-After %q, body %s; want 503/50003 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// docs/produce-api.md, "Batch produce" and "Limits": the rate limits count
// each entry as one record; entries over the limit fail 429, the others
// are produced.
func TestBatch_RateLimitPerEntry(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.RecordsPerSecond = 3
	})
	var a batchAnswer
	inOneWindow(t, func() {
		a = produceBatch(t, ts.batchURL("c", "orders"), batchOf(entry("a", "1"), entry("b", "2"), entry("c", "3"), entry("d", "4"), entry("e", "5")))
	})
	if fmt.Sprint(a.successIDs()) != "[a b c]" || fmt.Sprint(a.failureIDs()) != "[d e]" {
		t.Fatalf("answer %s; want a, b, c stored and d, e refused", a.raw)
	}
	for _, f := range a.Failures {
		if f.ErrorCode != 429 || f.Message != "Request rate limit exceeded: The rate limit of requests per second has been exceeded." {
			t.Errorf("failure %+v, want 429", f)
		}
	}
}

// docs/produce-api.md, "Batch produce": the records of a batch go to Kafka
// together, and the answer waits until each is settled; one the broker does
// not acknowledge within producer.deliveryTimeoutMs fails 50003, and the
// answer is written then.
func TestBatch_DeliveryTimeout_50003(t *testing.T) {
	t.Parallel()
	sb := startStoppableBroker(t, map[string]int32{"held": 1})
	cfg := testConfig(sb.addr)
	cfg.Producer.DeliveryTimeoutMs = 1500
	ts := startServerConfig(t, cfg, io.Discard)
	if a := produceBatch(t, ts.batchURL("c", "held"), batchOf(entry("warm", "x"))); len(a.Successes) != 1 {
		t.Fatalf("warm-up: %s", a.raw)
	}
	answer := sb.holdProduce()
	defer answer()
	start := time.Now()
	a := produceBatch(t, ts.batchURL("c", "held"), batchOf(entry("a", "1"), `{"id":"b","partition_id":3}`, entry("c", "3")))
	took := time.Since(start)
	if fmt.Sprint(a.failureIDs()) != "[a b c]" || len(a.Successes) != 0 {
		t.Fatalf("answer %s; want three failures", a.raw)
	}
	if a.Failures[1].ErrorCode != 40402 || a.Failures[0].ErrorCode != 50003 || a.Failures[2].ErrorCode != 50003 {
		t.Errorf("failures %v, want 50003, 40402, 50003", a.Failures)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("answered after %v, want about the delivery timeout (1.5s)", took)
	}
	waitFor(t, "the batch's flow room to be given back", func() bool { return ts.inFlight() == 0 })
}

// docs/configuration.md, "http": with http.compressResponses on, a client
// that accepts gzip gets the 207 gzipped; otherwise responses are never
// compressed.
func TestBatch_CompressResponses(t *testing.T) {
	t.Parallel()
	off := startServer(t, nil)
	on := startServer(t, func(c *config.Config) { c.HTTP.CompressResponses = true })
	body := batchOf(entry("a", "x"), entry("b", "y"))
	get := func(ts *testServer, acceptEncoding string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, ts.batchURL("c", "orders"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		// A transport of its own: the default one adds Accept-Encoding
		// and decompresses transparently.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	for _, c := range []struct {
		ts     *testServer
		accept string
		gzip   bool
	}{
		{off, "gzip", false}, {on, "", false}, {on, "gzip;q=0", false}, {on, "br, gzip", true}, {on, "GZIP", true},
	} {
		resp, raw := get(c.ts, c.accept)
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != c.gzip {
			t.Errorf("compressResponses %v, Accept-Encoding %q: Content-Encoding %q", c.ts == on, c.accept, resp.Header.Get("Content-Encoding"))
			continue
		}
		if c.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = io.ReadAll(zr)
		}
		if a := parseBatchAnswer(t, resp, raw); len(a.Successes) != 2 {
			t.Errorf("answer %s", a.raw)
		}
	}
}

// docs/produce-api.md, "Headers": a batch in ISO-8859-1 is read as Latin-1.
func TestBatch_Latin1(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	a := produceBatch(t, ts.batchURL("c", "latin1"), batchOf("{\"id\":\"caf\xe9\",\"value\":{\"type\":\"STRING\",\"data\":\"caf\xe9\"}}"),
		"Content-Type", "application/json; charset=ISO-8859-1")
	if len(a.Successes) != 1 || a.Successes[0].ID != "café" {
		t.Fatalf("answer %s", a.raw)
	}
	if got := string(readBack(t, "latin1", 0, a.Successes[0].Offset).Value); got != "café" {
		t.Errorf("stored %q", got)
	}
}

func gzipString(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// A request refused after its whole body was read (a whitespace-only body,
// a batch refused whole) leaves its keep-alive connection usable: the next
// request on it is served, not cut short by a context the refusal
// cancelled.
func TestRefusalAfterWholeBody_ConnectionReused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	send := func(url, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	for i := range 5 {
		resp, body := send(ts.url("c", "orders"), "   ")
		wantError(t, resp, body, 422, 422, "Payload error. Request body is empty. Data is required.")
		resp, body = send(ts.batchURL("c", "orders"), `{"entries":[]}`)
		wantError(t, resp, body, 400, 400, "Bad Request: the batch has no entries.")
		if resp, body := send(ts.batchURL("c", "orders"), batchOf(entry("a", "x"))); resp.StatusCode != 207 || !strings.Contains(string(body), `"successes":[{"id":"a"`) {
			t.Fatalf("round %d: batch after refusals on the same connection: %d %s", i, resp.StatusCode, body)
		}
		if resp, body := send(ts.url("c", "orders"), oneRecord); resp.StatusCode != 200 || len(parseReports(t, body)) != 1 || parseReports(t, body)[0].ErrorCode != 200 {
			t.Fatalf("round %d: record after refusals on the same connection: %d %s", i, resp.StatusCode, body)
		}
	}
}

// docs/produce-api.md, "Batch produce": on shutdown a batch waiting for
// Kafka is answered within http.shutdownDrainMs, its unsettled entries
// failing 50003.
func TestBatch_ShutdownDrain(t *testing.T) {
	broker, release := heldBroker(t, map[string]int32{"drain": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.ShutdownDrainMs = 300
	ts := startServerConfig(t, cfg, io.Discard)
	type answer struct {
		resp *http.Response
		raw  []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, ts.batchURL("c", "drain"),
			strings.NewReader(batchOf(entry("a", "1"), `{"id":"b","partition_id":7}`, entry("c", "3"))))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		answered <- answer{resp, raw, err}
	}()
	waitFor(t, "2 entries in flight", func() bool { return ts.inFlight() == 2 })
	ts.stop()
	var got answer
	select {
	case got = <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10s of the shutdown")
	}
	if got.err != nil {
		t.Fatal(got.err)
	}
	a := parseBatchAnswer(t, got.resp, got.raw)
	want := []batchFailure{
		{"a", 50003, "Delivery not confirmed before the stream closed: the record may or may not be stored."},
		{"b", 40402, "Partition not found."},
		{"c", 50003, "Delivery not confirmed before the stream closed: the record may or may not be stored."},
	}
	if fmt.Sprint(a.Failures) != fmt.Sprint(want) || len(a.Successes) != 0 {
		t.Errorf("answer %s, want every entry failed: 50003, 40402, 50003", a.raw)
	}
	release()
}

// docs/produce-api.md, "Batch produce": a Kafka error fails only the
// entries of the partition it concerns, with the code a streamed record
// gets; the entries of the other partitions, submitted with them, are
// stored and answered as successes; and schema fields next to BINARY fail
// their entry 400.
func TestBatch_KafkaErrorFailsItsEntriesOnly(t *testing.T) {
	t.Parallel()
	b := kafkatest.StartBroker(t, map[string]int32{"batchkafka": 3})
	failPartition(b, "batchkafka", 1, 87) // INVALID_RECORD
	ts := startServerConfig(t, testConfig(b.Addr()), io.Discard)
	var entries []string
	for i := range 6 {
		entries = append(entries, fmt.Sprintf(`{"id":"e%d","partition_id":%d,"value":{"type":"STRING","data":"r%d"}}`, i, i%3, i))
	}
	entries = append(entries, `{"id":"schema","value":{"type":"BINARY","data":"AA==","subject":"s"}}`)
	a := produceBatch(t, ts.batchURL("c", "batchkafka"), batchOf(entries...))
	if fmt.Sprint(a.successIDs()) != "[e0 e2 e3 e5]" || fmt.Sprint(a.failureIDs()) != "[e1 e4 schema]" {
		t.Fatalf("answer %s; want the partition 1 entries and the schema one failed", a.raw)
	}
	for _, f := range a.Failures[:2] {
		if f.ErrorCode != 40002 {
			t.Errorf("failure %+v, want 40002", f)
		}
	}
	if f := a.Failures[2]; f.ErrorCode != 400 || f.Message != "'type=BINARY' cannot be used with 'subject'." {
		t.Errorf("failure %+v, want the schema-field 400", f)
	}
	rc := kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "batchkafka"}
	for _, s := range a.Successes {
		rc.Partition = int(s.PartitionID)
		if m := kafkatest.Read(t, rc, s.Offset, 1)[0]; string(m.Value) != "r"+strings.TrimPrefix(s.ID, "e") {
			t.Errorf("%s stored %q at %d/%d", s.ID, m.Value, s.PartitionID, s.Offset)
		}
	}
}
