package proxy

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// docs/configuration.md, "http": the in-flight bounds count bytes too. With
// Kafka holding every produce request, three streams of 256 KiB records
// make the proxy hold no more than http.maxInFlightBytesTotal (plus the one
// record a stream may take alone) and no stream more than its own byte
// bound, whatever the record bounds allow; the heap does not grow with what
// the clients try to send, and every record is reported 200 once Kafka
// answers.
func TestFlow_BytesBoundedWhileKafkaHeld(t *testing.T) {
	const (
		streams, perStream = 3, 24
		recordSize         = 256 << 10
		streamBytes        = 1 << 20
		totalBytes         = 2 << 20
		heapBound          = 24 << 20 // the clients try to send 18 MiB
	)
	broker, release := heldBroker(t, map[string]int32{"bytes": 1})
	defer release()
	cfg := testConfig(broker.Addr())
	cfg.HTTP.MaxInFlightBytesPerStream = streamBytes
	cfg.HTTP.MaxInFlightBytesTotal = totalBytes
	cfg.Producer.MaxMessageBytes = 1 << 20
	cfg.Producer.DeliveryTimeoutMs = 60000
	ts := startServerConfig(t, cfg, io.Discard)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	record := fmt.Sprintf(`{"value":{"type":"STRING","data":"%s"}}`, strings.Repeat("x", recordSize-40))
	var wg sync.WaitGroup
	results := make([][]report, streams)
	for s := range streams {
		sc := openStream(t, ts.url("c", "bytes"))
		wg.Go(func() {
			for range perStream {
				if _, err := io.WriteString(sc.w, record); err != nil {
					t.Errorf("stream %d: send: %v", s, err)
					return
				}
			}
			sc.closeSend()
		})
		wg.Go(func() { results[s] = sc.rest() })
	}

	// Wait until what the proxy holds stops growing: the bounds are reached.
	var held int64
	stable := 0
	for deadline := time.Now().Add(10 * time.Second); stable < 30 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		_, b := ts.producer.Flow().Held()
		if b == held && b > 0 {
			stable++
		} else {
			held, stable = b, 0
		}
	}
	records, bytes := ts.producer.Flow().Held()
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	growth := int64(during.HeapInuse) - int64(before.HeapInuse)
	t.Logf("while held: %d records, %d KiB in flight; heap in use grew by %d KiB", records, bytes>>10, growth>>10)
	if bytes == 0 || bytes > totalBytes+recordSize {
		t.Errorf("%d bytes in flight; bound %d (plus one record of %d)", bytes, totalBytes, recordSize)
	}
	if records >= streams*perStream {
		t.Errorf("all %d records in flight: the byte bounds held nothing back", records)
	}
	if growth > heapBound {
		t.Errorf("heap in use grew by %d bytes while Kafka was held; bound %d", growth, heapBound)
	}

	release()
	wg.Wait()
	for s, reports := range results {
		if len(reports) != perStream {
			t.Fatalf("stream %d: %d reports, want %d", s, len(reports), perStream)
		}
		for i, r := range reports {
			if r.ErrorCode != 200 {
				t.Fatalf("stream %d report %d: %v", s, i, r)
			}
		}
	}
	if r, b := ts.producer.Flow().Held(); r != 0 || b != 0 {
		t.Errorf("%d records, %d bytes in flight after every report, want 0", r, b)
	}
}
