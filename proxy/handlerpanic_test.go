package proxy

import (
	"net/http"
	"strings"
	"testing"
)

// panicHeader asks the test-only panicHook to panic.
const panicHeader = "X-Test-Panic"

func init() {
	panicHook = func(r *http.Request) {
		if r.Header.Get(panicHeader) != "" {
			panic("injected by the test")
		}
	}
}

// docs/produce-api.md, "500": a panic while a request is handled (a bug)
// is the JSON 500, counted under reason="internal", and the process goes
// on serving the next request.
func TestProduce_PanicInHandlerIs500(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	req, err := http.NewRequest(http.MethodPost, ts.url("c", "orders"), strings.NewReader(oneRecord))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(panicHeader, "1")
	resp, body := do(t, req)
	wantError(t, resp, body, 500, 500, "Internal Server Error")
	if got := scrape(t, ts.mgmt)[`restproxy_streams_rejected_total{reason="internal"}`]; got != 1 {
		t.Errorf(`reason="internal" counted %v, want 1`, got)
	}
	if reports := postRecords(t, ts.url("c", "orders"), oneRecord); len(reports) != 1 || reports[0].ErrorCode != 200 {
		t.Errorf("the next request: %v, want one 200 report", reports)
	}
}
