package tracing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// tracing.headersFile: names and values read, comments skipped, and a bad
// line named by its number, never by its content (a secret).
func TestReadHeaders(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("# hosted backend\nAuthorization: Bearer s3cret\n\nX-Tenant:  acme \n"), 0o600)
	h, err := readHeaders(good)
	if err != nil || len(h) != 2 || h["Authorization"] != "Bearer s3cret" || h["X-Tenant"] != "acme" {
		t.Errorf("readHeaders = %v, %v", h, err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("X-Ok: 1\nno colon s3cret-value\n"), 0o600)
	if _, err := readHeaders(bad); err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad file: err %v, want one naming line 2 without its content", err)
	}
	if _, err := readHeaders(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "tracing.headersFile") {
		t.Errorf("missing file: err %v", err)
	}
}

func TestTraceparent(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	if got := string(Traceparent(sc)); got != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("Traceparent = %s", got)
	}
}
