package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// hostState is what the harness compares before and after a run.
//
// Each field holds only what the run can change and what does not change by
// itself on an idle machine, so that two snapshots taken seconds apart are
// equal (see the exclusions documented on the functions that fill them).
type hostState struct {
	Interfaces []string          // "link NAME TYPE <FLAGS> state S mtu N [master M] ADDR" and "addr NAME FAMILY ADDR/PREFIX scope S", sorted
	Routes     []string          // ip -4/-6 route show table all, normalised, sorted
	Mounts     []string          // "MOUNTPOINT FSTYPE SOURCE [PROPAGATION]" from /proc/self/mountinfo, sorted
	Nftables   string            // nft list ruleset with counters, handles and timers removed
	Sysctls    map[string]string // dotted key ("net.ipv4.ip_forward") -> value
	Notes      []string          `json:",omitempty"` // what could not be captured (e.g. no nft); not compared
}

// snapshotHost records the current state of this host.
func snapshotHost() (hostState, error) {
	var h hostState
	var err error
	if h.Interfaces, err = hostInterfaces(); err != nil {
		return h, err
	}
	if h.Routes, err = hostRoutes(); err != nil {
		return h, err
	}
	if h.Mounts, err = hostMounts("/proc/self/mountinfo"); err != nil {
		return h, err
	}
	if _, lookErr := exec.LookPath("nft"); lookErr != nil {
		h.Notes = append(h.Notes, "nftables not compared: nft not found")
	} else {
		out, err := exec.Command("nft", "list", "ruleset").Output()
		if err != nil {
			return h, fmt.Errorf("nft list ruleset: %w%s", err, exitStderr(err))
		}
		h.Nftables = normalizeNft(string(out))
	}
	if h.Sysctls, err = hostSysctls("/proc/sys"); err != nil {
		return h, err
	}
	return h, nil
}

// exitStderr returns the stderr of a failed exec.Command(...).Output() call.
func exitStderr(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// hostInterfaces lists links and addresses from `ip -j addr show`.
// Left out because they change without the harness doing anything, or are
// renumbered when an interface is re-created: ifindex, link_index/netnsid of
// veth peers, qdisc, txqlen, counters, lifetimes, address flags (dynamic,
// tentative, ...) and "temporary" IPv6 privacy addresses, which rotate.
func hostInterfaces() ([]string, error) {
	out, err := exec.Command("ip", "-j", "addr", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("ip -j addr show: %w%s", err, exitStderr(err))
	}
	var links []struct {
		IfName    string   `json:"ifname"`
		Flags     []string `json:"flags"`
		MTU       int      `json:"mtu"`
		OperState string   `json:"operstate"`
		LinkType  string   `json:"link_type"`
		Address   string   `json:"address"`
		Master    string   `json:"master"`
		AddrInfo  []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			Peer      string `json:"address"`
			PrefixLen int    `json:"prefixlen"`
			Scope     string `json:"scope"`
			Temporary bool   `json:"temporary"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return nil, fmt.Errorf("parse ip -j addr show: %w", err)
	}
	var lines []string
	for _, l := range links {
		s := fmt.Sprintf("link %s %s <%s> state %s mtu %d", l.IfName, l.LinkType, strings.Join(l.Flags, ","), l.OperState, l.MTU)
		if l.Master != "" {
			s += " master " + l.Master
		}
		lines = append(lines, s+" "+l.Address)
		for _, a := range l.AddrInfo {
			if a.Temporary {
				continue
			}
			s := fmt.Sprintf("addr %s %s %s/%d", l.IfName, a.Family, a.Local, a.PrefixLen)
			if a.Peer != "" {
				s += " peer " + a.Peer
			}
			lines = append(lines, s+" scope "+a.Scope)
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// routeExpires matches the remaining lifetime of RA-learned IPv6 routes,
// which counts down by itself.
var routeExpires = regexp.MustCompile(`\s+expires\s+-?\d+sec`)

// hostRoutes lists the routes of all tables, IPv4 and IPv6. Lifetimes
// ("expires") are removed and cached routes (PMTU exceptions, which come
// and go with traffic; only listed by old kernels) are left out.
func hostRoutes() ([]string, error) {
	var lines []string
	for _, family := range []string{"-4", "-6"} {
		out, err := exec.Command("ip", family, "route", "show", "table", "all").Output()
		if err != nil {
			return nil, fmt.Errorf("ip %s route show table all: %w%s", family, err, exitStderr(err))
		}
		for _, line := range strings.Split(string(out), "\n") {
			line = strings.Join(strings.Fields(routeExpires.ReplaceAllString(line, "")), " ")
			if line == "" || slices.Contains(strings.Fields(line), "cache") {
				continue
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// hostMounts lists the mounts of a mountinfo file as "MOUNTPOINT FSTYPE
// SOURCE", plus the propagation kind (shared, master, unbindable) without its
// peer group number, because making / rshared is a change a Kubernetes node
// set-up may make. Mount ids, parent ids and device numbers are left out:
// they are renumbered when the same thing is mounted again.
func hostMounts(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 5 || len(f) < sep+3 {
			continue
		}
		s := f[4] + " " + f[sep+1] + " " + f[sep+2]
		for _, opt := range f[6:sep] {
			kind, _, _ := strings.Cut(opt, ":")
			s += " " + kind
		}
		lines = append(lines, s)
	}
	sort.Strings(lines)
	return lines, nil
}

// nftState matches the parts of `nft list ruleset` that traffic or time
// change by themselves: rule and named counters, quota usage, the "last"
// statement, set element timers, and handles (if listed with -a).
var nftState = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`\bcounter packets \d+ bytes \d+`), "counter"},
	{regexp.MustCompile(`(?m)^\s*packets \d+ bytes \d+\s*\n`), ""}, // body of a named counter
	{regexp.MustCompile(`\s+used \d+ [a-z]*bytes`), ""},            // quota
	{regexp.MustCompile(`\blast used \S+( ago)?`), "last"},
	{regexp.MustCompile(`\s+expires [0-9dhms]+`), ""},
	{regexp.MustCompile(`\s*# handle \d+`), ""},
}

// normalizeNft removes from an nft ruleset listing what changes by itself.
func normalizeNft(s string) string {
	for _, r := range nftState {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

// sysctlDirs are the parts of /proc/sys that are recorded: those that
// kubelet, kube-proxy, the CNI plugins and the harness set.
var sysctlDirs = []string{"net/ipv4", "net/ipv6", "net/bridge", "net/netfilter", "vm", "kernel"}

// sysctlVolatile are writable settings whose value changes by itself.
var sysctlVolatile = map[string]string{
	"kernel.ns_last_pid":                "last pid handed out, changes with every process",
	"kernel.tainted":                    "set by the kernel on warnings and module loads",
	"kernel.perf_event_max_sample_rate": "lowered by the kernel when perf interrupts take too long",
	"net.ipv4.tcp_fastopen_key":         "generated lazily on first TFO use, and a secret not to be saved",
	"vm.stat_refresh":                   "reading it flushes per-cpu vm statistics",
}

// hostSysctls reads the settings under root (normally /proc/sys).
//
// Only files that are both readable and writable by their owner are
// settings; read-only files are kernel status (kernel.random.entropy_avail,
// kernel.pty.nr, net.netfilter.nf_conntrack_count, ...) that changes by
// itself and cannot be restored, write-only files are actions
// (net.ipv4.route.flush, vm.drop_caches). Files that fail to read
// (net.ipv6.conf.*.stable_secret when unset) are skipped. kernel.random.*
// and sysctlVolatile change by themselves. Per-interface directories under
// conf/ and neigh/ are kept only for all, default and lo: those of other
// interfaces vanish with their interface.
func hostSysctls(root string) (map[string]string, error) {
	m := map[string]string{}
	for _, dir := range sysctlDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
					return nil // net/bridge without br_netfilter, or unreadable
				}
				return err
			}
			rel, _ := filepath.Rel(root, path)
			parts := strings.Split(rel, string(filepath.Separator))
			if d.IsDir() {
				n := len(parts)
				if n >= 4 && parts[0] == "net" && (parts[2] == "conf" || parts[2] == "neigh") &&
					!slices.Contains([]string{"all", "default", "lo"}, parts[3]) {
					return filepath.SkipDir
				}
				if rel == filepath.Join("kernel", "random") {
					return filepath.SkipDir
				}
				return nil
			}
			key := sysctlKey(rel)
			if _, ok := sysctlVolatile[key]; ok {
				return nil
			}
			if info, err := d.Info(); err != nil || info.Mode().Perm()&0o600 != 0o600 {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			m[key] = strings.TrimRight(string(data), "\n")
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// sysctlKey turns a path relative to /proc/sys into sysctl(8) form: "/"
// becomes "." and a "." inside a name (eth0.100) becomes "/".
func sysctlKey(rel string) string {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}

// sysctlPath is the inverse of sysctlKey, under /proc/sys.
func sysctlPath(key string) string {
	parts := strings.Split(key, ".")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "/", ".")
	}
	return filepath.Join(append([]string{"/proc/sys"}, parts...)...)
}

// diffHost returns one human-readable line per difference between two
// snapshots, or nothing when they are equal. Sysctls are compared only for
// keys present in both: a key that appears (net.bridge.* when br_netfilter
// gets loaded) or vanishes comes from a kernel module being loaded or
// unloaded, which is not something restoreSysctls could undo.
func diffHost(before, after hostState) []string {
	var d []string
	d = append(d, diffLines("interfaces", before.Interfaces, after.Interfaces)...)
	d = append(d, diffLines("routes", before.Routes, after.Routes)...)
	d = append(d, diffLines("mounts", before.Mounts, after.Mounts)...)
	d = append(d, diffLines("nftables", nftLines(before.Nftables), nftLines(after.Nftables))...)
	keys := make([]string, 0, len(before.Sysctls))
	for k := range before.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v, ok := after.Sysctls[k]; ok && v != before.Sysctls[k] {
			d = append(d, fmt.Sprintf("sysctl %s: %s -> %s", k, before.Sysctls[k], v))
		}
	}
	return d
}

// nftLines splits a ruleset into its non-blank lines.
func nftLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return lines
}

// diffLines returns "what: - line" for each line of before missing from
// after, then "what: + line" for each line of after missing from before, in
// the order they appear. Repeated lines are counted (a second "}" or a
// stacked mount shows). It is a multiset difference, not an LCS diff: enough
// to see what was left behind, and linear in the size of a large kube-proxy
// ruleset.
func diffLines(what string, before, after []string) []string {
	return append(linesMissing(what+": - ", before, after), linesMissing(what+": + ", after, before)...)
}

// linesMissing returns prefix+line for each line of a not matched by one of b.
func linesMissing(prefix string, a, b []string) []string {
	left := map[string]int{}
	for _, l := range b {
		left[l]++
	}
	var out []string
	for _, l := range a {
		if left[l] > 0 {
			left[l]--
		} else {
			out = append(out, prefix+l)
		}
	}
	return out
}

// restoreSysctls writes back every sysctl whose value in now differs from
// before. Keys are written in sorted order so that "all" comes before
// "default" and "lo"; since writing some keys changes others
// (net.ipv4.ip_forward sets net.ipv4.conf.{all,default}.forwarding), the
// values are then read again and what still differs is written again, up to
// three passes. It returns the keys written and the errors of those that
// still differ at the end.
func restoreSysctls(before, now hostState) (restored []string, err error) {
	current := now.Sysctls
	writeErr := map[string]error{}
	var keys []string
	for pass := 0; pass < 3; pass++ {
		keys = keys[:0]
		for k, v := range before.Sysctls {
			if cur, ok := current[k]; ok && cur != v {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			break
		}
		current = map[string]string{}
		for _, k := range keys {
			if err := os.WriteFile(sysctlPath(k), []byte(before.Sysctls[k]+"\n"), 0); err != nil {
				writeErr[k] = err
			} else if !slices.Contains(restored, k) {
				restored = append(restored, k)
			}
		}
		for _, k := range keys {
			if data, err := os.ReadFile(sysctlPath(k)); err == nil {
				current[k] = strings.TrimRight(string(data), "\n")
			}
		}
	}
	var errs []error
	for _, k := range keys {
		if current[k] == before.Sysctls[k] {
			continue
		}
		if writeErr[k] != nil {
			errs = append(errs, fmt.Errorf("sysctl %s=%q: %w", k, before.Sysctls[k], writeErr[k]))
		} else {
			errs = append(errs, fmt.Errorf("sysctl %s: reads %q after writing %q", k, current[k], before.Sysctls[k]))
		}
	}
	sort.Strings(restored)
	return restored, errors.Join(errs...)
}
