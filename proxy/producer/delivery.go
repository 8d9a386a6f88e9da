package producer

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// Delivery states of a record. A record leaves statePending exactly once,
// which is what makes its Receiver run exactly once although kafka-go's
// completion and the delivery timeout race for it.
const (
	statePending int32 = iota
	stateDone          // reported by kafka-go's completion or a synchronous failure
	stateExpired       // reported 50003 by the delivery timeout; kafka-go still holds it
)

// delivery is one queued record: what kafka-go carries in Message.WriterData
// and hands back in Completion.
type delivery struct {
	want      int32 // the partition asked for, or -1 for the balancer's choice
	partition int32 // the partition the balancer chose
	size      int64 // the record's bytes, for the flow's bound
	deadline  time.Duration
	state     atomic.Int32
	to        Receiver
	origin    *Origin // nil: not traced
}

// topicPartition keys the per-partition queues of the delivery timeout.
type topicPartition struct {
	topic     string
	partition int32
}

// deadlines guarantees the delivery timeout whatever kafka-go does. kafka-go
// bounds one produce attempt (WriteTimeout) but not the time a batch waits
// behind a stuck batch of the same partition, so a hung broker could hold a
// record for MaxAttempts times the timeout, for every batch ahead of it.
//
// Records are kept in one FIFO per partition rather than one timer each:
// kafka-go sends a partition's batches one after another, so a queue's head
// is its oldest unacknowledged record, acknowledged records are trimmed from
// the head as batches complete, and a sweep only looks at heads. A stuck
// partition holds back only its own queue.
type deadlines struct {
	timeout time.Duration
	start   time.Time // deadlines are offsets from start, on the monotonic clock

	mu     sync.Mutex
	queues map[topicPartition]*fifo
}

func newDeadlines(timeout time.Duration) *deadlines {
	return &deadlines{timeout: timeout, start: time.Now(), queues: map[topicPartition]*fifo{}}
}

// stamp sets d's deadline to one delivery timeout from now.
func (dl *deadlines) stamp(d *delivery) { d.deadline = time.Since(dl.start) + dl.timeout }

// add starts watching d, which kafka-go has queued for tp.
func (dl *deadlines) add(tp topicPartition, d *delivery) {
	dl.mu.Lock()
	dl.queueLocked(tp).push(d)
	dl.mu.Unlock()
}

func (dl *deadlines) queueLocked(tp topicPartition) *fifo {
	q := dl.queues[tp]
	if q == nil {
		q = &fifo{}
		dl.queues[tp] = q
	}
	return q
}

// addAll starts watching the deliveries of msgs, which kafka-go has queued,
// under one lock; the balancer noted each one's partition.
func (dl *deadlines) addAll(topic string, msgs []kafka.Message) {
	dl.mu.Lock()
	var tp topicPartition
	var q *fifo
	for i := range msgs {
		d := msgs[i].WriterData.(*delivery)
		if next := (topicPartition{topic, d.partition}); q == nil || next != tp {
			tp, q = next, dl.queueLocked(next)
		}
		q.push(d)
	}
	dl.mu.Unlock()
}

// trim drops the acknowledged records at the head of tp's queue; Completion
// calls it once per batch, so memory stays at the records in flight.
func (dl *deadlines) trim(tp topicPartition) {
	dl.mu.Lock()
	if q := dl.queues[tp]; q != nil {
		for q.len() > 0 && q.front().state.Load() != statePending {
			q.pop()
		}
	}
	dl.mu.Unlock()
}

// expired removes and returns the records whose deadline has passed, and
// forgets queues that have emptied.
func (dl *deadlines) expired() []*delivery {
	now := time.Since(dl.start)
	var out []*delivery
	dl.mu.Lock()
	for tp, q := range dl.queues {
		for q.len() > 0 {
			d := q.front()
			if d.state.Load() == statePending {
				if d.deadline > now {
					break
				}
				out = append(out, d)
			}
			q.pop()
		}
		if q.len() == 0 {
			delete(dl.queues, tp)
		}
	}
	dl.mu.Unlock()
	return out
}

// sweepInterval is how late past its deadline a record may be reported: a
// twentieth of the timeout, within sensible bounds.
func sweepInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/20, 5*time.Millisecond), 250*time.Millisecond)
}

// fifo is a slice queue that reuses its array once drained.
type fifo struct {
	items []*delivery
	head  int
}

func (q *fifo) len() int         { return len(q.items) - q.head }
func (q *fifo) front() *delivery { return q.items[q.head] }
func (q *fifo) push(d *delivery) { q.items = append(q.items, d) }
func (q *fifo) pop() {
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
