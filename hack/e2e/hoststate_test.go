package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestHostSnapshotTwiceIsEqual(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("no ip command")
	}
	start := time.Now()
	a, err := snapshotHost()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshotHost took %v: %d interface lines, %d routes, %d mounts, %d nft bytes, %d sysctls, notes %q",
		time.Since(start), len(a.Interfaces), len(a.Routes), len(a.Mounts), len(a.Nftables), len(a.Sysctls), a.Notes)
	if len(a.Interfaces) == 0 || len(a.Routes) == 0 || len(a.Mounts) == 0 || len(a.Sysctls) == 0 {
		t.Fatalf("snapshot looks empty: %+v", a)
	}
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv4.conf.lo.rp_filter", "vm.overcommit_memory", "kernel.panic"} {
		if _, ok := a.Sysctls[k]; !ok {
			t.Errorf("sysctl %s missing", k)
		}
	}
	for k := range a.Sysctls {
		if k == "kernel.ns_last_pid" || k == "kernel.random.uuid" || k == "net.ipv4.route.flush" {
			t.Errorf("sysctl %s should be left out", k)
		}
	}
	time.Sleep(2 * time.Second)
	b, err := snapshotHost()
	if err != nil {
		t.Fatal(err)
	}
	if d := diffHost(a, b); len(d) > 0 {
		t.Errorf("two snapshots in a row differ:\n%s", joinLines(d))
	}
}

func joinLines(l []string) string {
	s := ""
	for _, x := range l {
		s += x + "\n"
	}
	return s
}

func baseHost() hostState {
	return hostState{
		Interfaces: []string{"addr lo inet 127.0.0.1/8 scope host", "link lo loopback <LOOPBACK,UP,LOWER_UP> state UNKNOWN mtu 65536 00:00:00:00:00:00"},
		Routes:     []string{"default via 192.0.2.1 dev eth0"},
		Mounts:     []string{"/ ext4 /dev/vda", "/proc proc proc"},
		Nftables:   "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n",
		Sysctls:    map[string]string{"net.ipv4.ip_forward": "0", "vm.overcommit_memory": "0"},
	}
}

func TestDiffHost(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *hostState)
		want   []string
	}{
		{"equal", func(h *hostState) {}, nil},
		{"added interface", func(h *hostState) {
			h.Interfaces = append(h.Interfaces, "link k8sbr0 bridge <BROADCAST,MULTICAST,UP,LOWER_UP> state UP mtu 1500 aa:bb:cc:dd:ee:ff")
		}, []string{"interfaces: + link k8sbr0 bridge <BROADCAST,MULTICAST,UP,LOWER_UP> state UP mtu 1500 aa:bb:cc:dd:ee:ff"}},
		{"removed mount", func(h *hostState) { h.Mounts = h.Mounts[:1] }, []string{"mounts: - /proc proc proc"}},
		{"stacked mount", func(h *hostState) {
			h.Mounts = append(h.Mounts, "/proc proc proc")
		}, []string{"mounts: + /proc proc proc"}},
		{"added route", func(h *hostState) {
			h.Routes = append(h.Routes, "10.244.0.0/24 dev k8sbr0 proto kernel scope link src 10.244.0.1")
		}, []string{"routes: + 10.244.0.0/24 dev k8sbr0 proto kernel scope link src 10.244.0.1"}},
		{"changed sysctl", func(h *hostState) { h.Sysctls["net.ipv4.ip_forward"] = "1" }, []string{"sysctl net.ipv4.ip_forward: 0 -> 1"}},
		{"sysctl from a loaded module", func(h *hostState) { h.Sysctls["net.bridge.bridge-nf-call-iptables"] = "1" }, nil},
		{"nft rule added", func(h *hostState) {
			h.Nftables = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 accept\n\t}\n}\n"
		}, []string{"nftables: + \t\ttcp dport 22 accept"}},
		{"nft table added", func(h *hostState) {
			h.Nftables += "table ip kube-proxy {\n}\n"
		}, []string{"nftables: + table ip kube-proxy {", "nftables: + }"}},
		{"notes are not compared", func(h *hostState) { h.Notes = []string{"nftables not compared: nft not found"} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after := baseHost(), baseHost()
			tt.change(&after)
			if got := diffHost(before, after); !slices.Equal(got, tt.want) {
				t.Errorf("diffHost = %q, want %q", got, tt.want)
			}
		})
	}
	// And the other way round: what was added shows as removed.
	before, after := baseHost(), baseHost()
	after.Interfaces = after.Interfaces[1:]
	if got, want := diffHost(before, after), []string{"interfaces: - addr lo inet 127.0.0.1/8 scope host"}; !slices.Equal(got, want) {
		t.Errorf("diffHost = %q, want %q", got, want)
	}
}

func TestNftNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\t\tip saddr 10.0.0.1 counter packets 12 bytes 3456 accept\n", "\t\tip saddr 10.0.0.1 counter accept\n"},
		{"\t\tcounter packets 0 bytes 0 jump KUBE-SERVICES # handle 7\n", "\t\tcounter jump KUBE-SERVICES\n"},
		{"\tchain input { # handle 1\n", "\tchain input {\n"},
		{"table inet filter { # handle 3\n", "table inet filter {\n"},
		{"\tcounter cnt { # handle 4\n\t\tpackets 5 bytes 300\n\t}\n", "\tcounter cnt {\n\t}\n"},
		{"\tquota q { # handle 5\n\t\tover 10 mbytes used 1234 bytes\n\t}\n", "\tquota q {\n\t\tover 10 mbytes\n\t}\n"},
		{"\t\telements = { 10.0.0.1 timeout 1m expires 39s512ms, 10.0.0.2 timeout 1h expires 59m2s }\n", "\t\telements = { 10.0.0.1 timeout 1m, 10.0.0.2 timeout 1h }\n"},
		{"\t\ttcp dport 80 last used 2s ago accept\n", "\t\ttcp dport 80 last accept\n"},
		{"\t\ttype filter hook input priority filter; policy accept;\n", "\t\ttype filter hook input priority filter; policy accept;\n"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalizeNft(tt.in); got != tt.want {
			t.Errorf("normalizeNft(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSysctlKeyPath(t *testing.T) {
	for rel, key := range map[string]string{
		"net/ipv4/ip_forward":                "net.ipv4.ip_forward",
		"net/ipv4/conf/eth0.100/rp_filter":   "net.ipv4.conf.eth0/100.rp_filter",
		"net/bridge/bridge-nf-call-iptables": "net.bridge.bridge-nf-call-iptables",
	} {
		if got := sysctlKey(rel); got != key {
			t.Errorf("sysctlKey(%q) = %q, want %q", rel, got, key)
		}
		if got, want := sysctlPath(key), filepath.Join("/proc/sys", rel); got != want {
			t.Errorf("sysctlPath(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestHostSysctlsFilter(t *testing.T) {
	root := t.TempDir()
	write := func(rel, val string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(val+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("net/ipv4/ip_forward", "1", 0o644)
	write("net/ipv4/conf/all/rp_filter", "1", 0o644)
	write("net/ipv4/conf/lo/rp_filter", "0", 0o644)
	write("net/ipv4/conf/k8sbr0/rp_filter", "2", 0o644)
	write("net/ipv4/neigh/veth1/gc_stale_time", "60", 0o644)
	write("net/ipv4/neigh/default/gc_thresh1", "128", 0o644)
	write("net/ipv4/route/flush", "", 0o200)
	write("net/netfilter/nf_conntrack_count", "3", 0o444)
	write("net/netfilter/nf_conntrack_max", "262144", 0o644)
	write("net/ipv4/ip_local_port_range", "32768\t60999", 0o644)
	write("kernel/random/write_wakeup_threshold", "256", 0o644)
	write("kernel/ns_last_pid", "4242", 0o666)
	write("kernel/panic", "10", 0o644)
	write("fs/file-max", "100", 0o644)
	got, err := hostSysctls(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"net.ipv4.ip_forward":               "1",
		"net.ipv4.conf.all.rp_filter":       "1",
		"net.ipv4.conf.lo.rp_filter":        "0",
		"net.ipv4.neigh.default.gc_thresh1": "128",
		"net.netfilter.nf_conntrack_max":    "262144",
		"net.ipv4.ip_local_port_range":      "32768\t60999",
		"kernel.panic":                      "10",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hostSysctls = %q\nwant %q", got, want)
	}
}

func TestHostMountsParse(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mountinfo")
	data := "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" +
		"99 27 0:50 / /run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw,relatime - overlay overlay rw,lowerdir=x\n" +
		"100 27 0:51 / /var/run/netns/cni-1 rw master:3 - nsfs nsfs rw\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := hostMounts(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/ ext4 /dev/vda shared",
		"/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs overlay overlay",
		"/var/run/netns/cni-1 nsfs nsfs master",
	}
	if !slices.Equal(got, want) {
		t.Errorf("hostMounts = %q, want %q", got, want)
	}
}

// TestPreRunSurvivesTheRun checks what a killed run leaves for the next:
// the host's state saved before the run reads back whole, and a run that
// ended cleanly leaves nothing to restore.
func TestPreRunSurvivesTheRun(t *testing.T) {
	c := &cluster{work: t.TempDir()}
	if pre, err := c.leftover(); pre != nil || err != nil {
		t.Fatalf("leftover of a fresh directory = %v, %v; want nothing", pre, err)
	}
	saved, err := c.recordHost()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.leftover()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, saved) {
		t.Errorf("leftover after recordHost:\n got %+v\nwant %+v", got, saved)
	}
	if len(saved.Host.Sysctls) == 0 || len(saved.Links) == 0 || len(saved.Host.Mounts) == 0 {
		t.Errorf("recordHost saved no sysctls, links or mounts: %+v", saved)
	}
}

func TestRestoreSysctlsNothingToDo(t *testing.T) {
	// Only the no-op path runs here: the tests must not change this host's sysctls.
	h := baseHost()
	restored, err := restoreSysctls(h, h)
	if len(restored) != 0 || err != nil {
		t.Errorf("restoreSysctls(same, same) = %q, %v", restored, err)
	}
}
