package main

import (
	"sync"
	"sync/atomic"
)

// ledger hands out record ids and takes back the ones to send again. A
// record is sent again, with the same id, whenever it did not get a 200: an
// error report, or a stream that ended before its report. So every id ends
// with exactly one 200, and the soak can check that with counters alone:
// at the end, ids issued = 200s read and nothing waits to be sent again.
type ledger struct {
	issued  atomic.Uint64 // ids are 1..issued
	acked   atomic.Int64  // 200 reports read
	resent  atomic.Int64  // sends of an id that had been sent before
	noNew   atomic.Bool   // take hands out retries only
	mu      sync.Mutex
	retries []uint64
}

// take appends up to n ids to dst: those to send again first, then new
// ones unless noNew is set.
func (l *ledger) take(dst []uint64, n int) []uint64 {
	l.mu.Lock()
	k := min(n, len(l.retries))
	dst = append(dst, l.retries[len(l.retries)-k:]...)
	l.retries = l.retries[:len(l.retries)-k]
	l.mu.Unlock()
	l.resent.Add(int64(k))
	if m := n - k; m > 0 && !l.noNew.Load() {
		last := l.issued.Add(uint64(m))
		for id := last - uint64(m) + 1; id <= last; id++ {
			dst = append(dst, id)
		}
	}
	return dst
}

// retry queues an id that did not get a 200 to be sent again.
func (l *ledger) retry(ids ...uint64) {
	l.mu.Lock()
	l.retries = append(l.retries, ids...)
	l.mu.Unlock()
}

// waiting is how many ids wait to be sent again.
func (l *ledger) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.retries)
}
