package main

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Plain tests of the soak's bookkeeping: records, reports, the ledger, the
// verifier's matching and the bounds. The soak itself needs the real
// binary and minutes, so it runs only as make soak.

// stored is record id as Kafka would hold it after the proxy decoded it.
func stored(t *testing.T, c *recordCodec, id uint64) (key, value []byte) {
	t.Helper()
	var rec struct {
		Key   struct{ Data string }
		Value struct{ Data []byte } // BINARY: base64, which encoding/json decodes
	}
	text := c.appendJSON(nil, id)
	if err := json.Unmarshal(text, &rec); err != nil {
		t.Fatalf("record %d: %v in %s", id, err, text)
	}
	return []byte(rec.Key.Data), rec.Value.Data
}

func TestRecordCodec_RecordsCarryTheirIdentity(t *testing.T) {
	c := newRecordCodec()
	for _, id := range []uint64{1, 255, 1 << 40, ^uint64(0)} {
		text := c.appendJSON(nil, id)
		if n := len(text); n < 180 || n > 220 {
			t.Errorf("record %d: %d bytes of JSON, want about 200", id, n)
		}
		key, value := stored(t, c, id)
		if got, err := c.check(key, value); err != nil || got != id {
			t.Errorf("check(record %d) = %d, %v", id, got, err)
		}
	}
	key, value := stored(t, c, 7)
	value[len(value)-1] ^= 1
	if _, err := c.check(key, value); err == nil || !strings.Contains(err.Error(), "carries id") {
		t.Errorf("a value with another id: err = %v", err)
	}
	if _, err := c.check([]byte("k0000001"), value); err == nil {
		t.Error("a benchmark key: no error")
	}
}

func TestParseReport(t *testing.T) {
	line := []byte(`{"error_code":200,"cluster_id":"dev","topic_name":"demo","partition_id":2,"offset":612,"timestamp":"2026-11-24T10:00:00.123Z","key":{"type":"STRING","size":7}}` + "\r\n")
	p, o, err := parseReport(line)
	if err != nil || p != 2 || o != 612 {
		t.Fatalf("parseReport = %d, %d, %v; want 2, 612", p, o, err)
	}
	if _, _, err := parseReport([]byte(`{"error_code":200}`)); err == nil {
		t.Fatal("a report without a partition: no error")
	}
}

func TestLedger_RetriesGoFirstAndNoNewStopsNewIDs(t *testing.T) {
	var l ledger
	if got := l.take(nil, 3); !equal(got, 1, 2, 3) {
		t.Fatalf("first take = %v, want 1 2 3", got)
	}
	l.retry(2)
	if got := l.take(nil, 2); !equal(got, 2, 4) {
		t.Fatalf("take after retry(2) = %v, want 2 4", got)
	}
	l.retry(3)
	l.noNew.Store(true)
	if got := l.take(nil, 5); !equal(got, 3) || l.waiting() != 0 || l.resent.Load() != 2 {
		t.Fatalf("take with noNew = %v (waiting %d, resent %d), want 3 (0, 2)", got, l.waiting(), l.resent.Load())
	}
}

func equal(got []uint64, want ...uint64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestVerifier_MatchesEach200WithWhatKafkaHolds(t *testing.T) {
	c := newRecordCodec()
	v := newVerifier(c, 2)
	rec := func(id uint64, offset int64) *kgo.Record {
		key, value := stored(t, c, id)
		return &kgo.Record{Key: key, Value: value, Offset: offset}
	}
	v.ack(0, 0, 10) // before it is read back: waits
	v.remember(0, []*kgo.Record{rec(10, 0), rec(11, 1), rec(12, 3)})
	v.ack(0, 1, 11) // after: checked at once
	v.ack(0, 3, 99) // Kafka holds 12 there
	v.ack(0, 2, 13) // offset 2 holds nothing
	v.ack(1, 5, 14) // never stored
	v.ack(7, 0, 15) // no such partition
	v.finish([]int64{4, 0})
	if v.verified.Load() != 2 || v.mismatched.Load() != 3 || v.missing.Load() != 1 || v.lost() != 4 {
		t.Fatalf("verified %d, mismatched %d, missing %d, lost %d; want 2, 3, 1, 4\n%s",
			v.verified.Load(), v.mismatched.Load(), v.missing.Load(), v.lost(), strings.Join(v.problems.summary(), "\n"))
	}
	if v.readUpTo(0) != 4 || v.readBack.Load() != 3 {
		t.Fatalf("read up to %d, read back %d; want 4, 3", v.readUpTo(0), v.readBack.Load())
	}
}

func TestWatch_BaselineIsTheWarmUpsHighestAndBoundsAreAboveIt(t *testing.T) {
	w := &watch{warmUp: time.Minute, bounds: bounds{rssMiB: 64, goroutines: 200, fds: 100}}
	w.judge(sample{at: 30 * time.Second, rssMiB: 50, goroutines: 40, fds: 20})
	w.judge(sample{at: time.Minute, rssMiB: 60, goroutines: 30, fds: 25})
	if !w.judge(sample{at: 2 * time.Minute, rssMiB: 124, goroutines: 240, fds: 125}) || w.breaches != 0 {
		t.Fatalf("at the bounds: baseline %+v, breaches %d (%v); want it set and none", w.base, w.breaches, w.over)
	}
	w.judge(sample{at: 3 * time.Minute, rssMiB: 124.5, goroutines: 241, fds: 126})
	if w.breaches != 3 || !strings.Contains(strings.Join(w.over, ";"), "goroutines 241.0 > baseline 40.0 + 200") {
		t.Fatalf("past every bound: %d breaches %v, want 3", w.breaches, w.over)
	}
	if w.peak.rssMiB != 124.5 || w.peak.fds != 126 {
		t.Fatalf("peak %+v, want the highest after the warm-up", w.peak)
	}
}

func TestPacer_OwesTheRateAndSkipsWhatABlockLeft(t *testing.T) {
	start := time.Now()
	p := &pacer{perSec: 1000, start: start}
	var skipped atomic.Int64
	if n := p.due(start.Add(50*time.Millisecond), &skipped); n != 50 {
		t.Fatalf("after 50 ms: %d due, want 50", n)
	}
	p.sent += 50
	if n := p.due(start.Add(2050*time.Millisecond), &skipped); n != 100 || skipped.Load() != 1900 {
		t.Fatalf("after a 2 s block: %d due, %d skipped; want 100, 1900", n, skipped.Load())
	}
}
