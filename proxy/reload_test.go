package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// The files re-read while running report to /metrics: the time the
// version in use was loaded, and the checks that kept it because the file
// on disk did not load. A credentials file truncated in place keeps the
// last good keys, is logged once, and readiness is unaffected.
func TestFileReloadMetrics(t *testing.T) {
	t.Parallel()
	creds := filepath.Join(t.TempDir(), "keys")
	writeCredentials(t, creds, "kept-key\n")
	cfg := testConfig(testBroker.Addr())
	cfg.Authentication = config.Authentication{Type: config.AuthAPIKey, CredentialsFile: creds}
	var logs syncBuffer
	ts := startServerConfig(t, cfg, &logs)
	const errorsSeries = `restproxy_file_reload_errors_total{file="authentication.credentialsFile"}`
	const loadedSeries = `restproxy_file_reload_success_timestamp_seconds{file="authentication.credentialsFile"}`
	m := scrape(t, ts.mgmt)
	if v, ok := m[errorsSeries]; !ok || v != 0 {
		t.Errorf("%s = %v (present %v), want 0", errorsSeries, v, ok)
	}
	if m[loadedSeries] <= 0 {
		t.Errorf("%s = %v, want the time of the first load", loadedSeries, m[loadedSeries])
	}

	if err := os.Truncate(creds, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the emptied file to be counted", func() bool {
		if resp, body := produceAs(t, ts.url("c", "orders"), "Bearer kept-key"); resp.StatusCode != 200 {
			t.Fatalf("with the file emptied: %d %s, want the last good key kept", resp.StatusCode, body)
		}
		return scrape(t, ts.mgmt)[errorsSeries] > 0
	})
	if n := strings.Count(logs.String(), "keeping the last good credentials"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if resp, body := get(t, ts.mgmt+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("/readyz with the last good credentials: %d %s, want 200", resp.StatusCode, body)
	}
}
