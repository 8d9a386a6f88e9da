package charts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/restproxy-dev/restproxy-operator/controllers"
)

// TestQueriedMetricsExist: every metric a dashboard panel or an alert
// reads is one the proxy's /metrics serves, scraped from a running proxy
// (restproxy dev: the binary of the image in front of an in-process Kafka
// broker) after it produced a record, or one the operator's registry holds
// once it has reconciled a RestProxy. A renamed metric would otherwise
// leave a panel empty and an alert silent.
func TestQueriedMetricsExist(t *testing.T) {
	var qs []query
	for _, r := range readRules(t) {
		qs = append(qs, query{id: r.Alert + r.Record, expr: r.Expr})
	}
	qs = append(qs, dashboardQueries(t)...)

	served := proxyMetricNames(t)
	for name := range operatorMetricNames(t) {
		served[name] = true
	}
	for _, q := range qs {
		names := metricNames(q.expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric found in %q", q.id, q.expr)
		}
		for _, n := range names {
			if !served[n] {
				t.Errorf("%s reads %s, which neither the proxy's /metrics nor the operator's registry serves", q.id, n)
			}
		}
	}
}

// PromQL lexemes that are not metric names, removed before looking for
// names: quoted strings, label matchers, range and subquery durations,
// grouping label lists, and function names (followed by a parenthesis).
var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?`)
	promqlKeywords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"}
)

// metricNames are the metric names an expression selects.
func metricNames(expr string) []string {
	expr = promqlStrings.ReplaceAllString(expr, `""`)
	expr = promqlMatchers.ReplaceAllString(expr, " ")
	expr = promqlRanges.ReplaceAllString(expr, " ")
	expr = promqlGrouping.ReplaceAllString(expr, " ")
	var names []string
	for _, m := range promqlIdent.FindAllStringSubmatch(expr, -1) {
		tok, function := m[1], m[2] != ""
		if function || slices.Contains(promqlKeywords, strings.ToLower(tok)) {
			continue
		}
		if !slices.Contains(names, tok) {
			names = append(names, tok)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum by (namespace, le) (rate(a_bucket{x=~"$y", z!="b{c}"}[5m])) / on (pod) group_left max(b) > bool 0.9 or c offset 1m`)
	if want := []string{"a_bucket", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("metricNames = %v, want %v", got, want)
	}
}

// proxyMetricNames runs `restproxy dev` with an apiKey credentials file (so
// the file reload series exist), produces a record and returns the names
// of the samples /metrics serves.
func proxyMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	cfg := filepath.Join(dir, "proxy.yaml")
	if err := os.WriteFile(keys, []byte("metrics-test-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("authentication:\n  type: apiKey\n  credentialsFile: "+keys+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	api, mgmt := startDevProxy(t, "--config", cfg, "--topics", "metrics:1")

	req, err := http.NewRequest(http.MethodPost, "http://"+api+"/v3/clusters/dev/topics/metrics/records",
		strings.NewReader(`{"value":{"type":"STRING","data":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer metrics-test-key")
	body := httpDo(t, req)
	if !strings.Contains(body, `"error_code":200`) {
		t.Fatalf("producing a record: %s", body)
	}

	req, _ = http.NewRequest(http.MethodGet, "http://"+mgmt+"/metrics", nil)
	names := map[string]bool{}
	for _, line := range strings.Split(httpDo(t, req), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		names[name] = true
	}
	if !names["restproxy_report_latency_seconds_bucket"] {
		t.Fatalf("the proxy's /metrics lacks restproxy_report_latency_seconds_bucket: %v", names)
	}
	return names
}

// devAddr finds the listeners' addresses in what `restproxy dev` prints.
var devAddr = regexp.MustCompile(`(produce API|management): +http://([0-9.:]+)`)

// startDevProxy runs `restproxy dev` on free ports until the test ends and
// returns the addresses of its produce API and its management port.
func startDevProxy(t *testing.T, args ...string) (api, mgmt string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, tools.restproxy, append([]string{"dev",
		"--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0", "--registry-listen", "127.0.0.1:0"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addrs := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(addrs) < 2 && sc.Scan() {
		if m := devAddr.FindStringSubmatch(sc.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
	}
	if len(addrs) < 2 {
		t.Fatalf("restproxy dev printed no addresses (%v); stderr:\n%s", sc.Err(), stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return addrs["produce API"], addrs["management"]
}

func httpDo(t *testing.T, req *http.Request) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s (%v)", req.Method, req.URL, resp.StatusCode, body, err)
	}
	return string(body)
}

// operatorMetricNames runs the operator, as the chart's Deployment runs it,
// until it has reconciled the sample RestProxy, and returns the names of
// the samples its registry (what its /metrics serves) holds.
func operatorMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	release, ns, tenant := "op-metrics", "restproxy-metrics", "tenant-metrics"
	manifests := render(t, release, ns, variant{name: "default"})
	op := operatorFromChart(t, objects(t, manifests))
	restrictedNamespace(t, ns)
	ensureNamespace(t, tenant)
	serverSideApply(t, manifests, false)
	if _, err := kubectl(nil, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crdName); err != nil {
		t.Fatal(err)
	}
	op.manager.LeaderElectionNamespace = ns
	runOperator(t, op, serviceAccountConfig(ns, op.serviceAccount))
	if _, err := kubectl(nil, "apply", "--server-side", "--namespace", tenant, "--filename", sample); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := kubectl(nil, "delete", "--namespace", tenant, "--filename", sample, "--wait"); err != nil {
			t.Error(err)
		}
	})
	key := types.NamespacedName{Namespace: tenant, Name: "orders-minimal"}
	names := map[string]bool{}
	eventually(t, func() error {
		families, err := metrics.Registry.Gather()
		if err != nil {
			return err
		}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				// Other tests' RestProxies do not count.
				if f.GetName() != controllers.ConditionMetricName || labels["namespace"] == key.Namespace && labels["name"] == key.Name {
					names[f.GetName()] = true
				}
			}
		}
		if !names[controllers.ConditionMetricName] {
			return fmt.Errorf("the operator's registry has no %s series of %s yet", controllers.ConditionMetricName, key)
		}
		return nil
	})
	return names
}
