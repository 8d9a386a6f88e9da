package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// cleanCodes are the report codes a record may get while its pod is
// replaced: 200, or a clean error: Kafka unreachable or timed out (50003),
// the stream closed for its age (408), overload (429). Anything else during
// a rollout is a bug.
var cleanCodes = map[int]bool{200: true, 408: true, 429: true, 50003: true}

// acked is a record reported 200: where its report says it is.
type acked struct {
	value string
	rep   report
}

// load is a set of clients streaming through one URL until stopped, as
// producing applications do while pods are replaced under them: each opens
// short streams of perStream records, one after another. It keeps every
// 200 for checkStored, and every report or answer that is neither a 200
// nor a clean error.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu                     sync.Mutex
	acked                  []acked
	streams, cut, refused  int
	unclean                []string
	mark, ackedAfterMarked int
}

// startLoad starts clients goroutines streaming to url; record values
// start with prefix, so loads on one topic never share a value.
func startLoad(ctx context.Context, url, prefix string, clients, perStream int) *load {
	l := &load{stop: make(chan struct{})}
	for c := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				values := make([]string, perStream)
				for j := range values {
					values[j] = fmt.Sprintf("%s-%d-%05d-%03d", prefix, c, i, j)
				}
				l.record(values, produceStream(ctx, url, nil, values))
			}
		}()
	}
	return l
}

// record files one stream's result.
func (l *load) record(values []string, res streamResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.streams++
	switch {
	case res.status == 0:
		// Refused or reset before a response: nothing was reported, so
		// nothing may be assumed stored.
		l.refused++
	case res.status != http.StatusOK:
		if res.status != http.StatusServiceUnavailable && res.status != http.StatusTooManyRequests {
			l.unclean = append(l.unclean, fmt.Sprintf("HTTP %d", res.status))
		}
	default:
		if len(res.reports) < len(values) {
			l.cut++
		}
		for j, r := range res.reports {
			if !cleanCodes[r.ErrorCode] {
				l.unclean = append(l.unclean, fmt.Sprintf("%s: %+v", values[j], r))
			}
			if r.ErrorCode == 200 {
				l.acked = append(l.acked, acked{values[j], r})
			}
		}
		// A stream may end early (a draining pod stops reading), but not
		// break: the reports of records already read would be lost.
		if res.err != nil {
			l.unclean = append(l.unclean, fmt.Sprintf("stream broken after %d reports: %v", len(res.reports), res.err))
		}
	}
}

// markNow starts counting the records acknowledged from now on.
func (l *load) markNow() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mark = len(l.acked)
}

// waitAcked waits until n records were acknowledged since markNow (or the
// start).
func (l *load) waitAcked(ctx context.Context, n int, timeout time.Duration) error {
	return poll(ctx, timeout, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if got := len(l.acked) - l.mark; got < n {
			return fmt.Errorf("%d records acknowledged, want %d", got, n)
		}
		return nil
	})
}

// halt stops the clients and waits for their last streams to end.
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
}

// summary says what the clients saw.
func (l *load) summary() string {
	return fmt.Sprintf("%d streams, %d records acknowledged, %d streams ended early, %d refused before a response",
		l.streams, len(l.acked), l.cut, l.refused)
}

// checkStored fails on any report that was neither a 200 nor a clean
// error, and unless every record reported 200 is in topic (of partitions
// partitions) at the partition and offset of its report. Call it after
// halt.
func (l *load) checkStored(ctx context.Context, broker, topic string, partitions int) error {
	if len(l.unclean) > 0 {
		return fmt.Errorf("%d reports neither 200 nor a clean error, first: %s", len(l.unclean), l.unclean[0])
	}
	stored := map[[2]int64]string{}
	for p := range partitions {
		msgs, err := readPartition(ctx, broker, topic, p)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			stored[[2]int64{int64(p), m.Offset}] = string(m.Value)
		}
	}
	for _, a := range l.acked {
		got, ok := stored[[2]int64{int64(a.rep.PartitionID), a.rep.Offset}]
		if !ok || got != a.value {
			return fmt.Errorf("%s was reported 200 at %s/%d offset %d, which holds %q", a.value, topic, a.rep.PartitionID, a.rep.Offset, got)
		}
	}
	return nil
}
