package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// deliverers are clients that retry, as a producer that must lose nothing
// does: each has its own values to deliver, streams them, and sends again,
// in a new stream, every value whose report was not a 200 or never came.
// A value whose report was lost with its connection may be stored twice:
// that is at-least-once delivery, and checkDelivered counts it.
type deliverers struct {
	url     string
	stop    chan struct{}
	wg      sync.WaitGroup
	started time.Time
	// reports counts the reports read so far, as they arrive: progress
	// while streams are still open.
	reports atomic.Int64

	mu      sync.Mutex
	values  [][]string // per client
	acked   []acked
	pending int // values not yet reported 200
	broken  int // streams that broke before every report came
	refused int // requests that got no response at all
	unclean []string
}

// deliverAll starts clients, each delivering n values in streams of up to
// perStream records written one every gap.
func deliverAll(ctx context.Context, url, prefix string, clients, n, perStream int, gap time.Duration) *deliverers {
	d := &deliverers{url: url, stop: make(chan struct{}), started: time.Now(), pending: clients * n}
	for c := range clients {
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf("%s-%d-%06d", prefix, c, i)
		}
		d.values = append(d.values, values)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.client(ctx, values, perStream, gap)
		}()
	}
	return d
}

func (d *deliverers) client(ctx context.Context, pending []string, perStream int, gap time.Duration) {
	for len(pending) > 0 && ctx.Err() == nil {
		select {
		case <-d.stop:
			return
		default:
		}
		batch := pending[:min(perStream, len(pending))]
		res := produceStreamPaced(ctx, d.url, nil, batch, gap, &d.reports)
		retry := d.file(batch, res)
		pending = append(retry, pending[len(batch):]...)
		if len(retry) == len(batch) {
			// Nothing got through (the pod is gone, the Service has no
			// endpoint yet): back off a little before trying again.
			select {
			case <-time.After(200 * time.Millisecond):
			case <-d.stop:
				return
			}
		}
	}
}

// file records one stream's result and returns the values to send again.
func (d *deliverers) file(batch []string, res streamResult) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case res.status == 0:
		d.refused++
		return batch
	case res.status != http.StatusOK:
		if res.status != http.StatusServiceUnavailable && res.status != http.StatusTooManyRequests {
			what := fmt.Sprintf("HTTP %d", res.status)
			if len(res.reports) > 0 { // the error body parses as a report
				what += fmt.Sprintf(" %d %q", res.reports[0].ErrorCode, res.reports[0].Message)
			}
			d.unclean = append(d.unclean, what)
		}
		return batch
	}
	if res.err != nil || len(res.reports) < len(batch) {
		d.broken++
	}
	var retry []string
	for j, v := range batch {
		if j >= len(res.reports) {
			retry = append(retry, v)
			continue
		}
		r := res.reports[j]
		switch {
		case r.ErrorCode == 200:
			d.acked = append(d.acked, acked{v, r})
			d.pending--
		case cleanCodes[r.ErrorCode]:
			retry = append(retry, v)
		default:
			d.unclean = append(d.unclean, fmt.Sprintf("%s: %+v", v, r))
			retry = append(retry, v)
		}
	}
	return retry
}

// waitReports waits until n reports have arrived, in open streams or
// finished ones.
func (d *deliverers) waitReports(ctx context.Context, n int64) error {
	return poll(ctx, 60*time.Second, func() error {
		if got := d.reports.Load(); got < n {
			return fmt.Errorf("%d reports read, want %d before the fault", got, n)
		}
		return nil
	})
}

// wait waits until every value was reported 200, then stops the clients.
func (d *deliverers) wait(ctx context.Context, timeout time.Duration) error {
	err := poll(ctx, timeout, func() error {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.pending > 0 {
			return fmt.Errorf("%d values not yet reported 200 (%d streams broken, %d requests refused)", d.pending, d.broken, d.refused)
		}
		return nil
	})
	d.halt()
	return err
}

// halt stops the clients; their last streams end first.
func (d *deliverers) halt() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	d.wg.Wait()
}

// checkDelivered fails on any report that was neither a 200 nor a clean
// error, unless every report of 200 points at its value in topic, and
// unless every value is in topic at least once. It returns how many values
// are stored more than once.
func (d *deliverers) checkDelivered(ctx context.Context, broker, topic string, partitions int) (int, error) {
	if len(d.unclean) > 0 {
		return 0, fmt.Errorf("%d reports neither 200 nor a clean error, first: %s", len(d.unclean), d.unclean[0])
	}
	stored := map[[2]int64]string{}
	copies := map[string]int{}
	for p := range partitions {
		msgs, err := readPartition(ctx, broker, topic, p)
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			stored[[2]int64{int64(p), m.Offset}] = string(m.Value)
			copies[string(m.Value)]++
		}
	}
	for _, a := range d.acked {
		if got := stored[[2]int64{int64(a.rep.PartitionID), a.rep.Offset}]; got != a.value {
			return 0, fmt.Errorf("%s was reported 200 at %s/%d offset %d, which holds %q", a.value, topic, a.rep.PartitionID, a.rep.Offset, got)
		}
	}
	twice := 0
	for _, values := range d.values {
		for _, v := range values {
			switch n := copies[v]; {
			case n == 0:
				return 0, fmt.Errorf("%s was delivered (reported 200 after retries) but is not in %s", v, topic)
			case n > 1:
				twice++
			}
		}
	}
	return twice, nil
}

// summary says what the clients went through.
func (d *deliverers) summary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprintf("%d values delivered in %s; %d streams broke, %d requests got no response",
		len(d.acked), time.Since(d.started).Round(100*time.Millisecond), d.broken, d.refused)
}
