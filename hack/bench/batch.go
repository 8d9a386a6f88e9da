package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// batchOptions are the batch modes' flags.
type batchOptions struct {
	sizes   []int // entries per request, one mode each
	clients int
}

// parseSizes reads --batch-sizes, and raises the proxies' maxBatchEntries
// to the largest.
func (b *batchOptions) parseSizes(list string, proxy *config.Config) error {
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > config.MaxBatchEntriesLimit {
			return fmt.Errorf("--batch-sizes: %q is not a whole number from 1 to %d", s, config.MaxBatchEntriesLimit)
		}
		b.sizes = append(b.sizes, n)
		proxy.HTTP.MaxBatchEntries = max(proxy.HTTP.MaxBatchEntries, n)
	}
	return nil
}

// batchIDExtra is what an entry adds to a record: `{"id":"042",` where the
// record has `{`, so an entry is a record of entrySize-batchIDExtra bytes.
const batchIDExtra = len(`{"id":"000",`) - 1

// batchRequests builds the records:batch requests one batch mode sends:
// requests of size entries each, entries of entryBytes of JSON, taking the
// record set's keys in turn, as whole HTTP/1.1 requests with a
// Content-Length.
func batchRequests(t loadgen.Target, size, entryBytes int) ([][]byte, error) {
	if size < 1 || size > 1000 {
		return nil, fmt.Errorf("batch of %d entries: want 1 to 1000", size)
	}
	rs, err := newRecordSet(recordSetSize, entryBytes-batchIDExtra)
	if err != nil {
		return nil, fmt.Errorf("entries of %d bytes: %w", entryBytes, err)
	}
	// Enough distinct requests to use every key of the record set.
	n := max(1, len(rs.json)/size)
	var reqs [][]byte
	next := 0
	for range n {
		var body bytes.Buffer
		body.WriteString(`{"entries":[`)
		for i := range size {
			if i > 0 {
				body.WriteByte(',')
			}
			rec := rs.json[next%len(rs.json)]
			next++
			fmt.Fprintf(&body, `{"id":"%03d",`, i)
			body.Write(rec[1:])
		}
		body.WriteString("]}")
		head := "POST /v3/clusters/bench/topics/" + t.Topic + "/records:batch HTTP/1.1\r\nHost: " + t.Addr +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(body.Len()) + "\r\n\r\n"
		reqs = append(reqs, append([]byte(head), body.Bytes()...))
	}
	return reqs, nil
}

// postBatches runs clients keep-alive connections, each POSTing one batch
// request and reading its 207 before the next, until deadline. Each entry
// is a record: one answered in "successes" counts as ok, one in "failures"
// as failed.
func postBatches(t loadgen.Target, reqs [][]byte, size, clients int, deadline time.Time, tl *tally) {
	keepAliveClients(t, clients, deadline, tl, size, func(int) [][]byte { return reqs }, func(status int, body []byte) {
		if status != http.StatusMultiStatus {
			tl.reportN(size, fmt.Errorf("HTTP %d: %s", status, bytes.TrimSpace(body)))
			return
		}
		ok, failed, first := countBatchAnswer(body)
		if ok+failed != size {
			tl.reportN(size, fmt.Errorf("a batch of %d entries answered %d: %.200s", size, ok+failed, body))
			return
		}
		tl.reportN(ok, nil)
		if failed > 0 {
			tl.reportN(failed, fmt.Errorf("%s", first))
		}
	})
}

var (
	failuresMark = []byte(`],"failures":[`)
	entryMark    = []byte(`{"id":`)
)

// countBatchAnswer counts the success and failure entries of a 207 body,
// and returns the first failure entry.
func countBatchAnswer(body []byte) (ok, failed int, first []byte) {
	i := bytes.Index(body, failuresMark)
	if i < 0 {
		return 0, 0, nil
	}
	failures := body[i+len(failuresMark):]
	if j := bytes.Index(failures, entryMark); j >= 0 {
		first = failures[j:]
		if k := bytes.IndexByte(first, '}'); k >= 0 {
			first = first[:k+1]
		}
	}
	return bytes.Count(body[:i], entryMark), bytes.Count(failures, entryMark), first
}

// gzipChunk is the record set's stream chunk as one gzip member: members
// one after another are one gzip body, so a stream sends it again and
// again, and the load generator compresses nothing while it measures.
func gzipChunk(rs *recordSet) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(rs.stream); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pushGzipStreams is pushStreams with a gzip body: each chunk is the record
// set as one gzip member.
func pushGzipStreams(t loadgen.Target, rs *recordSet, chunk []byte, streams int, deadline time.Time, tl *tally) {
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			withStreamHeaders(t, "Content-Encoding: gzip\r\n", deadline, tl, tl.report, func(s *loadgen.Stream) {
				for first := true; first || time.Now().Before(deadline); first = false {
					if err := s.WriteChunk(chunk); err != nil {
						tl.fail(err)
						return
					}
					tl.sent.Add(int64(len(rs.json)))
				}
			})
		})
	}
	wg.Wait()
}
