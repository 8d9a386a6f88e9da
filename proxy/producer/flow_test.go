package producer

import (
	"testing"
	"time"
)

// A stream takes room per record and gives it back per report; at a bound
// TryAcquire fails and Acquire waits until room is given back, in the
// order the streams came.
func TestFlow_BoundsAndOrder(t *testing.T) {
	f := NewFlow(2, 1<<20, 3, 1<<20)
	a, b, c := f.Stream(), f.Stream(), f.Stream()
	if !a.TryAcquire(10) || !a.TryAcquire(10) {
		t.Fatal("a stream's first two records did not fit")
	}
	if a.TryAcquire(10) {
		t.Fatal("a third record fit a stream bound of 2")
	}
	if !b.TryAcquire(10) || b.TryAcquire(10) {
		t.Fatal("the process bound of 3 did not hold")
	}
	order := make(chan string, 2)
	wait := func(name string, s *StreamFlow, waiters int32) {
		go func() {
			if s.Acquire(10, nil) {
				order <- name
			}
		}()
		waitUntil(t, func() bool { return f.waiting.Load() == waiters })
	}
	wait("b", b, 1)
	wait("c", c, 2) // queued after b
	if r, bytes := f.Held(); r != 3 || bytes != 30 {
		t.Fatalf("held %d records, %d bytes; want 3 and 30", r, bytes)
	}
	a.Release(1, 10)
	if got := <-order; got != "b" {
		t.Fatalf("first granted: %s, want b, which waited first", got)
	}
	a.Release(1, 10)
	if got := <-order; got != "c" {
		t.Fatalf("second granted: %s, want c", got)
	}
}

// A record larger than the byte bound gets in when nothing else is held,
// and an aborted wait holds nothing.
func TestFlow_OversizedRecordAndAbort(t *testing.T) {
	f := NewFlow(10, 100, 10, 100)
	s := f.Stream()
	if !s.TryAcquire(500) {
		t.Fatal("a record above the byte bound did not get in alone")
	}
	abort := make(chan struct{})
	done := make(chan bool)
	go func() { done <- s.Acquire(10, abort) }()
	close(abort)
	if <-done {
		t.Fatal("an aborted Acquire reported room")
	}
	s.Release(1, 500)
	if r, b := f.Held(); r != 0 || b != 0 {
		t.Fatalf("held %d records, %d bytes after release and abort; want 0", r, b)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A batch takes the room of all its records at once in the process's
// bounds: it waits while they are full, behind the streams that waited
// first; a batch larger than the bounds gets in alone; an aborted wait
// holds nothing.
func TestFlow_Batch(t *testing.T) {
	f := NewFlow(10, 1<<20, 5, 1<<20)
	s := f.Stream()
	if !s.TryAcquire(10) || !s.TryAcquire(10) {
		t.Fatal("a stream's records did not fit")
	}
	got := make(chan bool, 1)
	go func() { got <- f.TakeBatch(4, 40, nil) }() // 2 + 4 > 5: waits
	waitUntil(t, func() bool { return f.waiting.Load() == 1 })
	s.Release(1, 10)
	if !<-got {
		t.Fatal("the batch did not get its room once the stream gave one back")
	}
	if r, b := f.Held(); r != 5 || b != 50 {
		t.Fatalf("held %d records, %d bytes; want 5, 50", r, b)
	}
	f.GiveBatch(4, 40)
	s.Release(1, 10)
	if !f.TakeBatch(1000, 1<<30, nil) {
		t.Fatal("a batch above the bounds did not get in alone")
	}
	abort := make(chan struct{})
	go func() { got <- f.TakeBatch(1, 1, abort) }()
	waitUntil(t, func() bool { return f.waiting.Load() == 1 })
	close(abort)
	if <-got {
		t.Fatal("an aborted TakeBatch reported room")
	}
	f.GiveBatch(1000, 1<<30)
	if r, b := f.Held(); r != 0 || b != 0 {
		t.Fatalf("held %d records, %d bytes; want 0", r, b)
	}
}
