package schema

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

const orderAvro = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"tags","type":{"type":"array","items":"string"}}]}`

const orderProto = `syntax = "proto3"; message Order { int64 id = 1; repeated string tags = 2; }`

// newTestRegistry is a Registry of an srfake registry served over HTTP on
// loopback, holding orderAvro and orderProto under "orders-value" and
// "orders-proto".
func newTestRegistry(t testing.TB, mutate ...func(*config.SchemaRegistry)) (*Registry, *srfake.Registry, map[string]int) {
	t.Helper()
	fake := srfake.New()
	t.Cleanup(fake.Close)
	ids := map[string]int{}
	for subject, s := range map[string]sr.Schema{
		"orders-value": {Schema: orderAvro, Type: sr.TypeAvro},
		"orders-proto": {Schema: orderProto, Type: sr.TypeProtobuf},
	} {
		id, _, err := fake.RegisterSchema(subject, s)
		if err != nil {
			t.Fatal(err)
		}
		ids[subject] = id
	}
	cfg := config.Default().SchemaRegistry
	cfg.URLs = []string{fake.URL()}
	for _, m := range mutate {
		m(&cfg)
	}
	r, err := New(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, fake, ids
}

// However many records and streams use a schema, the registry is asked
// for it once: the first misses share one request, and the rest are
// served by the cache.
func TestRegistry_AskedOncePerSchema(t *testing.T) {
	t.Parallel()
	r, _, ids := newTestRegistry(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := r.For("orders") // one per stream, as requests have
			for range 500 {
				q := &record.SchemaRequest{ID: int32(ids["orders-value"]), HasID: true, Data: []byte(`{"id":1,"tags":["a"]}`)}
				if _, err := enc.EncodeSchema(q, false, nil); err != nil {
					t.Errorf("encode: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// One request for the schema by id, one for its version under the subject.
	if n := r.Requests(); n != 2 {
		t.Errorf("the registry was asked %d times for 4000 records of one schema, want 2", n)
	}
}

// latestCacheMs 0 asks the registry for the latest version of every
// record, so a new version is used from the next record on.
func TestRegistry_LatestCacheZeroAsksEveryTime(t *testing.T) {
	t.Parallel()
	r, fake, _ := newTestRegistry(t, func(c *config.SchemaRegistry) { c.LatestCacheMs = 0 })
	enc := r.For("orders")
	latest := func() record.SchemaUsed {
		t.Helper()
		e, err := enc.EncodeSchema(&record.SchemaRequest{Data: []byte(`{"id":1,"tags":[]}`)}, false, nil)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		return *e.Used
	}
	first := latest()
	if _, _, err := fake.RegisterSchema("orders-value", sr.Schema{Schema: strings.Replace(orderAvro, `"fields":[`, `"fields":[{"name":"n","type":"int","default":0},`, 1), Type: sr.TypeAvro}); err != nil {
		t.Fatal(err)
	}
	if second := latest(); second.Version != first.Version+1 {
		t.Errorf("latest after a new version: version %d, want %d", second.Version, first.Version+1)
	}
}

// A registry answering 429 is busy, not refusing: the record gets 50003,
// which its client retries.
func TestRegistry_TooManyRequestsIsRetriable(t *testing.T) {
	t.Parallel()
	r, fake, ids := newTestRegistry(t)
	fake.Intercept(func(w http.ResponseWriter, _ *http.Request) bool {
		http.Error(w, `{"error_code":429,"message":"slow down"}`, http.StatusTooManyRequests)
		return true
	})
	q := &record.SchemaRequest{ID: int32(ids["orders-value"]), HasID: true, Data: []byte(`{"id":1,"tags":[]}`)}
	_, err := r.For("orders").EncodeSchema(q, false, nil)
	if err == nil || err.Code() != 50003 || strings.Contains(err.Message, "127.0.0.1") {
		t.Fatalf("error %v, want 50003 naming no URL", err)
	}
}

// FuzzEncodeSchema feeds any data to the Avro and Protobuf paths of the
// schema stage: every input gets bytes or an error naming why, never a
// panic.
func FuzzEncodeSchema(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"tags":["a","b"]}`, `{"id":"1","tags":[]}`, `{"id":1.5}`, `{"tags":[1]}`, `[]`, `"x"`,
		`{"id":9223372036854775808,"tags":null}`, `{"id":1,"tags":["\u0000"],"extra":true}`, `null`,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	r, _, ids := newTestRegistry(f)
	enc := r.For("orders")
	f.Fuzz(func(t *testing.T, data string, proto bool) {
		rec, perr := record.Parse([]byte(`{"value":{"schema_id":0,"data":` + data + `}}`))
		if perr != nil {
			return // not a record: the parser's report, fuzzed on its own
		}
		id := ids["orders-value"]
		if proto {
			id = ids["orders-proto"]
			rec.Value.Schema.Subject, rec.Value.Schema.HasSubject = "orders-proto", true
		}
		rec.Value.Schema.ID = int32(id)
		err := rec.Encode(enc)
		if err == nil && rec.Value.Used == nil {
			t.Fatalf("data %s encoded without a schema", data)
		}
		if err != nil && (err.Message == "" || strings.Contains(err.Message, "panic")) {
			t.Fatalf("data %s: error without a message: %+v", data, err)
		}
	})
}
