// Package jaegertest runs a real Jaeger (bin/jaeger, built by `make
// jaeger`) for the tracing tests: all in one process, traces in memory, an
// OTLP/HTTP receiver and the query API each on a free loopback port.
package jaegertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Jaeger is a running Jaeger.
type Jaeger struct {
	// OTLP is the URL of its OTLP/HTTP receiver, for tracing.endpoint.
	OTLP  string
	query string
}

// Binary is the Jaeger binary: $JAEGER, or bin/jaeger of the repository.
// Outside CI a test without it is skipped; in CI (CI=true) it fails.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("JAEGER")
	if bin == "" {
		_, file, _, _ := runtime.Caller(0)
		bin = filepath.Join(filepath.Dir(file), "..", "..", "..", "bin", "jaeger")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("jaeger binary %s: %v (make jaeger builds it)", bin, err)
		}
		t.Skipf("jaeger binary %s: %v (make jaeger builds it)", bin, err)
	}
	return bin
}

const config = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: QUERY_HTTP
    grpc:
      endpoint: QUERY_GRPC
receivers:
  otlp:
    protocols:
      http:
        endpoint: OTLP_HTTP
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`

// Start runs Jaeger until the test ends and returns once its query API
// answers.
func Start(t testing.TB) *Jaeger {
	t.Helper()
	bin := Binary(t)
	otlp, queryHTTP, queryGRPC := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := strings.NewReplacer("QUERY_HTTP", queryHTTP, "QUERY_GRPC", queryGRPC, "OTLP_HTTP", otlp).Replace(config)
	path := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(bin, "--config", path)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start jaeger: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	j := &Jaeger{OTLP: "http://" + otlp, query: "http://" + queryHTTP}
	deadline := time.Now().Add(30 * time.Second)
	for !j.answers("/api/services") {
		select {
		case <-exited:
			t.Fatalf("jaeger exited before serving:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger's query API did not answer within 30s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return j
}

func (j *Jaeger) answers(path string) bool {
	resp, err := http.Get(j.query + path)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Span is a span as Jaeger's query API shows it.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	Tags          []Tag       `json:"tags"`
}

// Reference is a span's parent (CHILD_OF) or link (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Tag is a span attribute.
type Tag struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Tag returns the value of the span's tag key as text, "" when absent.
func (s Span) Tag(key string) string {
	for _, tag := range s.Tags {
		if tag.Key == key {
			return fmt.Sprint(tag.Value)
		}
	}
	return ""
}

// Trace returns the spans Jaeger holds of trace id (32 hex digits), none
// when it has none yet.
func (j *Jaeger) Trace(t testing.TB, id string) []Span {
	t.Helper()
	resp, err := http.Get(j.query + "/api/traces/" + id)
	if err != nil {
		t.Fatalf("query jaeger: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body struct {
		Data []struct {
			Spans []Span `json:"spans"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode jaeger's answer: %v", err)
	}
	var spans []Span
	for _, d := range body.Data {
		spans = append(spans, d.Spans...)
	}
	return spans
}
