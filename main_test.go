package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRun checks the dispatcher's contract with the shell: exit codes, and
// that help and errors name what they are about.
func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "no command prints usage and fails", args: nil, wantCode: 2, wantStdout: []string{"Usage: restproxy <command>", "operator", "proxy", "dev"}},
		{name: "--help succeeds", args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Commands:"}},
		{name: "unknown command is named", args: []string{"consume"}, wantCode: 2, wantStderr: []string{`unknown command "consume"`}},
		{name: "produce --help lists its flags", args: []string{"produce", "--help"}, wantCode: 0, wantStderr: []string{"Usage: restproxy produce", "-url", "-token-file", "-records"}},
		{name: "produce needs a URL", args: []string{"produce"}, wantCode: 2, wantStderr: []string{"--url is required"}},
		{name: "proxy --help lists its flags", args: []string{"proxy", "--help"}, wantCode: 0, wantStderr: []string{"Usage: restproxy proxy", "-config", "-listen", "-management-listen", "-bootstrap-servers"}},
		{name: "dev --help lists its flags", args: []string{"dev", "--help"}, wantCode: 0, wantStderr: []string{"Usage: restproxy dev", "-kafka-listen", "-registry-listen", "-topics", "-config", "-data-dir"}},
		{name: "operator --help lists its flags", args: []string{"operator", "--help"}, wantCode: 0, wantStderr: []string{"Usage: restproxy operator", "-metrics-bind-address", "-health-probe-bind-address", "-leader-elect", "-proxy-image", "-watch-namespaces"}},
		{name: "bad flag is named", args: []string{"proxy", "--bogus"}, wantCode: 2, wantStderr: []string{"-bogus"}},
		{name: "stray argument is named", args: []string{"dev", "extra"}, wantCode: 2, wantStderr: []string{`unexpected argument "extra"`}},
		{name: "missing config file is named", args: []string{"proxy", "--config", "/nonexistent/restproxy.yaml"}, wantCode: 1, wantStderr: []string{"/nonexistent/restproxy.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
