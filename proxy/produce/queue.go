package produce

import (
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// queue puts one stream's reports back in input order. It is a ring of
// slots: the intake pushes a slot at the tail for each record it reads, the
// producer's callback (or the intake itself, for a record refused before
// Kafka) marks it done, and the report loop takes done slots from the head.
// Its length is bounded by the stream's flow bound, which the intake takes
// before every push; the ring grows by doubling to what the stream needs,
// so a one-record request allocates one slot. Slots and their callbacks are
// reused from record to record.
type queue struct {
	mu          sync.Mutex
	slots       []*slot // ring; a slot keeps its address when the ring grows
	head, tail  uint64  // head: next report to write; tail: next slot to fill
	inputClosed bool    // the intake will push no more slots
	// orphaned, once the report loop has stopped for good, gives back the
	// room of each slot left as its result arrives.
	orphaned func(records, bytes int)

	ready chan struct{} // the head slot became done, or input closed

	first     slot     // the ring's first slot
	firstRing [1]*slot // the ring before it grows
}

// slot is one record's place in the queue. The intake owns it from push
// until it submits the record or fails it; the report loop reads it after
// seeing done under the lock.
type slot struct {
	q     *queue
	index uint64

	// key and value are what the success report says of the record's.
	key, value record.Summary
	readAt     time.Time
	size       int // the record's JSON bytes, its room in the flow bounds

	done      bool
	abandoned bool // the report loop gave up waiting; a late result is dropped
	result    producer.Result
}

// Produced is the producer's answer for the slot's record.
func (s *slot) Produced(r producer.Result) { s.q.finish(s, r) }

// init prepares the queue with the one slot that most requests need, held
// in the queue itself.
func (q *queue) init() {
	q.ready = make(chan struct{}, 1)
	q.first = slot{q: q}
	q.firstRing[0] = &q.first
	q.slots = q.firstRing[:]
}

func (q *queue) newSlot() *slot { return &slot{q: q} }

// push returns the slot for the next record, read at readAt, or nil once
// the report loop abandoned the stream.
func (q *queue) push(size int, readAt time.Time) *slot {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.inputClosed {
		return nil
	}
	if q.tail-q.head >= uint64(len(q.slots)) {
		q.growLocked()
	}
	s := q.slots[q.tail%uint64(len(q.slots))]
	s.index = q.tail
	s.done, s.abandoned, s.result = false, false, producer.Result{}
	s.size, s.readAt = size, readAt
	q.tail++
	return s
}

// growLocked doubles a full ring. The slots in use keep their order from
// head to tail at their new positions.
func (q *queue) growLocked() {
	grown := make([]*slot, 2*len(q.slots))
	for i := q.head; i < q.tail; i++ {
		grown[i%uint64(len(grown))] = q.slots[i%uint64(len(q.slots))]
	}
	for i := range grown {
		if grown[i] == nil {
			grown[i] = q.newSlot()
		}
	}
	q.slots = grown
}

// finish records a slot's result. It is called once per slot, by the
// intake or by the producer, and never blocks; a second result for a slot
// (abandoned, or after a recovered panic) is dropped.
func (q *queue) finish(s *slot, r producer.Result) {
	q.mu.Lock()
	if s.done {
		q.mu.Unlock()
		return
	}
	s.result = r
	s.done = true
	atHead := s.index == q.head
	orphaned := q.orphaned
	q.mu.Unlock()
	if orphaned != nil {
		orphaned(1, s.size)
	} else if atHead {
		signal(q.ready)
	}
}

// orphan is called once no report will be written any more (the client
// went away) and the intake has stopped: the room of every slot left is
// given back to release, at once for those whose result is in, and as the
// result arrives for those Kafka still holds.
func (q *queue) orphan(release func(records, bytes int)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inputClosed = true
	q.orphaned = release
	for i := q.head; i < q.tail; i++ {
		if s := q.slots[i%uint64(len(q.slots))]; s.done {
			release(1, s.size)
		}
	}
}

// fail finishes a slot with an error report.
func (q *queue) fail(s *slot, e *apierror.Error) {
	q.finish(s, producer.Result{Err: e})
}

// closeInput tells the report loop that no slot follows the ones pushed.
func (q *queue) closeInput() {
	q.mu.Lock()
	q.inputClosed = true
	q.mu.Unlock()
	signal(q.ready)
}

// takeReady appends the slots, from the head, whose reports can be written
// now, up to dst's capacity, and reports whether the stream is complete once
// they are.
func (q *queue) takeReady(dst []*slot) (_ []*slot, complete bool) {
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
func (q *queue) release(n int) {
	q.mu.Lock()
	q.head += uint64(n)
	q.mu.Unlock()
}

// pending returns how many pushed slots have no report written yet.
func (q *queue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int(q.tail - q.head)
}

// abandon finishes every slot still waiting for Kafka with e, so the stream
// can end; the results that arrive later are dropped. Used when the grace
// period or the shutdown drain runs out. No slot is pushed after it, so an
// abandoned slot is never reused while Kafka may still answer for it.
func (q *queue) abandon(e *apierror.Error) {
	q.mu.Lock()
	q.inputClosed = true
	for i := q.head; i < q.tail; i++ {
		s := q.slots[i%uint64(len(q.slots))]
		if !s.done {
			s.done, s.abandoned = true, true
			s.result = producer.Result{Err: e}
		}
	}
	q.mu.Unlock()
	signal(q.ready)
}

// wake wakes the report loop without a report being ready: it has a
// deadline to start.
func (q *queue) wake() { signal(q.ready) }

// signal wakes the goroutine waiting on c, if any, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
