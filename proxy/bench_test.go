package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
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
