package proxy

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// Completions arrive in any order, from other goroutines, while the ring
// grows; reports come out in reservation order, and the ring never holds
// more than its maximum.
func TestReportQueue_InputOrderUnderOutOfOrderCompletion(t *testing.T) {
	const n, max = 5000, 64
	q := newReportQueue(max, func(s *slot, r producer.Result) { s.q.finish(s, r) })
	abort := make(chan struct{})
	var pending []*slot
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))

	go func() { // the reader: reserve, then complete a random pending slot
		for i := range n {
			s := q.reserve(abort)
			if s == nil {
				t.Errorf("reserve %d returned nil", i)
				return
			}
			s.size = i // the record's identity, for the check below
			mu.Lock()
			pending = append(pending, s)
			for len(pending) > 0 && rng.IntN(3) > 0 {
				j := rng.IntN(len(pending))
				p := pending[j]
				pending = append(pending[:j], pending[j+1:]...)
				go p.onProduced(producer.Result{Offset: int64(p.size)})
			}
			mu.Unlock()
		}
		mu.Lock()
		for _, p := range pending {
			go p.onProduced(producer.Result{Offset: int64(p.size)})
		}
		mu.Unlock()
		q.closeInput()
	}()

	next := 0
	batch := make([]*slot, 0, 16)
	for {
		var complete bool
		batch, complete = q.ready(batch[:0])
		for _, s := range batch {
			if s.result.Offset != int64(next) {
				t.Fatalf("report %d carries record %d", next, s.result.Offset)
			}
			next++
		}
		q.release(len(batch))
		if len(batch) == 0 {
			if complete {
				break
			}
			<-q.wakeWriter
		}
		q.mu.Lock()
		size := len(q.slots)
		q.mu.Unlock()
		if size > max {
			t.Fatalf("ring grew to %d slots, max %d", size, max)
		}
	}
	if next != n {
		t.Fatalf("%d reports, want %d", next, n)
	}
}

// Abandoning finishes the pending slots, drops their late results and
// stops further reservations.
func TestReportQueue_Abandon(t *testing.T) {
	q := newReportQueue(4, func(s *slot, r producer.Result) { s.q.finish(s, r) })
	a, b := q.reserve(nil), q.reserve(nil)
	q.fail(a, record.NewError(400, "bad"))
	if n := q.abandon(record.NewError(50003, "gone")); n != 1 {
		t.Fatalf("abandoned %d slots, want 1", n)
	}
	b.onProduced(producer.Result{Offset: 7}) // late
	got, complete := q.ready(make([]*slot, 0, 4))
	if len(got) != 2 || !complete || got[0].result.Err.Code != 400 || got[1].result.Err.Code != 50003 {
		t.Fatalf("ready = %d slots (complete %v), want the 400 then the 50003", len(got), complete)
	}
	if q.reserve(nil) != nil {
		t.Errorf("reserve after abandon returned a slot")
	}
}
