package controllers

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// operatorResources are the resources the operator writes: its children,
// RestProxy status and Events.
var operatorResources = map[string]bool{
	"serviceaccounts": true, "configmaps": true, "services": true, "deployments": true,
	"poddisruptionbudgets": true, "horizontalpodautoscalers": true, "networkpolicies": true,
	"servicemonitors": true, "restproxies": true, "events": true,
}

// writeVerbs are the verbs of apiserver_request_total that write (APPLY is
// a server-side apply patch).
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

var metricLabel = regexp.MustCompile(`(\w+)="([^"]*)"`)

// apiserverWrites reads apiserver_request_total from the API server's own
// /metrics: the write requests it served on operatorResources, by
// "VERB resource[/subresource]", whoever sent them. It is the server's side
// of what countingClient counts in the operator.
func apiserverWrites(tb testing.TB, cfg *rest.Config) map[string]float64 {
	tb.Helper()
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		tb.Fatalf("API server client: %v", err)
	}
	resp, err := hc.Get(strings.TrimSuffix(cfg.Host, "/") + "/metrics")
	if err != nil {
		tb.Fatalf("read the API server's metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		tb.Fatalf("read the API server's metrics: %s: %s", resp.Status, body)
	}
	writes, err := parseRequestTotals(resp.Body)
	if err != nil {
		tb.Fatalf("parse the API server's metrics: %v", err)
	}
	return writes
}

// parseRequestTotals sums apiserver_request_total samples of write verbs on
// operatorResources in the Prometheus text format.
func parseRequestTotals(r io.Reader) (map[string]float64, error) {
	writes := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("malformed sample %q", line)
		}
		labels := map[string]string{}
		for _, m := range metricLabel.FindAllStringSubmatch(line[:end], -1) {
			labels[m[1]] = m[2]
		}
		if !writeVerbs[labels["verb"]] || !operatorResources[labels["resource"]] {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", line, err)
		}
		key := labels["verb"] + " " + labels["resource"]
		if sub := labels["subresource"]; sub != "" {
			key += "/" + sub
		}
		writes[key] += v
	}
	return writes, sc.Err()
}

// writesBetween is after minus before, without the keys that did not move.
func writesBetween(before, after map[string]float64) (map[string]int, int) {
	delta := map[string]int{}
	total := 0
	for k := range maps.Keys(after) {
		if d := int(after[k] - before[k]); d != 0 {
			delta[k] = d
			total += d
		}
	}
	return delta, total
}

func TestParseRequestTotals(t *testing.T) {
	text := `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="APPLY",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="APPLY",version="v1"} 4
apiserver_request_total{code="409",component="apiserver",dry_run="",group="kafka.restproxy.dev",resource="restproxies",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"} 9
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_duration_seconds_count{resource="configmaps",verb="APPLY"} 7
`
	got, err := parseRequestTotals(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"APPLY configmaps": 7, "PATCH restproxies/status": 1}
	if !maps.Equal(got, want) {
		t.Errorf("parseRequestTotals = %v, want %v (writes on the operator's resources only, every response code)", got, want)
	}
}
