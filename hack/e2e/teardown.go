package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hostPaths are the host paths outside the run's directory that containerd,
// the kubelet and the CNI plugins create whatever they are told (the shim
// sockets, network namespaces, the kubelet's plugin directory and container
// log links, the CNI's cache). Those a run created are removed after it.
var hostPaths = []string{
	"/run/containerd", "/var/run/netns", "/run/netns", "/usr/libexec/kubernetes",
	"/var/lib/cni", "/var/log/containers", "/var/log/pods", "/var/lib/kubelet",
}

// preRun is the host as it was before a run, saved in state/before.json
// before anything changes, so a run that was killed can still be undone by
// the next one.
type preRun struct {
	Host     hostState
	Links    []string        // interface names
	Cgroups  []string        // /sys/fs/cgroup/<controller>/<dir>
	Paths    map[string]bool // hostPaths that existed
	Nftables string          // the raw ruleset, to load back
}

func (c *cluster) beforePath() string { return c.path("state", "before.json") }

// recordHost saves the host's state before the run changes anything.
func (c *cluster) recordHost() (*preRun, error) {
	h, err := snapshotHost()
	if err != nil {
		return nil, err
	}
	pre := &preRun{Host: h, Links: linkNames(), Cgroups: cgroupDirs(), Paths: map[string]bool{}}
	for _, p := range hostPaths {
		if _, err := os.Lstat(p); err == nil {
			pre.Paths[p] = true
		}
	}
	// Without nft (make e2e installs it) there are no nftables to restore;
	// snapshotHost notes that it did not compare them.
	if _, err := exec.LookPath("nft"); err == nil {
		out, err := exec.Command("nft", "list", "ruleset").Output()
		if err != nil {
			return nil, fmt.Errorf("nft list ruleset: %w", err)
		}
		pre.Nftables = string(out)
	}
	b, err := json.MarshalIndent(pre, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.path("state"), 0o755); err != nil {
		return nil, err
	}
	return pre, os.WriteFile(c.beforePath(), b, 0o644)
}

// leftover returns the state a killed run saved, or nil when the last run
// ended cleanly.
func (c *cluster) leftover() (*preRun, error) {
	b, err := os.ReadFile(c.beforePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pre preRun
	if err := json.Unmarshal(b, &pre); err != nil {
		return nil, fmt.Errorf("%s: %w", c.beforePath(), err)
	}
	return &pre, nil
}

// teardown stops the cluster and puts the host back as pre found it, then
// compares the host with pre and fails on any difference. Each step runs
// whatever the earlier ones did; their errors are joined.
func (c *cluster) teardown(pre *preRun) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var errs []error
	step := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	step("remove pods", c.removePods(ctx))
	step("stop components", c.stop())
	step("stop components of an earlier run", c.killPidFiles())
	step("kill container processes", killStrays(c.work))
	step("unmount", unmountUnder(c.work, "/run/containerd", "/var/run/netns", "/run/netns"))
	// The pods' veths go with their network namespaces, some of them only
	// now; a link that vanished meanwhile is not an error.
	for _, name := range linkNames() {
		if !slices.Contains(pre.Links, name) {
			if err := run(ctx, "ip", "link", "del", name); err != nil && slices.Contains(linkNames(), name) {
				step("delete link "+name, err)
			}
		}
	}
	if hasAddr("lo", nodeIP) {
		step("delete the node address", run(ctx, "ip", "addr", "del", nodeIP+"/32", "dev", "lo"))
	}
	step("restore nftables", restoreNftables(ctx, pre.Nftables))
	step("remove cgroups", removeNewCgroups(pre.Cgroups))
	now, err := snapshotHost()
	step("snapshot", err)
	if err == nil {
		if restored, err := restoreSysctls(pre.Host, now); err != nil || len(restored) > 0 {
			step("restore sysctls "+strings.Join(restored, " "), err)
		}
	}
	for _, p := range hostPaths {
		if !pre.Paths[p] {
			step("remove "+p, os.RemoveAll(p))
		}
	}
	step("remove the cluster's state", os.RemoveAll(c.path("run")))
	after, err := snapshotHost()
	step("snapshot after", err)
	if err == nil {
		if diff := diffHost(pre.Host, after); len(diff) > 0 {
			errs = append(errs, fmt.Errorf("the host differs from before the run:\n  %s", strings.Join(diff, "\n  ")))
		}
	}
	if len(errs) == 0 {
		return os.Remove(c.beforePath())
	}
	return errors.Join(errs...)
}

// removePods deletes every pod through the API while the kubelet still
// runs, so that it stops each sandbox through the CRI and the CNI plugin
// takes down its veth, address and port mappings. The controller manager
// stops first, so nothing creates them again. Skipped when the cluster is
// not (or no longer) answering: the steps after it clean up regardless.
func (c *cluster) removePods(ctx context.Context) error {
	if len(c.procs) == 0 || slices.Contains(c.exited(), "kubelet") || slices.Contains(c.exited(), "kube-apiserver") {
		return nil
	}
	if _, err := c.kubectl(ctx, "get", "--raw", "/readyz"); err != nil {
		return nil
	}
	for _, p := range c.procs {
		if p.name == "kube-controller-manager" {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			<-p.done
		}
	}
	if _, err := c.kubectl(ctx, "delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--wait=false"); err != nil {
		return err
	}
	if err := poll(ctx, 90*time.Second, func() error {
		out, err := c.kubectl(ctx, "get", "pods", "--all-namespaces", "-o", "name")
		if err == nil && out != "" {
			err = fmt.Errorf("pods still there: %s", strings.ReplaceAll(out, "\n", ", "))
		}
		return err
	}); err != nil {
		return err
	}
	// A deleted pod's sandbox is stopped right after its containers; wait
	// for containerd to run nothing.
	return poll(ctx, 60*time.Second, func() error {
		out, err := exec.CommandContext(ctx, "ctr", "--address", c.containerdSock(), "-n", "k8s.io", "tasks", "ls", "-q").Output()
		if err == nil && strings.TrimSpace(string(out)) != "" {
			err = fmt.Errorf("containerd still runs tasks %s", strings.Fields(string(out)))
		}
		return err
	})
}

// killPidFiles stops the processes a killed run left, named by pids/.
func (c *cluster) killPidFiles() error {
	entries, err := os.ReadDir(c.path("pids"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, _ := os.ReadFile(c.path("pids", e.Name()))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && isOurs(pid, c.work) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = os.Remove(c.path("pids", e.Name()))
	}
	return nil
}

// isOurs tells whether pid is still a process of the run (a pid can be
// reused): every component's command line names the run's directory.
func isOurs(pid int, work string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(b), work)
}

// killStrays kills containerd shims of the run's containerd and every
// process in a pod's cgroup: what is left when containerd did not get to
// stop its containers.
func killStrays(work string) error {
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return err
	}
	var killed []int
	for _, d := range procs {
		pid, _ := strconv.Atoi(filepath.Base(d))
		cmdline, _ := os.ReadFile(d + "/cmdline")
		cgroup, _ := os.ReadFile(d + "/cgroup")
		shim := strings.Contains(string(cmdline), "containerd-shim") && strings.Contains(string(cmdline), work)
		if shim || strings.Contains(string(cgroup), "/kubepods") {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed = append(killed, pid)
			}
		}
	}
	// Wait for them to be gone (or zombies), so their mounts and
	// namespaces can go.
	return poll(context.Background(), 10*time.Second, func() error {
		for _, pid := range killed {
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err == nil && !strings.Contains(string(stat), ") Z ") {
				return fmt.Errorf("process %d survives SIGKILL", pid)
			}
		}
		return nil
	})
}

// unmountUnder unmounts every mount point under the given directories,
// deepest first.
func unmountUnder(dirs ...string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		for _, d := range dirs {
			if mp == d || strings.HasPrefix(mp, d+"/") {
				points = append(points, mp)
			}
		}
	}
	f.Close()
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, mp := range points {
		if err := syscall.Unmount(mp, 0); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			if err2 := syscall.Unmount(mp, syscall.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Errorf("umount %s: %w", mp, err))
			}
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func linkNames() []string {
	ifs, _ := net.Interfaces()
	names := make([]string, 0, len(ifs))
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	return names
}

func hasAddr(link, ip string) bool {
	i, err := net.InterfaceByName(link)
	if err != nil {
		return false
	}
	addrs, _ := i.Addrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}

// restoreNftables puts back the ruleset from before the run. kube-proxy and
// the CNI's portmap plugin write rules through iptables-nft, and iptables
// -F/-X still leaves their empty tables; replacing the whole ruleset
// restores exactly what was there, the host's own rules included.
func restoreNftables(ctx context.Context, before string) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil
	}
	if err := run(ctx, "nft", "flush", "ruleset"); err != nil {
		return err
	}
	if strings.TrimSpace(before) == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(before)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft -f: %v: %s", err, out)
	}
	return nil
}

// cgroupDirs lists the directories one level under each cgroup v1
// controller (or under the v2 root).
func cgroupDirs() []string {
	var out []string
	for _, pattern := range []string{"/sys/fs/cgroup/*/*", "/sys/fs/cgroup/*"} {
		m, _ := filepath.Glob(pattern)
		for _, d := range m {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				out = append(out, d)
			}
		}
	}
	return out
}

// removeNewCgroups removes, depth first, the cgroups the kubelet and
// containerd made (kubepods, k8s.io) that were not there before.
func removeNewCgroups(before []string) error {
	var errs []error
	for _, d := range cgroupDirs() {
		if slices.Contains(before, d) {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", dirs[i], err))
			}
		}
	}
	return errors.Join(errs...)
}
