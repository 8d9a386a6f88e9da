package producer

import (
	"testing"
	"time"
)

func TestDeadlinesExpireOnlyPendingRecordsPastTheirDeadline(t *testing.T) {
	dl := newDeadlines(time.Hour)
	tp := topicPartition{"orders", 0}
	pending := func(deadline time.Duration) *delivery {
		d := &delivery{deadline: deadline}
		dl.add(tp, d)
		return d
	}
	acked := pending(0)
	acked.state.Store(stateDone)
	overdue := pending(0)
	future := pending(time.Since(dl.start) + time.Hour)
	alsoOverdue := pending(0) // behind a record that is not due: waits its turn

	got := dl.expired()
	if len(got) != 1 || got[0] != overdue {
		t.Fatalf("expired %d records, want only the overdue one at the head", len(got))
	}
	future.state.Store(stateDone)
	dl.trim(tp)
	if got := dl.expired(); len(got) != 1 || got[0] != alsoOverdue {
		t.Fatalf("after the head was acknowledged: expired %d records, want the one behind it", len(got))
	}
	if len(dl.queues) != 0 {
		t.Errorf("%d queues left, want the emptied queue forgotten", len(dl.queues))
	}
}

func TestFIFOReusesItsArray(t *testing.T) {
	var q fifo
	for i := range 3000 {
		q.push(&delivery{want: int32(i)})
	}
	for i := range 2999 {
		if got := q.front().want; got != int32(i) {
			t.Fatalf("pop %d: got record %d", i, got)
		}
		q.pop()
	}
	if q.len() != 1 || q.front().want != 2999 {
		t.Fatalf("len %d, front %d; want the last record alone", q.len(), q.front().want)
	}
	if len(q.items) > 1024 {
		t.Errorf("queue keeps %d slots for 1 record, want the array compacted", len(q.items))
	}
}

func TestSweepInterval(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		10 * time.Millisecond: 5 * time.Millisecond,
		time.Second:           50 * time.Millisecond,
		30 * time.Second:      250 * time.Millisecond,
	} {
		if got := sweepInterval(timeout); got != want {
			t.Errorf("sweepInterval(%s) = %s, want %s", timeout, got, want)
		}
	}
}
