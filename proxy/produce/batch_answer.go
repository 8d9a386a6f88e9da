package produce

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
	"github.com/restproxy-dev/restproxy-operator/proxy/record"
)

// batchGrace is how long after the delivery timeout a batch still waits
// for results: the producer reports 50003 at the delivery timeout itself,
// so this only bounds a batch should that report be lost.
const batchGrace = time.Second

// await waits until every submitted entry is settled, or the delivery
// timeout (with a grace) or the shutdown drain runs out, or the client
// goes away; then no result is taken any more.
func (b *Batch) await(w *batchWaiter) {
	timeout := time.NewTimer(b.pl.settings.DeliveryTimeout + batchGrace)
	defer timeout.Stop()
	stopping := b.stopping
	var drain <-chan time.Time
	for {
		select {
		case <-w.done:
		case <-timeout.C:
		case <-drain:
		case <-b.req.Context().Done():
		case <-stopping:
			stopping = nil
			drain = time.After(b.pl.settings.Drain)
			continue
		}
		break
	}
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// answer writes the 207: the successes and the failures, each in request
// order, an entry not settled in time failing 50003.
func (b *Batch) answer(t *Target, entries []batchEntry) {
	pl := b.pl
	now := time.Now()
	buf := make([]byte, 0, 64+len(entries)*160)
	buf = append(buf, `{"successes":[`...)
	first := true
	var successes int
	for i := range entries {
		e := &entries[i]
		if e.err == nil && !e.settled {
			e.err = apierror.New(apierror.Unconfirmed)
		}
		if e.err == nil && e.result.Err != nil {
			e.err = e.result.Err
		}
		if e.err != nil {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		successes++
		buf = record.AppendSuccessEntry(buf, e.id, &record.Success{
			ClusterID: t.ClusterID,
			Topic:     t.Topic,
			Partition: e.result.Partition,
			Offset:    e.result.Offset,
			Timestamp: e.result.Timestamp,
			Key:       e.key,
			Value:     e.value,
		})
		pl.metrics.Report(apierror.Success, now.Sub(e.readAt))
	}
	buf = append(buf, `],"failures":[`...)
	first = true
	for i := range entries {
		e := &entries[i]
		if e.err == nil {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = record.AppendFailureEntry(buf, e.id, e.err)
		pl.metrics.Report(e.err.Kind, now.Sub(e.readAt))
	}
	buf = append(buf, "]}"...)
	b.write(buf)
	b.log(t, len(entries), successes)
}

// write sends the answer, gzipped when http.compressResponses is on and the
// client accepts gzip.
func (b *Batch) write(body []byte) {
	h := b.w.Header()
	h.Set("Content-Type", "application/json")
	if b.pl.settings.CompressResponses {
		h.Add("Vary", "Accept-Encoding")
		if AcceptsGzip(b.req.Header.Values("Accept-Encoding")) {
			if z, err := gzipBytes(body); err == nil {
				body = z
				h.Set("Content-Encoding", "gzip")
			}
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_ = b.rc.SetWriteDeadline(time.Now().Add(b.pl.settings.Idle))
	b.w.WriteHeader(http.StatusMultiStatus)
	_, _ = b.w.Write(body)
}

func gzipBytes(p []byte) ([]byte, error) {
	var out bytesWriter
	zw, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(p); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.b, nil
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// AcceptsGzip reports whether Accept-Encoding values accept gzip: they
// name it (or *) without q=0.
func AcceptsGzip(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			if !strings.EqualFold(name, "gzip") && name != "*" {
				continue
			}
			q := "1"
			for _, p := range strings.Split(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
					q = strings.TrimSpace(v)
				}
			}
			if f, err := strconv.ParseFloat(q, 64); err == nil && f > 0 {
				return true
			}
		}
	}
	return false
}

// log writes the batch's one log line.
func (b *Batch) log(t *Target, entries, successes int) {
	log := b.pl.log
	if !log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	log.Info("batch finished",
		"cluster_id", t.ClusterID,
		"topic", t.Topic,
		"principal", t.Principal,
		"duration_ms", time.Since(b.start).Milliseconds(),
		"entries", entries,
		"successes", successes,
		"failures", entries-successes)
}

// limitReader fails with BodyTooLarge once more than left bytes were read:
// http.maxRequestBytes on a batch body of unknown length.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, apierror.New(apierror.BodyTooLarge)
	}
	return n, err
}
