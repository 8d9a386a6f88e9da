package proxy

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// inFlightLimit is the process-wide bound on records handed to Kafka and not
// yet acknowledged (http.maxInFlightTotal). kafka-go's async queue is
// unbounded, so this semaphore is what keeps memory bounded when Kafka slows
// down: a stream that cannot get a token stops reading its socket.
type inFlightLimit struct {
	tokens chan struct{}
	gauge  prometheus.Gauge
	count  atomic.Int64
	peak   atomic.Int64 // highest count seen, for tests and debugging
}

func newInFlightLimit(n int, gauge prometheus.Gauge) *inFlightLimit {
	return &inFlightLimit{tokens: make(chan struct{}, n), gauge: gauge}
}

// acquire takes a token, waiting for one unless abort is closed first.
func (l *inFlightLimit) acquire(abort <-chan struct{}) bool {
	if l.tryAcquire() {
		return true
	}
	select {
	case l.tokens <- struct{}{}:
	case <-abort:
		return false
	}
	l.taken()
	return true
}

// tryAcquire takes a token if one is free now.
func (l *inFlightLimit) tryAcquire() bool {
	select {
	case l.tokens <- struct{}{}:
		l.taken()
		return true
	default:
		return false
	}
}

func (l *inFlightLimit) taken() {
	n := l.count.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	l.gauge.Inc()
}

func (l *inFlightLimit) release() {
	l.count.Add(-1)
	l.gauge.Dec()
	<-l.tokens
}
