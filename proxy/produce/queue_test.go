package produce

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// Completions arrive in any order, from other goroutines, while the ring
// grows; reports come out in push order, and the ring never holds more than
// the stream's flow bound, taken before each push as the intake does.
func TestQueue_InputOrderUnderOutOfOrderCompletion(t *testing.T) {
	const n, max = 5000, 64
	var q queue
	q.init()
	flow := producer.NewFlow(max, 1<<30, 1<<20, 1<<30).Stream()
	abort := make(chan struct{})
	var pending []*slot
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))

	go func() { // the reader: reserve, then complete a random pending slot
		for i := range n {
			if !flow.Acquire(1, abort) {
				t.Errorf("acquire %d failed", i)
				return
			}
			s := q.push(1, time.Time{})
			if s == nil {
				t.Errorf("push %d returned nil", i)
				return
			}
			s.size = i // the record's identity, for the check below
			mu.Lock()
			pending = append(pending, s)
			for len(pending) > 0 && rng.IntN(3) > 0 {
				j := rng.IntN(len(pending))
				p := pending[j]
				pending = append(pending[:j], pending[j+1:]...)
				go p.Produced(producer.Result{Offset: int64(p.size)})
			}
			mu.Unlock()
		}
		mu.Lock()
		for _, p := range pending {
			go p.Produced(producer.Result{Offset: int64(p.size)})
		}
		mu.Unlock()
		q.closeInput()
	}()

	next := 0
	batch := make([]*slot, 0, 16)
	for {
		var complete bool
		batch, complete = q.takeReady(batch[:0])
		for _, s := range batch {
			if s.result.Offset != int64(next) {
				t.Fatalf("report %d carries record %d", next, s.result.Offset)
			}
			next++
		}
		q.release(len(batch))
		for range batch {
			flow.Release(1, 1)
		}
		if len(batch) == 0 {
			if complete {
				break
			}
			<-q.ready
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
// stops further pushes.
func TestQueue_Abandon(t *testing.T) {
	var q queue
	q.init()
	a, b := q.push(1, time.Time{}), q.push(1, time.Time{})
	q.fail(a, apierror.Detail(apierror.InvalidRecord, "bad"))
	q.abandon(apierror.New(apierror.Unconfirmed))
	b.Produced(producer.Result{Offset: 7}) // late
	got, complete := q.takeReady(make([]*slot, 0, 4))
	if len(got) != 2 || !complete || got[0].result.Err.Code() != 400 || got[1].result.Err.Code() != 50003 {
		t.Fatalf("ready = %d slots (complete %v), want the 400 then the 50003", len(got), complete)
	}
	if !got[1].abandoned {
		t.Errorf("the pending slot is not marked abandoned")
	}
	if q.push(1, time.Time{}) != nil {
		t.Errorf("push after abandon returned a slot")
	}
}
