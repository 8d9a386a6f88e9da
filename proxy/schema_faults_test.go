package proxy

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
	"github.com/restproxy-dev/restproxy-operator/proxy/internal/loopback"
)

var avroFormat = schemaFormats[0]

func byID(id int, data string) string {
	return dataObject("schema_id", strconv.Itoa(id), "data", data)
}

// A proxy whose registry is down from the start starts and serves records
// without schemas; a record that needs one gets 50003, which tells its
// client to retry, and the stream goes on.
func TestSchemaRegistry_DownFromTheStart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *config.Config) { c.SchemaRegistry.URLs = []string{"http://" + loopback.ClosedAddr(t)} })
	body := `{"value":` + byID(1, avroFormat.value.data) + `}` +
		`{"value":{"type":"STRING","data":"plain"}}` +
		`{"value":` + dataObject("type", `"AVRO"`, "schema", quoted(avroFormat.value.text), "data", avroFormat.value.data) + `}`
	reports := postRecords(t, ts.url("c", "schemafaults"), body)
	if len(reports) != 3 {
		t.Fatalf("%d reports, want 3", len(reports))
	}
	for _, i := range []int{0, 2} {
		if r := reports[i]; r.ErrorCode != 50003 || !strings.HasPrefix(r.Message, "Schema Registry is unavailable: ") {
			t.Errorf("record %d: %s, want 50003 Schema Registry is unavailable", i, r)
		}
	}
	if reports[1].ErrorCode != 200 {
		t.Errorf("the record without a schema: %s, want 200", reports[1])
	}
}

// Once cached, schemas by id, raw schemas and a subject's latest version
// serve while the registry is down; a schema not cached gets 50003.
func TestSchemaRegistry_DownAfterTheCacheIsWarm(t *testing.T) {
	t.Parallel()
	x := newSchemaFixture(t, avroFormat, "schemafaults", func(c *config.Config) { c.SchemaRegistry.LatestCacheMs = 1 })
	id, _ := x.register("schemafaults-value", x.f.value)
	raw := dataObject("type", `"AVRO"`, "schema", quoted(x.f.key.text), "subject", `"raw-subject"`, "data", x.f.key.data)
	latest := dataObject("data", x.f.value.data)
	for _, v := range []string{byID(id, x.f.value.data), raw, latest} {
		if r := x.produce("", v); r.ErrorCode != 200 {
			t.Fatalf("warming the cache with %s: %s", v, r)
		}
	}
	x.reg.Close()
	for _, v := range []string{byID(id, x.f.value.data), raw, latest} {
		if r := x.produce("", v); r.ErrorCode != 200 {
			t.Errorf("cached %s with the registry down: %s, want 200", v, r)
		}
	}
	if r := x.produce("", byID(id+1, x.f.value.data)); r.ErrorCode != 50003 {
		t.Errorf("a schema not cached with the registry down: %s, want 50003", r)
	}
	if n := scrape(t, x.ts.mgmt)["restproxy_schema_registry_requests_total"]; n < 3 {
		t.Errorf("restproxy_schema_registry_requests_total = %v, want at least the 3 requests that warmed the cache", n)
	}
}

// A registry that answers slowly holds no record past the timeout: the
// report of a record waiting for it arrives while the registry still
// holds the request, and the records after it fail at once rather than
// waiting their turn.
func TestSchemaRegistry_SlowRegistry(t *testing.T) {
	t.Parallel()
	x := newSchemaFixture(t, avroFormat, "schemafaults", func(c *config.Config) { c.SchemaRegistry.TimeoutMs = 200 })
	id, _ := x.register("schemafaults-value", x.f.value)
	release := make(chan struct{})
	defer close(release)
	x.reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	})
	body := strings.Repeat(`{"value":`+byID(id, x.f.value.data)+`}`, 3)
	reports := postRecords(t, x.ts.url("c", "schemafaults"), body)
	for i, r := range reports {
		if r.ErrorCode != 50003 || !strings.Contains(r.Message, "Schema Registry is unavailable") {
			t.Errorf("record %d: %s, want 50003", i, r)
		}
	}
	if len(reports) != 3 {
		t.Errorf("%d reports, want 3", len(reports))
	}
}

// A schema deleted from the registry after it was cached still serves by
// its id, which never names another schema; a subject's latest version
// is asked again once latestCacheMs has passed, and then the subject
// has none.
func TestSchemaRegistry_SchemaDeletedAfterCaching(t *testing.T) {
	t.Parallel()
	x := newSchemaFixture(t, avroFormat, "schemafaults", func(c *config.Config) { c.SchemaRegistry.LatestCacheMs = 50 })
	id, _ := x.register("deleted-value", x.f.value)
	withID := dataObject("schema_id", strconv.Itoa(id), "subject", `"deleted-value"`, "data", x.f.value.data)
	latest := dataObject("subject", `"deleted-value"`, "data", x.f.value.data)
	for _, v := range []string{withID, latest} {
		if r := x.produce("", v); r.ErrorCode != 200 {
			t.Fatalf("%s: %s", v, r)
		}
	}
	cl, err := sr.NewClient(sr.URLs(x.reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []sr.DeleteHow{sr.SoftDelete, sr.HardDelete} {
		if _, err := cl.DeleteSubject(context.Background(), "deleted-value", how); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	if r := x.produce("", withID); r.ErrorCode != 200 {
		t.Errorf("by id after the deletion: %s, want 200 from the cache", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := x.produce("", latest)
		if r.ErrorCode == 422 && strings.Contains(r.Message, "42207") && strings.Contains(r.Message, "subject = deleted-value") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("latest of a deleted subject still %s after 10s, want 42207", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
