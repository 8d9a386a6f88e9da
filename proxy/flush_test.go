package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// writeCounter counts the writes to the sockets of the connections a
// listener accepts: the flushes of the reports.
type writeCounter struct {
	net.Listener
	writes, largest atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l *writeCounter
}

func (c *countedConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	for n := int64(len(p)); ; {
		old := c.l.largest.Load()
		if n <= old || c.l.largest.CompareAndSwap(old, n) {
			break
		}
	}
	return c.Conn.Write(p)
}

// docs/produce-api.md, "Response: delivery reports" (flushing): under load
// the reports are written together, about 32 KiB at a time, not one
// socket write per report; and a report is flushed as soon as no further
// report is ready, so a client waiting for it gets it while its body is
// still open.
func TestProduce_FlushPolicy_CoalescedUnderLoadImmediateWhenIdle(t *testing.T) {
	t.Parallel()
	const n = 20000
	var counter *writeCounter
	ts := startServerWrapped(t, testConfig(testBroker.Addr()), io.Discard, func(l net.Listener) net.Listener {
		counter = &writeCounter{Listener: l}
		return counter
	})
	sc := openStream(t, ts.url("c", "stream10k"))
	go func() {
		var buf bytes.Buffer
		for i := range n {
			fmt.Fprintf(&buf, `{"partition_id":%d,"value":{"type":"STRING","data":"v%d"}}`+"\n", i%3, i)
			if buf.Len() > 16<<10 || i == n-1 {
				if _, err := sc.w.Write(buf.Bytes()); err != nil {
					return
				}
				buf.Reset()
			}
		}
	}()
	longest := 0
	for i := range n {
		r := sc.next()
		if r.ErrorCode != 200 {
			t.Fatalf("report %d under load: %v", i, r)
		}
		longest = max(longest, len(r.raw)+2)
	}
	writes := counter.writes.Load()
	t.Logf("%d reports under load in %d socket writes, the largest %d bytes", n, writes, counter.largest.Load())
	if writes > n/20 {
		t.Errorf("%d reports took %d socket writes: reports under load are not written together", n, writes)
	}
	// The report loop writes once it holds 32 KiB, after adding the ready
	// reports it took, 64 at most; then there is the chunk framing.
	if largest, bound := counter.largest.Load(), int64(32<<10+64*longest+32); largest > bound {
		t.Errorf("a socket write of %d bytes, above %d: reports were held beyond the 32 KiB buffer", largest, bound)
	}

	for i := range 5 { // idle now: each report is flushed on its own
		before := counter.writes.Load()
		sc.send(`{"value":{"type":"STRING","data":"alone"}}`)
		if r := sc.next(); r.ErrorCode != 200 {
			t.Fatalf("record %d sent alone: %v", i, r)
		}
		if w := counter.writes.Load() - before; w != 1 {
			t.Errorf("record %d sent alone: its report took %d socket writes, want 1", i, w)
		}
	}
	sc.closeSend()
	if rest := sc.rest(); len(rest) != 0 {
		t.Errorf("extra reports: %v", rest)
	}
}
