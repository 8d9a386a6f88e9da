package producer

import (
	"sync"
	"sync/atomic"
)

// Flow bounds the records the proxy holds, by count and by bytes, for each
// stream and for the whole process, as franz-go's MaxBufferedRecords and
// MaxBufferedBytes bound a client. A record holds its room from the moment a
// stream reads it until its report is written; a record that Kafka still
// holds after its delivery timeout reported it keeps its room in the
// process's bound until kafka-go lets go of it. A stream that finds no room
// waits, which stops it reading its socket: that is the back-pressure a
// client feels, and what keeps memory bounded whatever clients send and
// however slowly Kafka answers.
//
// The bounds are http.maxInFlightPerStream, http.maxInFlightBytesPerStream,
// http.maxInFlightTotal and http.maxInFlightBytesTotal
// (docs/configuration.md).
type Flow struct {
	room
	// waiters are the streams waiting for room in the process's bounds,
	// in the order they came; waiting counts them for the fast paths.
	mu      sync.Mutex
	waiters []*flowWaiter

	perStreamRecords, perStreamBytes int64
}

// room counts what is held against a bound. A record larger than the
// bytes bound alone is let in when nothing else is held, so it never waits
// for ever.
type room struct {
	maxRecords, maxBytes int64
	records, bytes       atomic.Int64
	waiting              atomic.Int32
	peak                 atomic.Int64 // the most records ever held
}

func (r *room) tryTake(size int64) bool { return r.tryTakeN(1, size) }

// tryTakeN takes room for records records of size bytes in all, at once.
// Like a single record larger than the bounds, a group larger than them is
// let in when nothing else is held.
func (r *room) tryTakeN(records, size int64) bool {
	n := r.records.Add(records)
	b := r.bytes.Add(size)
	if n > records && (n > r.maxRecords || b > r.maxBytes) {
		r.records.Add(-records)
		r.bytes.Add(-size)
		return false
	}
	for p := r.peak.Load(); n > p && !r.peak.CompareAndSwap(p, n); p = r.peak.Load() {
	}
	return true
}

func (r *room) give(size int64) { r.giveN(1, size) }

func (r *room) giveN(records, bytes int64) {
	r.records.Add(-records)
	r.bytes.Add(-bytes)
}

// NewFlow returns the bounds of one process.
func NewFlow(perStreamRecords, perStreamBytes, totalRecords, totalBytes int64) *Flow {
	return &Flow{
		room:             room{maxRecords: totalRecords, maxBytes: totalBytes},
		perStreamRecords: perStreamRecords,
		perStreamBytes:   perStreamBytes,
	}
}

// Held returns the records and bytes the process holds now.
func (f *Flow) Held() (records, bytes int64) { return f.records.Load(), f.bytes.Load() }

// Peak returns the most records the process ever held at once.
func (f *Flow) Peak() int64 { return f.peak.Load() }

// Stream returns the bounds of one new stream.
func (f *Flow) Stream() *StreamFlow {
	s := new(StreamFlow)
	f.Join(s)
	return s
}

// Join makes s, not yet used, the bounds of one new stream: for a caller
// that holds the StreamFlow in a struct of its own.
func (f *Flow) Join(s *StreamFlow) {
	s.process = f
	s.maxRecords, s.maxBytes = f.perStreamRecords, f.perStreamBytes
	s.freed = make(chan struct{}, 1)
}

func (f *Flow) take(size int64, abort <-chan struct{}) bool { return f.takeN(1, size, abort) }

// TakeBatch takes room in the process's bounds for the records records of
// a batch request, of size bytes in all, waiting behind the streams that
// wait already; it returns false, holding nothing, if abort is closed
// first. A batch has no per-stream bounds: it holds its records together
// until each has its result, and gives them back with GiveBatch.
func (f *Flow) TakeBatch(records, size int64, abort <-chan struct{}) bool {
	return f.takeN(records, size, abort)
}

// TryTakeBatch is TakeBatch when there is room now, without waiting.
func (f *Flow) TryTakeBatch(records, size int64) bool {
	return f.waiting.Load() == 0 && f.tryTakeN(records, size)
}

// GiveBatch gives back room that TakeBatch took.
func (f *Flow) GiveBatch(records, size int64) { f.giveN(records, size) }

func (f *Flow) takeN(records, size int64, abort <-chan struct{}) bool {
	if f.waiting.Load() == 0 && f.tryTakeN(records, size) {
		return true
	}
	f.grantWaiters() // a failed try backed off: a waiter may fit now
	w := &flowWaiter{records: records, size: size, granted: make(chan struct{})}
	f.mu.Lock()
	f.waiters = append(f.waiters, w)
	f.waiting.Add(1)
	f.grantLocked() // room given back before the waiter was queued
	f.mu.Unlock()
	select {
	case <-w.granted:
		return true
	case <-abort:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-w.granted: // granted meanwhile: give it back
		f.room.giveN(records, size)
		f.grantLocked()
	default:
		f.removeLocked(w)
	}
	return false
}

// grantWaiters grants room to waiters that fit now, if any wait: a try
// that failed and backed off may have made another waiter's try fail.
func (f *Flow) grantWaiters() {
	if f.waiting.Load() > 0 {
		f.mu.Lock()
		f.grantLocked()
		f.mu.Unlock()
	}
}

// flowWaiter is a stream waiting for room in the process's bounds.
type flowWaiter struct {
	records int64
	size    int64
	granted chan struct{}
}

// grantLocked hands room to the waiters in the order they came, while the
// first of them fits: one record given back wakes one stream, not all.
func (f *Flow) grantLocked() {
	for len(f.waiters) > 0 && f.tryTakeN(f.waiters[0].records, f.waiters[0].size) {
		close(f.waiters[0].granted)
		f.waiters[0] = nil
		f.waiters = f.waiters[1:]
		f.waiting.Add(-1)
	}
}

func (f *Flow) removeLocked(w *flowWaiter) {
	for i, x := range f.waiters {
		if x == w {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			f.waiting.Add(-1)
			f.grantLocked() // the next in line may fit now
			return
		}
	}
}

// hold counts a record the producer keeps after it was reported.
func (f *Flow) hold(size int64) {
	f.records.Add(1)
	f.bytes.Add(size)
}

// give returns a record's room in the process's bound.
func (f *Flow) give(size int64) { f.giveN(1, size) }

// giveN returns the room of records records of bytes bytes in all.
func (f *Flow) giveN(records, bytes int64) {
	f.room.giveN(records, bytes)
	if f.waiting.Load() > 0 {
		f.mu.Lock()
		f.grantLocked()
		f.mu.Unlock()
	}
}

// StreamFlow is one stream's bounds, inside its process's. Acquire is
// called by the goroutine that reads the stream, Release by the one that
// writes its reports.
type StreamFlow struct {
	process *Flow
	room
	freed chan struct{} // signalled by Release while Acquire waits
}

// TryAcquire takes room for one record of size bytes if there is room now.
func (s *StreamFlow) TryAcquire(size int) bool {
	n := int64(size)
	if !s.tryTake(n) {
		return false
	}
	// Streams already waiting for the process's bounds go first.
	if s.process.waiting.Load() > 0 || !s.process.tryTake(n) {
		s.room.give(n)
		s.process.grantWaiters() // a failed try backed off: a waiter may fit now
		return false
	}
	return true
}

// Acquire takes room for one record of size bytes, waiting while the
// stream or the process is full. It returns false, holding nothing, if abort
// is closed first.
func (s *StreamFlow) Acquire(size int, abort <-chan struct{}) bool {
	n := int64(size)
	for !s.tryTake(n) {
		s.waiting.Store(1)
		if s.tryTake(n) {
			s.waiting.Store(0)
			break
		}
		select {
		case <-s.freed:
		case <-abort:
			s.waiting.Store(0)
			return false
		}
		s.waiting.Store(0)
	}
	if !s.process.take(n, abort) {
		s.room.give(n)
		return false
	}
	return true
}

// Release gives back the room of records records of bytes bytes in all,
// once their reports are written.
func (s *StreamFlow) Release(records, bytes int) {
	s.room.giveN(int64(records), int64(bytes))
	s.process.giveN(int64(records), int64(bytes))
	if s.waiting.Load() != 0 {
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}
}
