package devregistry

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// A schema registered through the REST API is served back by its id, the
// interceptor sees every request, and after Close the port answers no more.
func TestStartServesTheRegistryAPIUntilClose(t *testing.T) {
	t.Parallel()
	r, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.URL(), "http://127.0.0.1:") || strings.HasSuffix(r.URL(), ":0") {
		t.Fatalf("URL() = %q, want http://127.0.0.1 with a real port", r.URL())
	}
	var asked atomic.Int64
	r.Fake().Intercept(func(http.ResponseWriter, *http.Request) bool {
		asked.Add(1)
		return false
	})
	var sent atomic.Int64
	counting := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		sent.Add(1)
		return http.DefaultTransport.RoundTrip(req)
	})
	client, err := sr.NewClient(sr.URLs(r.URL()), sr.HTTPClient(&http.Client{Transport: counting}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	schema := sr.Schema{Schema: `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`, Type: sr.TypeAvro}
	created, err := client.CreateSchema(ctx, "orders-value", schema)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	got, err := client.SchemaByID(ctx, created.ID)
	if err != nil || !strings.Contains(got.Schema, `"Order"`) {
		t.Fatalf("schema %d read back as %q (%v), want the Order record", created.ID, got.Schema, err)
	}
	if n := asked.Load(); n < 2 || n != sent.Load() {
		t.Errorf("the interceptor saw %d requests, the client sent %d; want the same, at least 2 (register, read back)", n, sent.Load())
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(r.URL() + "/subjects"); err == nil {
		t.Fatalf("GET /subjects after Close answered; want the connection refused")
	}
}

func TestStartNamesTheAddressItCannotListenOn(t *testing.T) {
	t.Parallel()
	r, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	taken := strings.TrimPrefix(r.URL(), "http://")
	if _, err := Start(taken); err == nil || !strings.Contains(err.Error(), taken) {
		t.Fatalf("Start on a port in use: err = %v, want one naming %s", err, taken)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
