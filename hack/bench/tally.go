package main

import (
	"bytes"
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// tally counts reports across goroutines and keeps the first failure's
// text, which is what a reader of the table needs to see.
type tally struct {
	start            time.Time // of the mode
	sent, ok, failed atomic.Int64
	firstFailure     atomic.Pointer[string]
	lastReport       atomic.Int64 // time.Since(start) at the latest report, in ns
}

func (t *tally) report(ok bool, line []byte) {
	if ok {
		t.ok.Add(1)
	} else {
		t.failed.Add(1)
		msg := string(bytes.TrimSpace(line))
		t.firstFailure.CompareAndSwap(nil, &msg)
	}
	t.lastReport.Store(int64(time.Since(t.start)))
}

// reportN counts n acknowledgements of one batch, failed if err is not nil.
func (t *tally) reportN(n int, err error) {
	if err != nil {
		t.failed.Add(int64(n))
		t.fail(err)
	} else {
		t.ok.Add(int64(n))
	}
	t.lastReport.Store(int64(time.Since(t.start)))
}

func (t *tally) fail(err error) {
	msg := err.Error()
	t.firstFailure.CompareAndSwap(nil, &msg)
}

// failure is the first failure seen, or "".
func (t *tally) failure() string {
	if p := t.firstFailure.Load(); p != nil {
		return *p
	}
	return ""
}

// percentiles returns the p-quantiles (0 < p <= 1) of ds by the
// nearest-rank method, sorting ds.
func percentiles(ds []time.Duration, ps ...float64) []time.Duration {
	out := make([]time.Duration, len(ps))
	if len(ds) == 0 {
		return out
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	for i, p := range ps {
		rank := int(math.Ceil(p * float64(len(ds))))
		out[i] = ds[min(max(rank, 1), len(ds))-1]
	}
	return out
}
