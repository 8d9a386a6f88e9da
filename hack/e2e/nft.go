package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// The run's own nftables tables. The teardown restores the ruleset as it
// was before the run, so none of them outlives it.

// nft runs nft with stdin.
func nft(ctx context.Context, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, "nft", args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// servicesTable keeps Service traffic on the machine.
const servicesTable = "restproxy-e2e-services"

// containServices rejects any packet to a Service address that kube-proxy's
// DNAT did not rewrite to a pod's. Without it, a connection opened while a
// Service has no rule (before kube-proxy first programs it, or in the
// moment between its filter and nat tables when endpoints come back after
// all were unready) follows the default route off the machine, where the
// network's gateway answers HTTP 404 to anything: a client would read that
// as the proxy's answer. Rejected, it is a refused connection, which
// clients retry. The chains run after the nat hooks, so rewritten packets
// no longer carry the Service address.
func containServices(ctx context.Context) error {
	rules := fmt.Sprintf(`table inet %s {
 chain output {
  type filter hook output priority 10;
  ip daddr %s reject
 }
 chain forward {
  type filter hook forward priority 10;
  ip daddr %s reject
 }
}
`, servicesTable, serviceCIDR, serviceCIDR)
	return nft(ctx, rules, "-f", "-")
}
