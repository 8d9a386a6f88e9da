//go:build unix

package record

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time (user + system, all threads, GC included) the
// test process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/<unit> metric: on a shared, loaded machine wall
// time per op overstates the cost, CPU time does not.
func reportCPU(b *testing.B, start time.Duration, perOp int, unit string) {
	b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N*perOp), "cpu-ns/"+unit)
}
