package produce

import (
	"sync"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// benchRecordBytes is the record size b.SetBytes charges per report, so a
// queue figure in MB/s reads against the benchmark program's default
// 200-byte records.
const benchRecordBytes = 200

// BenchmarkQueue_InOrder is the queue's own cost per record on one
// goroutine: take flow room and push a slot, finish it, and take it out and
// release its room as the report loop does, a batch at a time. No waiting is
// involved, so this is the floor of the ring's, the flow's and their
// locks' cost per record.
func BenchmarkQueue_InOrder(b *testing.B) {
	const batch = 64
	var q queue
	q.init()
	flow := producer.NewFlow(1024, 1<<30, 1<<20, 1<<30).Stream()
	ready := make([]*slot, 0, batch)
	b.SetBytes(benchRecordBytes)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if !flow.TryAcquire(benchRecordBytes) {
			b.Fatal("no flow room")
		}
		s := q.push(benchRecordBytes, time.Time{})
		s.Produced(producer.Result{Offset: int64(n)})
		n++
		if n%batch == 0 {
			var done []*slot
			done, _ = q.takeReady(ready[:0])
			if len(done) != batch {
				b.Fatalf("%d reports ready, want %d", len(done), batch)
			}
			q.release(len(done))
			for _, s := range done {
				flow.Release(1, s.size)
			}
		}
	}
}

// BenchmarkQueue_ThreeGoroutines has the shape of a stream in
// service: the intake takes flow room and pushes slots (waiting when the
// stream's bound is reached), a producer goroutine completes them a batch at
// a time as kafka-go's Completion does, and the report loop takes ready
// reports, checks their order and releases their room. It includes the
// wake-ups between goroutines.
func BenchmarkQueue_ThreeGoroutines(b *testing.B) {
	const maxInFlight, kafkaBatch = 1024, 100
	var q queue
	q.init()
	flow := producer.NewFlow(maxInFlight, 1<<30, 1<<20, 1<<30).Stream()
	abort := make(chan struct{})
	toKafka := make(chan []*slot, maxInFlight/kafkaBatch+1)
	var wg sync.WaitGroup
	wg.Go(func() { // the producer's completion callbacks
		for batch := range toKafka {
			for _, s := range batch {
				s.Produced(producer.Result{Offset: int64(s.index)})
			}
		}
	})
	writerErr := make(chan string, 1)
	wg.Go(func() { // the writer
		next := uint64(0)
		ready := make([]*slot, 0, 256)
		for {
			batch, complete := q.takeReady(ready[:0])
			for _, s := range batch {
				if uint64(s.result.Offset) != next {
					writerErr <- "reports out of order"
					q.release(len(batch))
					return
				}
				next++
			}
			q.release(len(batch))
			for _, s := range batch {
				flow.Release(1, s.size)
			}
			if len(batch) == 0 {
				if complete {
					return
				}
				<-q.ready
			}
		}
	})

	b.SetBytes(benchRecordBytes)
	b.ReportAllocs()
	pending := make([]*slot, 0, kafkaBatch)
	for b.Loop() {
		if !flow.Acquire(benchRecordBytes, abort) {
			b.Fatal("acquire failed")
		}
		s := q.push(benchRecordBytes, time.Time{})
		pending = append(pending, s)
		if len(pending) == kafkaBatch {
			toKafka <- pending
			pending = make([]*slot, 0, kafkaBatch)
		}
	}
	toKafka <- pending
	close(toKafka)
	q.closeInput()
	wg.Wait()
	select {
	case msg := <-writerErr:
		b.Fatal(msg)
	default:
	}
}
