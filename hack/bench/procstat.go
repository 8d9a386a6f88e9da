package main

import (
	"sync"
	"time"

	"github.com/restproxy-dev/restproxy-operator/hack/internal/loadgen"
)

// rssSampler polls a process's VmRSS while a mode runs: VmHWM only ever
// grows, so one long-lived proxy needs polling to give each mode its own
// peak.
type rssSampler struct {
	stop           chan struct{}
	done           chan struct{}
	mu             sync.Mutex
	peak, peakAnon int64
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if u, err := loadgen.ReadUsage(pid); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, u.RSSBytes)
				s.peakAnon = max(s.peakAnon, u.AnonBytes)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops polling and returns the highest VmRSS and RssAnon seen.
func (s *rssSampler) finish() (rss, anon int64) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.peakAnon
}
