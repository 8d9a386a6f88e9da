package proxy

import (
	"strings"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/kafkatest"
)

// docs/produce-api.md, "Failures of one record": partition_id negative or not
// below the partition count: 40402.
func TestProduce_PartitionNotFound_40402(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		body := `{"partition_id":-1,"value":{"type":"STRING","data":"x"}}
	{"partition_id":-7}
	{"partition_id":3}
	{"partition_id":2147483647}
	{"partition_id":2,"value":{"type":"STRING","data":"ok"}}`
		reports := postRecords(t, ts.url("c", "orders"), body)
		if len(reports) != 5 {
			t.Fatalf("got %d reports, want 5: %v", len(reports), reports)
		}
		for _, r := range reports[:4] {
			if r.ErrorCode != 40402 || r.Message != "Partition not found." {
				t.Errorf("report %v, want 40402 Partition not found.", r)
			}
		}
		if r := reports[4]; r.ErrorCode != 200 || r.PartitionID != 2 {
			t.Errorf("last report %v, want success on partition 2", r)
		}
	})
}

// docs/produce-api.md, "Order of checks per record": the partition check
// comes before encoding checks.
func TestProduce_CheckOrder_PartitionBeforeEncoding(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	reports := postRecords(t, ts.url("c", "orders"), `{"partition_id":9,"value":{"type":"AVRO","data":"x"}}`)
	if len(reports) != 1 || reports[0].ErrorCode != 40402 {
		t.Fatalf("reports %v, want 40402 (partition is checked before the 422 of encoding)", reports)
	}
}

// docs/produce-api.md, "Failures of one record": a record above
// producer.maxMessageBytes is 413 and the stream goes on.
func TestProduce_RecordAboveMaxMessageBytes_413(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.Producer.MaxMessageBytes = 200 })
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		big := `{"value":{"type":"STRING","data":"` + strings.Repeat("x", 300) + `"}}`
		reports := postRecords(t, ts.url("c", "orders"), big+oneRecord)
		if len(reports) != 2 || reports[0].ErrorCode != 413 || reports[1].ErrorCode != 200 {
			t.Fatalf("reports %v, want 413 then 200", reports)
		}
	})
}

// docs/produce-api.md, "Errors that end the stream": a record above
// http.maxRecordBytes is a fatal 400: the last report.
func TestProduce_RecordAboveMaxRecordBytes_FatalLast(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.HTTP.MaxRecordBytes = 100 })
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		big := `{"value":{"type":"STRING","data":"` + strings.Repeat("x", 200) + `"}}`
		reports := postRecords(t, ts.url("c", "orders"), oneRecord+oneRecord+big+oneRecord)
		if len(reports) != 3 {
			t.Fatalf("got %d reports, want 3 (two successes, then the fatal one): %v", len(reports), reports)
		}
		if reports[0].ErrorCode != 200 || reports[1].ErrorCode != 200 {
			t.Errorf("earlier reports %v %v, want successes", reports[0], reports[1])
		}
		if r := reports[2]; r.ErrorCode != 400 || r.Message != apierror.RecordTooLarge.Entry().Message {
			t.Errorf("last report %v, want 400 %q", r, apierror.RecordTooLarge.Entry().Message)
		}
	})
}

// docs/produce-api.md, "Errors that end the stream": JSON broken between
// records is a fatal 400: the last report.
func TestProduce_BrokenJSONBetweenRecords_FatalLast(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	bothModes(t, func(t *testing.T, produce func(testing.TB, string, string) []report) {
		for _, sep := range []string{",", "garbage", "]"} {
			reports := postRecords(t, ts.url("c", "broken"), oneRecord+oneRecord+sep+oneRecord)
			if len(reports) != 3 {
				t.Fatalf("separator %q: got %d reports, want 3: %v", sep, len(reports), reports)
			}
			if reports[0].ErrorCode != 200 || reports[1].ErrorCode != 200 {
				t.Errorf("separator %q: earlier reports %v %v, want successes", sep, reports[0], reports[1])
			}
			if r := reports[2]; r.ErrorCode != 400 || !strings.HasPrefix(r.Message, "Bad Request: Error processing message: ") {
				t.Errorf("separator %q: last report %v, want the fatal 400", sep, r)
			}
		}
	})
}

// docs/produce-api.md, "Errors that end the stream" and "Time-outs": a record
// after the stream's maximum age gets 408 and is not produced; so does every
// record read during the grace period that follows, as in the reference
// proxy; and when the period ends the stream closes, although the client
// keeps its body open.
func TestProduce_StreamMaxAge_408ThroughGracePeriod(t *testing.T) {
	t.Parallel()
	const grace = 1000 * time.Millisecond
	ts := startServer(t, func(c *config.Config) {
		c.HTTP.StreamMaxAgeMs = 300
		c.HTTP.StreamGracePeriodMs = grace.Milliseconds()
	})
	before := kafkatest.EndOffset(t, testBroker.Addr(), "maxage", 0)
	sc := openStream(t, ts.url("c", "maxage"))
	// The first record is stored if the server reads it within the
	// maximum age; on a loaded machine it may read it later, and then the
	// first record is the one answered 408.
	produced := 0
	for {
		sc.send(oneRecord)
		r := sc.next()
		if r.ErrorCode == 408 {
			if r.Message != "Streaming connection open for longer than allowed: Connection will be closed." {
				t.Fatalf("408 report %v: wrong message", r)
			}
			break
		}
		if r.ErrorCode != 200 || produced > 0 {
			t.Fatalf("record %d: %v, want 200 for the first record at most, then 408", produced, r)
		}
		produced++
		time.Sleep(400 * time.Millisecond) // past the maximum age: the condition under test is time itself
	}
	firstRefused := time.Now()
	for i := range 3 {
		sc.send(oneRecord)
		if r := sc.next(); r.ErrorCode != 408 {
			t.Errorf("record %d sent during the grace period: %v, want its own 408", i, r)
		}
	}
	// The body stays open: only the end of the grace period ends the stream.
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("reports after the 408s: %v", rest)
	}
	if open := time.Since(firstRefused); open < grace/2 {
		t.Errorf("the stream closed %v after the first 408, before its %v grace period ended", open, grace)
	}
	if n := kafkatest.EndOffset(t, testBroker.Addr(), "maxage", 0); n != before+int64(produced) {
		t.Errorf("topic grew by %d records, want %d: the 408 records must not be produced", n-before, produced)
	}
}

// docs/produce-api.md, "Failures of one record" and "Limits": rate limits,
// each of the four in turn; a record over a limit is answered 429 and not
// produced, and the next window admits again.
func TestProduce_RateLimit_429(t *testing.T) {
	const msg = "Request rate limit exceeded: The rate limit of requests per second has been exceeded."
	rec := `{"value":{"type":"STRING","data":"0123456789"}}` // 47 bytes
	cases := []struct {
		name  string
		limit func(*config.RateLimit)
	}{
		{"global records", func(r *config.RateLimit) { r.RecordsPerSecond = 3 }},
		{"global bytes", func(r *config.RateLimit) { r.BytesPerSecond = 3 * 47 }},
		{"per-cluster records", func(r *config.RateLimit) { r.PerClusterRecordsPerSecond = 3 }},
		{"per-cluster bytes", func(r *config.RateLimit) { r.PerClusterBytesPerSecond = 3*47 + 46 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, func(cfg *config.Config) {
				cfg.RateLimit.Enabled = true
				c.limit(&cfg.RateLimit)
			})
			var reports, other []report
			perCluster := c.name == "per-cluster records" || c.name == "per-cluster bytes"
			inOneWindow(t, func() {
				reports = postRecords(t, ts.url("c", "orders"), strings.Repeat(rec, 5))
				if perCluster {
					other = postRecords(t, ts.url("other", "orders"), rec)
				}
			})
			codes := make([]int, len(reports))
			for i, r := range reports {
				codes[i] = r.ErrorCode
				if r.ErrorCode == 429 && r.Message != msg {
					t.Errorf("429 message %q, want %q", r.Message, msg)
				}
			}
			if want := []int{200, 200, 200, 429, 429}; !equalInts(codes, want) {
				t.Fatalf("codes %v, want %v", codes, want)
			}
			// The per-cluster budget is the configured cluster's: naming
			// another cluster id in the path buys no budget of its own.
			if perCluster && (len(other) != 1 || other[0].ErrorCode != 429) {
				t.Errorf("another path cluster id in the same second: %v, want 429", other)
			}
		})
	}
	t.Run("not produced", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, func(cfg *config.Config) {
			cfg.RateLimit.Enabled = true
			cfg.RateLimit.RecordsPerSecond = 2
		})
		before := kafkatest.EndOffset(t, testBroker.Addr(), "ratelimit", 0)
		var reports []report
		succeeded, limited := 0, 0 // over every run, a retried one included
		inOneWindow(t, func() {
			reports = postRecords(t, ts.url("c", "ratelimit"), strings.Repeat(rec, 4))
			for _, r := range reports {
				switch r.ErrorCode {
				case 200:
					succeeded++
				case 429:
					limited++
				}
			}
		})
		if len(reports) != 4 || reports[2].ErrorCode != 429 || reports[3].ErrorCode != 429 {
			t.Fatalf("reports %v, want 200 200 429 429", reports)
		}
		if n := kafkatest.EndOffset(t, testBroker.Addr(), "ratelimit", 0); n != before+int64(succeeded) {
			t.Errorf("topic grew by %d, %d were reported 200: rate-limited records must not be produced", n-before, succeeded)
		}
		if got := ts.metric(t, "restproxy_rate_limited_records_total"); got != float64(limited) {
			t.Errorf("rate-limited counter = %v, want %d", got, limited)
		}
	})
}

// startOfSecond waits until a fresh wall-clock second has most of its time
// left, so a short burst falls in one fixed rate-limit window.
func startOfSecond(t *testing.T) {
	t.Helper()
	now := time.Now()
	if now.Nanosecond() > 200e6 {
		time.Sleep(time.Until(now.Truncate(time.Second).Add(time.Second)))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// docs/produce-api.md, "Order of checks per record": parse (400) → rate
// limits (429) → partition (40402) → key then value encoding (400/422). With
// a budget of two records a second: a record failing to parse is 400 and
// costs no budget; over the budget, a record with a bad partition and a bad
// value is 429; a bad key is reported before a bad value.
func TestProduce_CheckOrder_ParseRateLimitPartitionEncoding(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.RecordsPerSecond = 2
	})
	body := `{"key":{"type":"BINARY","data":7},"value":{"data":"x"}}` + // budget 1: key 400 before value 422
		`{"unknown":1}` + // parse 400, no budget
		oneRecord + // budget 2
		`{"unknown":1}` + // parse 400 although over the budget
		`{"partition_id":99,"value":{"type":"AVRO","data":"x"}}` // 429 before 40402 and 422
	want := []int{400, 400, 200, 400, 429}
	var codes []int
	inOneWindow(t, func() {
		codes = codes[:0]
		for _, r := range postRecords(t, ts.url("c", "orders"), body) {
			codes = append(codes, r.ErrorCode)
		}
	})
	if !equalInts(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}

// inOneWindow runs f until one run starts and ends within the same
// wall-clock second, the rate limits' fixed window, so that a loaded
// machine cannot split a burst across two windows.
func inOneWindow(t *testing.T, f func()) {
	t.Helper()
	for range 10 {
		startOfSecond(t)
		start := time.Now().Unix()
		f()
		if time.Now().Unix() == start {
			return
		}
	}
	t.Fatalf("no run of the burst fitted in one second in 10 tries")
}

// docs/configuration.md, "http": with http.maxRecordBytes unset, a record's
// JSON may be at most what a record Kafka accepts can take (derived from
// producer.maxMessageBytes), not the 64 MiB ceiling: a 1 MiB record to a
// proxy whose messages are at most 64 KiB is refused while it is read.
func TestProduce_RecordLimitDerivedFromMessageLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.Producer.MaxMessageBytes = 64 << 10 })
	big := `{"value":{"type":"STRING","data":"` + strings.Repeat("x", 1<<20) + `"}}`
	reports := postRecords(t, ts.url("c", "orders"), oneRecord+big)
	if len(reports) != 2 || reports[0].ErrorCode != 200 || reports[1].ErrorCode != 400 ||
		reports[1].Message != apierror.RecordTooLarge.Entry().Message {
		t.Fatalf("reports %v, want a success then the record-size 400", reports)
	}
}
