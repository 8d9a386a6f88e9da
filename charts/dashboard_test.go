package charts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var dashboardFile = filepath.Join(chartDir, "dashboards", "restproxy.json")

// dashboard is a Grafana dashboard, as far as the tests read it.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func readDashboard(t *testing.T) ([]byte, dashboard) {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("parse %s: %v", dashboardFile, err)
	}
	return data, d
}

// TestDashboardShape: the dashboard has a stable uid, the variables its
// queries use, a panel for each golden signal, unique panel ids, panels on
// the 24-column grid, and every query on the chosen data source, limited
// to the chosen tenants.
func TestDashboardShape(t *testing.T) {
	_, d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard uid %q, title %q: want both", d.UID, d.Title)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, v := range []string{"datasource", "namespace", "restproxy"} {
		if !vars[v] {
			t.Errorf("dashboard lacks the variable $%s", v)
		}
	}
	titles := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		titles[p.Title] = true
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W < 1 || g.X < 0 || g.X+g.W > 24 || g.H < 1 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: want queries on data source ${datasource}", p.Title)
		}
		for _, q := range p.Targets {
			if !strings.Contains(q.Expr, `namespace=~"$namespace"`) {
				t.Errorf("panel %q query %s is not limited to $namespace: %s", p.Title, q.RefID, q.Expr)
			}
		}
	}
	// The golden signals, each per tenant.
	for _, want := range []string{"Records per second", "Records by error_code", "Report latency p50 and p99",
		"Active streams", "In-flight records", "Rollout state"} {
		if !titles[want] {
			t.Errorf("dashboard has no panel %q", want)
		}
	}
}

// TestDashboardQueriesPromtool: promtool accepts every query of the
// dashboard, checked as recording rules, with Grafana's $__rate_interval
// replaced by a duration (the other variables sit in label matchers,
// where they are valid regular expressions).
func TestDashboardQueriesPromtool(t *testing.T) {
	var rules []map[string]string
	for _, q := range dashboardQueries(t) {
		rules = append(rules, map[string]string{"record": "dashboard:" + q.id, "expr": q.expr})
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(nil, tools.promtool, "check", "rules", file); err != nil {
		t.Fatalf("promtool rejects a dashboard query: %v\n%s", err, out)
	}
}

// query is one PromQL expression of the dashboard or the rules.
type query struct {
	id   string // where it is: panel_<id>_<refId>, or the alert's name
	expr string
}

// dashboardQueries are the panels' queries as Prometheus sees them.
func dashboardQueries(t *testing.T) []query {
	t.Helper()
	_, d := readDashboard(t)
	var qs []query
	for _, p := range d.Panels {
		for _, q := range p.Targets {
			expr := strings.ReplaceAll(q.Expr, "$__rate_interval", "5m")
			qs = append(qs, query{id: fmt.Sprintf("panel_%d_%s", p.ID, q.RefID), expr: expr})
		}
	}
	if len(qs) == 0 {
		t.Fatalf("%s holds no queries", dashboardFile)
	}
	return qs
}

// TestDashboardConfigMap: the chart ships the dashboard file, unchanged,
// in a ConfigMap labelled for Grafana's sidecar, only when asked to.
func TestDashboardConfigMap(t *testing.T) {
	want, _ := readDashboard(t)
	objs := objects(t, render(t, "rp", "restproxy-system", servicemonitorVariant()))
	cms := find(objs, "ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("rendered %d ConfigMaps, want 1", len(cms))
	}
	cm := cms[0]
	if cm.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("ConfigMap labels %v lack grafana_dashboard: \"1\"", cm.GetLabels())
	}
	if cm.GetAnnotations()["grafana_folder"] != "RestProxy" {
		t.Errorf("dashboards.annotations not applied: %v", cm.GetAnnotations())
	}
	data, _ := cm.Object["data"].(map[string]any)
	if got, _ := data["restproxy.json"].(string); strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
		t.Errorf("the ConfigMap's restproxy.json differs from %s", dashboardFile)
	}
}
