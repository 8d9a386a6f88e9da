package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

// TestOperatorFlags: every setting the operator takes is a flag its help
// lists, and bad input fails before anything connects, naming the flag or
// value. The manager itself runs against envtest in controllers/.
func TestOperatorFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{name: "help lists every setting", args: []string{"--help"}, wantCode: 0, wantStderr: []string{
			"-metrics-bind-address", "-metrics-secure", "-health-probe-bind-address",
			"-leader-elect", "-leader-election-id", "-leader-election-namespace",
			"-proxy-image", "RESTPROXY_PROXY_IMAGE", "-watch-namespaces", "empty: all",
			"-kubeconfig", "-max-concurrent-reconciles", "-log-level", "-log-format",
			"-max-concurrent-rollouts", `(default "5%")`, "-proxy-image-pull-secrets", "-management-namespaces",
		}},
		{name: "unknown flag", args: []string{"--metrics-addr=:8080"}, wantCode: 2, wantStderr: []string{"-metrics-addr"}},
		{name: "bad boolean", args: []string{"--leader-elect=maybe"}, wantCode: 2, wantStderr: []string{"-leader-elect", "maybe"}},
		{name: "bad number", args: []string{"--max-concurrent-reconciles=many"}, wantCode: 2, wantStderr: []string{"-max-concurrent-reconciles"}},
		{name: "stray argument", args: []string{"tenant-a"}, wantCode: 2, wantStderr: []string{`unexpected argument "tenant-a"`}},
		{name: "no reconciles", args: []string{"--max-concurrent-reconciles=0"}, wantCode: 1, wantStderr: []string{"--max-concurrent-reconciles 0"}},
		{name: "no rollouts", args: []string{"--max-concurrent-rollouts=0"}, wantCode: 1, wantStderr: []string{`--max-concurrent-rollouts "0"`}},
		{name: "bad rollout share", args: []string{"--max-concurrent-rollouts=150%"}, wantCode: 1, wantStderr: []string{`--max-concurrent-rollouts "150%"`}},
		{name: "empty image", args: []string{"--proxy-image="}, wantCode: 1, wantStderr: []string{"--proxy-image is empty"}},
		{name: "bad log level", args: []string{"--log-level=loud"}, wantCode: 1, wantStderr: []string{`--log-level "loud"`}},
		{name: "bad log format", args: []string{"--log-format=xml"}, wantCode: 1, wantStderr: []string{`--log-format "xml"`}},
		{name: "missing kubeconfig", args: []string{"--kubeconfig=/nonexistent/kubeconfig"}, wantCode: 1, wantStderr: []string{"/nonexistent/kubeconfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"operator"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr: %s", code, tt.wantCode, stderr.String())
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

// TestProxyImageFromEnvironment: the deployment manifests set the default
// proxy image through RESTPROXY_PROXY_IMAGE; --help shows it as the default.
func TestProxyImageFromEnvironment(t *testing.T) {
	t.Setenv("RESTPROXY_PROXY_IMAGE", "registry.example/restproxy:v9")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"operator", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), `(default "registry.example/restproxy:v9")`) {
		t.Errorf("--help does not show RESTPROXY_PROXY_IMAGE as the default proxy image:\n%s", stderr.String())
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                      nil,
		"tenant-a":              {"tenant-a"},
		" tenant-a, ,tenant-b,": {"tenant-a", "tenant-b"},
	} {
		if got := splitList(in); !slices.Equal(got, want) {
			t.Errorf("splitList(%q) = %q, want %q", in, got, want)
		}
	}
}
