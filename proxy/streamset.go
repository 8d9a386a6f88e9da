package proxy

import "sync"

// streamSet tracks the active streams: it enforces http.maxStreams, and on
// shutdown it refuses new streams and tells the active ones to stop reading.
type streamSet struct {
	max int // 0: no limit

	mu       sync.Mutex
	draining bool
	active   map[*stream]struct{}
	// drained is closed once draining and no stream is left.
	drained chan struct{}
}

func newStreamSet(max int) *streamSet {
	return &streamSet{max: max, active: map[*stream]struct{}{}}
}

func (ss *streamSet) add(st *stream) *requestError {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.draining:
		return errShuttingDown()
	case ss.max > 0 && len(ss.active) >= ss.max:
		return errTooManyStreams()
	}
	ss.active[st] = struct{}{}
	return nil
}

func (ss *streamSet) remove(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.active, st)
	ss.closeDrainedLocked()
}

// drainAll refuses new streams from now on and stops every active one from
// reading; it returns how many were active, and a channel closed once every
// stream has ended.
func (ss *streamSet) drainAll() (active int, drained <-chan struct{}) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.draining {
		ss.draining = true
		ss.drained = make(chan struct{})
	}
	for st := range ss.active {
		st.stop()
	}
	active = len(ss.active)
	ss.closeDrainedLocked()
	return active, ss.drained
}

func (ss *streamSet) closeDrainedLocked() {
	if !ss.draining || len(ss.active) > 0 {
		return
	}
	select {
	case <-ss.drained:
	default:
		close(ss.drained)
	}
}

func (ss *streamSet) isDraining() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.draining
}

func (ss *streamSet) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.active)
}
