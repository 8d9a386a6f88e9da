package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// BenchmarkStream measures one chunked stream of b.N ~200-byte records
// through the whole server and kfake, reports read back by the client. Its
// allocation count includes the client, the producer and kfake, all in this
// process; it is a baseline for profiling, not an assertion.
func BenchmarkStream(b *testing.B) {
	ts := startServer(b, nil)
	var rec bytes.Buffer
	fmt.Fprintf(&rec, `{"partition_id":%%d,"key":{"type":"BINARY","data":"a2V5"},"value":{"type":"BINARY","data":"%s"}}`, bytes.Repeat([]byte("QUJD"), 34))
	format := rec.String()
	b.ReportAllocs()
	b.ResetTimer()
	sc := openStream(b, ts.url("c", "stream10k"))
	go func() {
		var buf bytes.Buffer
		for i := range b.N {
			fmt.Fprintf(&buf, format, i%3)
			if buf.Len() > 32<<10 || i == b.N-1 {
				if _, err := sc.w.Write(buf.Bytes()); err != nil {
					return
				}
				buf.Reset()
			}
		}
		sc.closeSend()
	}()
	n := 0
	for {
		r, ok := sc.tryNext()
		if !ok {
			break
		}
		if r.ErrorCode != 200 {
			b.Fatalf("report %d: %v", n, r)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("%d reports, want %d", n, b.N)
	}
}

// BenchmarkSingleRecordPOST measures one-record requests on keep-alive
// connections, client and broker included.
func BenchmarkSingleRecordPOST(b *testing.B) {
	ts := startServer(b, nil)
	url := ts.url("c", "orders")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(url, "application/json", strings.NewReader(oneRecord))
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte(`{"error_code":200,`)) {
				b.Errorf("status %d body %s", resp.StatusCode, body)
				return
			}
		}
	})
}

// BenchmarkBatchPOST measures records:batch requests of 10 and of 100
// ~200-byte entries on 8 keep-alive connections, client and broker
// included; b.N counts entries.
func BenchmarkBatchPOST(b *testing.B) {
	for _, size := range []int{10, 100} {
		b.Run(fmt.Sprint(size), func(b *testing.B) { benchmarkBatch(b, size) })
	}
}

func benchmarkBatch(b *testing.B, size int) {
	ts := startServer(b, func(c *config.Config) { c.HTTP.MaxBatchEntries = size })
	url := ts.batchURL("c", "orders")
	var body bytes.Buffer
	body.WriteString(`{"entries":[`)
	for i := range size {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":"%03d","key":{"type":"STRING","data":"k%07d"},"value":{"type":"BINARY","data":"%s"}}`, i, i, bytes.Repeat([]byte("QUJD"), 34))
	}
	body.WriteString(`]}`)
	batch := body.Bytes()
	b.ReportAllocs()
	b.ResetTimer()
	var requests atomic.Int64
	requests.Store(int64(b.N+size-1) / int64(size))
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if requests.Add(-1) < 0 {
				continue
			}
			resp, err := http.Post(url, "application/json", bytes.NewReader(batch))
			if err != nil {
				b.Error(err)
				return
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 207 || !bytes.HasSuffix(raw, []byte(`"failures":[]}`)) {
				b.Errorf("status %d body %.300s", resp.StatusCode, raw)
				return
			}
		}
	})
}
