package charts

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeploymentFlagsParse runs the real binary with the command line each
// variant's Deployment gives it: every flag the chart writes must be one
// `restproxy operator` knows, with a value it accepts. The kubeconfig it is
// pointed at does not exist, so it stops right after parsing, before it
// binds a port or reaches for an API server.
func TestDeploymentFlagsParse(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			op := operatorFromChart(t, objects(t, render(t, "rp", "restproxy-system", v)))
			if op.command[0] != "/restproxy" {
				t.Fatalf("the Deployment runs %q, but the image has the binary at /restproxy", op.command[0])
			}
			missing := filepath.Join(t.TempDir(), "no-kubeconfig")
			cmd := exec.Command(tools.restproxy, append(op.command[1:], "--kubeconfig="+missing)...)
			cmd.Env = []string{"RESTPROXY_PROXY_IMAGE=" + op.proxyImage}
			out, err := cmd.CombinedOutput()
			// Exit 1 naming the kubeconfig: flags and values were accepted.
			// A bad flag exits 2 with the usage.
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), missing) {
				t.Fatalf("restproxy %s: %v, want exit 1 about the missing kubeconfig:\n%s", strings.Join(op.command[1:], " "), err, out)
			}
		})
	}
}
