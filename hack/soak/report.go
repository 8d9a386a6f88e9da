package main

import (
	"fmt"
	"strings"
)

// report prints what the soak did and saw, and its verdict: whether it
// passed.
func (r *soakRun) report(ends []int64, stopErr error) bool {
	c, l, v, w := r.c, r.c.ledger, r.v, r.w
	var stored int64
	for _, e := range ends {
		stored += e
	}
	issued, acked := int64(l.issued.Load()), l.acked.Load()
	fmt.Fprintln(r.out)
	r.logf("load: %s at %.0f records/s offered; %.0f records/s got a 200 on average",
		r.o.duration, c.rate, float64(acked)/r.o.duration.Seconds())
	r.logf("faults: %d, each %s (alternately errors and a stall)", r.faults.Load(), r.o.faultLength)
	r.logf("clients: %d streams opened (%d dropped), %d single POSTs; %d records issued, %d got a 200, %d error reports, %d records without a report, %d sends of a record sent before, %d offers skipped while the proxy pushed back",
		c.count.streams.Load(), c.count.aborted.Load(), c.count.singles.Load(), issued, acked, c.count.failed.Load(), c.count.unreported.Load(), l.resent.Load(), c.count.skipped.Load())
	r.logf("Kafka: %d records stored, %d read back; %d 200s verified at their partition/offset; %d stored twice (sent again after no report); lost: %d (%d where Kafka holds another record, %d past the end, %d checked too late); %d records that are no soak record",
		stored, v.readBack.Load(), v.verified.Load(), stored-acked, v.lost(), v.mismatched.Load(), v.missing.Load(), v.tooLate.Load(), v.badContent.Load())
	r.logf("proxy: baseline after warm-up RSS %.1f MiB, %d goroutines, %d fds; highest after it RSS %.1f MiB, %d goroutines, %d fds; at the end RSS %.1f MiB, %d goroutines, %d fds",
		w.base.rssMiB, w.base.goroutines, w.base.fds, w.peak.rssMiB, w.peak.goroutines, w.peak.fds, w.last.rssMiB, w.last.goroutines, w.last.fds)
	for _, line := range append(c.problems.summary(), v.problems.summary()...) {
		r.logf("  seen: %s", line)
	}
	fails := r.failures(ends, stored, stopErr)
	if len(fails) == 0 {
		r.logf("PASS: no record lost, every record got its 200, and RSS, goroutines and fds stayed within bounds")
		return true
	}
	r.logf("FAIL:\n  %s", strings.Join(fails, "\n  "))
	return false
}

// failures lists every reason the soak failed.
func (r *soakRun) failures(ends []int64, stored int64, stopErr error) []string {
	c, l, v, w := r.c, r.c.ledger, r.v, r.w
	issued, acked := int64(l.issued.Load()), l.acked.Load()
	var fails []string
	add := func(cond bool, format string, args ...any) {
		if cond {
			fails = append(fails, fmt.Sprintf(format, args...))
		}
	}
	add(ends == nil, "the partitions' end offsets could not be read")
	add(v.lost() > 0, "%d records reported 200 are not in Kafka at their partition and offset", v.lost())
	add(stored < acked, "Kafka stored %d records, fewer than the %d 200s", stored, acked)
	add(v.badContent.Load() > 0, "%d records in Kafka are not what was sent", v.badContent.Load())
	add(issued != acked || l.waiting() > 0, "%d of %d records never got a 200", issued-acked, issued)
	add(c.count.badReports.Load() > 0, "%d reports matched no record or had no partition and offset", c.count.badReports.Load())
	add(!w.baseSet, "no sample after the warm-up")
	add(w.breaches > 0, "%d samples beyond the bounds: %s", w.breaches, strings.Join(w.over, "; "))
	add(len(r.sampErr) > 0, "the proxy could not be sampled: %s", strings.Join(r.sampErr, "; "))
	add(stopErr != nil, "the proxy did not exit cleanly on SIGTERM: %v", stopErr)
	return fails
}
