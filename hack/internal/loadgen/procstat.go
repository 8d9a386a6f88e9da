package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. It is 100 on
// every Linux architecture Go supports (the kernel's USER_HZ), and reading
// sysconf(_SC_CLK_TCK) would need cgo.
const userHZ = 100

// Usage is what a load program reads about a process from outside.
type Usage struct {
	CPU      time.Duration // user + system time since the process started
	RSSBytes int64         // VmRSS now
	HWMBytes int64         // VmHWM: peak RSS since the process started
	// AnonBytes is RssAnon now: the RSS less the pages mapped from files,
	// which for the proxy are mostly its own binary's code, shared and
	// reclaimable.
	AnonBytes int64
}

// ReadUsage reads pid's CPU time and memory from /proc.
func ReadUsage(pid int) (Usage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Usage{}, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Usage{}, err
	}
	rss, err := parseStatusBytes(status, "VmRSS")
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	hwm, err := parseStatusBytes(status, "VmHWM")
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	anon, err := parseStatusBytes(status, "RssAnon")
	if err != nil {
		return Usage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return Usage{CPU: cpu, RSSBytes: rss, HWMBytes: hwm, AnonBytes: anon}, nil
}

// parseStatCPU returns utime+stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name in field 2 may hold spaces and parentheses, so
// fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no ')' after the command name")
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("utime/stime %q: %w", f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// parseStatusBytes returns a "Key:   1234 kB" line of /proc/PID/status in
// bytes.
func parseStatusBytes(status []byte, key string) (int64, error) {
	for line := range strings.Lines(string(status)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || name != key {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%s: %q is not \"N kB\"", key, strings.TrimSpace(value))
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line", key)
}

// OpenFDs counts the file descriptors pid has open: its sockets, files
// and pipes, which a leak of connections would grow.
func OpenFDs(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	return len(entries), nil
}

// SelfCPU is the CPU time the calling process (the load generator) has
// used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
