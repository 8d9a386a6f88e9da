package proxy

import (
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// reportQueue puts one stream's reports back in input order. It is a ring of
// slots: the reader fills the slot at the tail for each record it reads, the
// producer's callback (or the reader itself, for a record refused before
// Kafka) marks it done, and the writer takes done slots from the head. The
// ring grows by doubling up to http.maxInFlightPerStream: when it is full at
// that size the reader waits, which stops it reading the socket, which is
// the back-pressure the client feels. A one-record request allocates one
// slot, a long stream its maximum once; slots and their callbacks are
// reused from record to record.
type reportQueue struct {
	slots      []*slot // ring; a slot keeps its address when the ring grows
	max        int
	onProduced func(*slot, producer.Result)

	mu          sync.Mutex
	head, tail  uint64 // head: next report to write; tail: next slot to fill
	inputClosed bool   // the reader will add no more slots

	wakeWriter chan struct{} // the head slot became done, or input closed
	wakeReader chan struct{} // the writer freed slots
}

// slot is one record's place in the queue. The reader owns it from reserve
// until it hands the record to Kafka or calls finish; the writer reads it
// after seeing done under the lock.
type slot struct {
	q     *reportQueue
	index uint64

	rec    record.Record // kept for the report's key and value types and sizes
	readAt time.Time
	size   int

	done      bool
	abandoned bool // the writer gave up waiting; a late result is dropped
	result    producer.Result

	// onProduced is the producer callback, built once per slot so that
	// producing a record allocates no closure.
	onProduced func(producer.Result)
}

// initialSlots is the ring's size at the start of a stream: one, because
// most requests carry one record, and a slot with its callback is the
// largest allocation of such a request; a stream doubles it in a few
// records.
const initialSlots = 1

func newReportQueue(max int, onProduced func(*slot, producer.Result)) *reportQueue {
	q := &reportQueue{
		max:        max,
		onProduced: onProduced,
		wakeWriter: make(chan struct{}, 1),
		wakeReader: make(chan struct{}, 1),
	}
	q.slots = make([]*slot, min(initialSlots, max))
	for i := range q.slots {
		q.slots[i] = q.newSlot()
	}
	return q
}

func (q *reportQueue) newSlot() *slot {
	s := &slot{q: q}
	s.onProduced = func(r producer.Result) { q.onProduced(s, r) }
	return s
}

// growLocked doubles a full ring, up to max. The slots in use keep their
// order from head to tail at their new positions.
func (q *reportQueue) growLocked() bool {
	if len(q.slots) >= q.max {
		return false
	}
	grown := make([]*slot, min(2*len(q.slots), q.max))
	for i := q.head; i < q.tail; i++ {
		grown[i%uint64(len(grown))] = q.slots[i%uint64(len(q.slots))]
	}
	for i := range grown {
		if grown[i] == nil {
			grown[i] = q.newSlot()
		}
	}
	q.slots = grown
	return true
}

// reserve returns the slot for the next record, waiting while the ring is
// full; it returns nil if abort is closed first or the writer abandoned the
// stream.
func (q *reportQueue) reserve(abort <-chan struct{}) *slot {
	for {
		s, wait := q.tryReserve()
		if !wait {
			return s
		}
		select {
		case <-q.wakeReader:
		case <-abort:
			return nil
		}
	}
}

// tryReserve is reserve without waiting: wait is true when the ring is full.
func (q *reportQueue) tryReserve() (s *slot, wait bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inputClosed {
		return nil, false
	}
	if q.tail-q.head >= uint64(len(q.slots)) && !q.growLocked() {
		return nil, true
	}
	s = q.slots[q.tail%uint64(len(q.slots))]
	s.index = q.tail
	s.done, s.abandoned, s.result = false, false, producer.Result{}
	q.tail++
	return s, false
}

// finish records a slot's result. It is called once per slot, from the
// reader or from the producer's writer goroutine, and never blocks; a
// second result for a slot (abandoned, or after a recovered panic) is
// dropped.
func (q *reportQueue) finish(s *slot, r producer.Result) {
	q.mu.Lock()
	if s.done {
		q.mu.Unlock()
		return
	}
	s.result = r
	s.done = true
	atHead := s.index == q.head
	q.mu.Unlock()
	if atHead {
		signal(q.wakeWriter)
	}
}

// fail finishes a slot with an error report.
func (q *reportQueue) fail(s *slot, e *record.Error) {
	q.finish(s, producer.Result{Err: e})
}

// closeInput tells the writer that no slot will follow the ones reserved.
func (q *reportQueue) closeInput() {
	q.mu.Lock()
	q.inputClosed = true
	q.mu.Unlock()
	signal(q.wakeWriter)
}

// ready returns the slots, from the head, whose reports can be written now,
// and whether the stream is complete once they are.
func (q *reportQueue) ready(dst []*slot) (_ []*slot, complete bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := q.head; i < q.tail && len(dst) < cap(dst); i++ {
		s := q.slots[i%uint64(len(q.slots))]
		if !s.done {
			break
		}
		dst = append(dst, s)
	}
	return dst, q.inputClosed && q.head+uint64(len(dst)) == q.tail
}

// release frees n slots at the head once their reports are written.
func (q *reportQueue) release(n int) {
	q.mu.Lock()
	q.head += uint64(n)
	q.mu.Unlock()
	signal(q.wakeReader)
}

// pending returns how many reserved slots have no report written yet.
func (q *reportQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int(q.tail - q.head)
}

// abandon finishes every slot still waiting for Kafka with e, so the stream
// can end; the results that arrive later are dropped. Used when the grace
// period or the shutdown drain runs out. No slot is reserved after it, so an
// abandoned slot is never reused while Kafka may still answer for it.
func (q *reportQueue) abandon(e *record.Error) int {
	q.mu.Lock()
	q.inputClosed = true
	n := 0
	for i := q.head; i < q.tail; i++ {
		s := q.slots[i%uint64(len(q.slots))]
		if !s.done {
			s.done, s.abandoned = true, true
			s.result = producer.Result{Err: e}
			n++
		}
	}
	q.mu.Unlock()
	signal(q.wakeWriter)
	signal(q.wakeReader)
	return n
}

// signal wakes the goroutine waiting on c, if any, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
