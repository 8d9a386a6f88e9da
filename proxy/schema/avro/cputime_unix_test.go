//go:build unix

package avro

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time, all threads, the test process has used.
func processCPU() time.Duration {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// reportCPU reports CPU time per op beside wall time: on a machine shared
// with other work, wall time per op overstates what encoding costs.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
