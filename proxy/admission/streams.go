package admission

import (
	"sync"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Stream is what the stream bound tracks: a stream that can be told to
// stop reading when the server shuts down.
type Stream interface{ Stop() }

// Streams tracks the active streams: it enforces http.maxStreams, and on
// shutdown it refuses new streams and tells the active ones to stop reading.
type Streams struct {
	max int // 0: no limit

	mu       sync.Mutex
	draining bool
	active   map[Stream]struct{}
	// drained is closed once draining and no stream is left.
	drained chan struct{}
}

// NewStreams bounds the streams to max; 0 is no limit.
func NewStreams(max int) *Streams {
	return &Streams{max: max, active: map[Stream]struct{}{}}
}

// Add admits st, or refuses it while draining or at the bound.
func (ss *Streams) Add(st Stream) *apierror.Error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.draining:
		return apierror.New(apierror.ShuttingDown)
	case ss.max > 0 && len(ss.active) >= ss.max:
		return apierror.New(apierror.TooManyStreams)
	}
	ss.active[st] = struct{}{}
	return nil
}

// Remove forgets a stream that ended.
func (ss *Streams) Remove(st Stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.active, st)
	ss.closeDrainedLocked()
}

// DrainAll refuses new streams from now on and stops every active one from
// reading; it returns how many were active, and a channel closed once every
// stream has ended.
func (ss *Streams) DrainAll() (active int, drained <-chan struct{}) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.draining {
		ss.draining = true
		ss.drained = make(chan struct{})
	}
	for st := range ss.active {
		st.Stop()
	}
	active = len(ss.active)
	ss.closeDrainedLocked()
	return active, ss.drained
}

func (ss *Streams) closeDrainedLocked() {
	if !ss.draining || len(ss.active) > 0 {
		return
	}
	select {
	case <-ss.drained:
	default:
		close(ss.drained)
	}
}

// IsDraining reports whether DrainAll was called.
func (ss *Streams) IsDraining() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.draining
}

// Len is the number of active streams.
func (ss *Streams) Len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.active)
}
