package charts

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The chart's alerts, their promtool unit tests and their runbooks.
var (
	rulesFile     = filepath.Join(chartDir, "rules", "restproxy.rules.yaml")
	rulesTestFile = filepath.Join(chartDir, "rules", "restproxy.rules.test.yaml")
	runbooksFile  = filepath.Join("..", "docs", "runbooks.md")
)

// runbookBase is where each alert's runbook_url points, followed by the
// anchor GitHub gives the alert's heading in docs/runbooks.md.
const runbookBase = "https://github.com/restproxy-dev/restproxy-operator/blob/main/docs/runbooks.md#"

// ruleGroups is a Prometheus rules file, as far as the tests read it.
type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"groups"`
}

type rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func readRules(t *testing.T) []rule {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rg ruleGroups
	if err := yaml.UnmarshalStrict(data, &rg); err != nil {
		t.Fatalf("parse %s: %v", rulesFile, err)
	}
	var rules []rule
	for _, g := range rg.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s holds no rules", rulesFile)
	}
	return rules
}

// TestRulesPromtool: promtool accepts the rules (syntax, PromQL, templates)
// and their unit tests pass, each alert firing where it should and
// nowhere else.
func TestRulesPromtool(t *testing.T) {
	out, err := run(nil, tools.promtool, "check", "rules", rulesFile)
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	// Rule files in a test file are relative to it.
	out, err = run(nil, tools.promtool, "test", "rules", rulesTestFile)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestEveryAlertTestedAndDocumented: each alert has a severity, a summary,
// a unit test in which it fires, and a runbook_url pointing at its own
// section of docs/runbooks.md.
func TestEveryAlertTestedAndDocumented(t *testing.T) {
	tests, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	headings := runbookAnchors(t)
	for _, r := range readRules(t) {
		if r.Alert == "" {
			continue
		}
		if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("alert %s lacks a severity label, a summary or a description", r.Alert)
		}
		if !regexp.MustCompile(`(?m)^\s+alertname: ` + r.Alert + `\s*\n\s+exp_alerts:\s*\n\s+- exp_labels:`).Match(tests) {
			t.Errorf("%s has no test in which %s fires", rulesTestFile, r.Alert)
		}
		anchor := strings.ToLower(r.Alert)
		if got := r.Annotations["runbook_url"]; got != runbookBase+anchor {
			t.Errorf("alert %s: runbook_url %q, want %q", r.Alert, got, runbookBase+anchor)
		}
		if !headings[anchor] {
			t.Errorf("%s has no section \"## %s\"", runbooksFile, r.Alert)
		}
	}
}

// runbookAnchors are the anchors of the second-level headings of
// docs/runbooks.md, as GitHub makes them of headings that are one word.
func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(runbooksFile)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if heading, ok := strings.CutPrefix(line, "## "); ok {
			anchors[strings.ToLower(strings.TrimSpace(heading))] = true
		}
	}
	return anchors
}

// TestPrometheusRuleCarriesTheRulesFile: the PrometheusRule the chart
// renders holds exactly the groups of the file promtool checked.
func TestPrometheusRuleCarriesTheRulesFile(t *testing.T) {
	objs := objects(t, render(t, "rp", "restproxy-system", servicemonitorVariant()))
	rules := find(objs, "PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("rendered %d PrometheusRules, want 1", len(rules))
	}
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if got := rules[0].Object["spec"]; !reflect.DeepEqual(got, want) {
		t.Errorf("the PrometheusRule's spec differs from %s:\ngot  %v\nwant %v", rulesFile, got, want)
	}
	if labels := rules[0].GetLabels(); labels["release"] != "prometheus" {
		t.Errorf("prometheusRule.labels not applied: labels %v", labels)
	}
}

// servicemonitorVariant is ci/servicemonitor-values.yaml: the Prometheus
// operator and Grafana present, every monitoring object on.
func servicemonitorVariant() variant {
	return variant{name: "servicemonitor", valuesFile: filepath.Join(chartDir, "ci", "servicemonitor-values.yaml")}
}
