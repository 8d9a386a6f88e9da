package proxy

import (
	"sync"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/producer"
)

// benchRecordBytes is the record size b.SetBytes charges per report, so a
// queue figure in MB/s reads against the benchmark program's default
// 200-byte records.
const benchRecordBytes = 200

// BenchmarkReportQueue_InOrder is the queue's own cost per record on one
// goroutine: reserve a slot, finish it, and take it out as the writer does,
// a batch at a time. No waiting is involved, so this is the floor of the
// ring's and its lock's cost per record.
func BenchmarkReportQueue_InOrder(b *testing.B) {
	const batch = 64
	q := newReportQueue(1024, func(s *slot, r producer.Result) { s.q.finish(s, r) })
	abort := make(chan struct{})
	ready := make([]*slot, 0, batch)
	b.SetBytes(benchRecordBytes)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s := q.reserve(abort)
		s.onProduced(producer.Result{Offset: int64(n)})
		n++
		if n%batch == 0 {
			var done []*slot
			done, _ = q.ready(ready[:0])
			if len(done) != batch {
				b.Fatalf("%d reports ready, want %d", len(done), batch)
			}
			q.release(len(done))
		}
	}
}

// BenchmarkReportQueue_ThreeGoroutines has the shape of a stream in
// service: the reader reserves slots (waiting when the ring is full), a
// producer goroutine completes them a batch at a time as kafka-go's
// Completion does, and the writer takes ready reports and checks their
// order. It includes the wake-ups between goroutines.
func BenchmarkReportQueue_ThreeGoroutines(b *testing.B) {
	const maxInFlight, kafkaBatch = 1024, 100
	q := newReportQueue(maxInFlight, func(s *slot, r producer.Result) { s.q.finish(s, r) })
	abort := make(chan struct{})
	toKafka := make(chan []*slot, maxInFlight/kafkaBatch+1)
	var wg sync.WaitGroup
	wg.Go(func() { // the producer's completion callbacks
		for batch := range toKafka {
			for _, s := range batch {
				s.onProduced(producer.Result{Offset: int64(s.index)})
			}
		}
	})
	writerErr := make(chan string, 1)
	wg.Go(func() { // the writer
		next := uint64(0)
		ready := make([]*slot, 0, 256)
		for {
			batch, complete := q.ready(ready[:0])
			for _, s := range batch {
				if uint64(s.result.Offset) != next {
					writerErr <- "reports out of order"
					q.release(len(batch))
					return
				}
				next++
			}
			q.release(len(batch))
			if len(batch) == 0 {
				if complete {
					return
				}
				<-q.wakeWriter
			}
		}
	})

	b.SetBytes(benchRecordBytes)
	b.ReportAllocs()
	pending := make([]*slot, 0, kafkaBatch)
	for b.Loop() {
		s := q.reserve(abort)
		if s == nil {
			b.Fatal("reserve returned nil")
		}
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
