package avro

import "sync"

// state is one Append call: the JSON text, the read position, and scratch
// space that a pool keeps across calls so that encoding allocates nothing.
type state struct {
	data   []byte
	pos    int
	depth  int
	slots  []int        // where record members' values start, a stack over nesting
	text   []byte       // unescaped strings
	counts []blockCount // array and map block counts still to be put in place
	ends   map[int]int  // where large skipped containers end, by where they start
}

func (st *state) reset(data []byte) {
	st.data, st.pos, st.depth = data, 0, 0
	st.slots, st.text, st.counts = st.slots[:0], st.text[:0], st.counts[:0]
	if len(st.ends) > 0 {
		clear(st.ends)
	}
}

// states keeps the per-call state of Append between calls.
var states = sync.Pool{New: func() any { return new(state) }}

// Scratch space a pooled state keeps, beyond which it is dropped so that
// one huge record does not pin memory.
const (
	keptSlots = 1 << 12
	keptText  = 1 << 16
	keptEnds  = 1 << 10
)

// release drops the caller's data and any outsized scratch space before
// the state goes back to the pool.
func (st *state) release() {
	st.data = nil
	if cap(st.slots) > keptSlots || cap(st.counts) > keptSlots {
		st.slots, st.counts = nil, nil
	}
	if cap(st.text) > keptText {
		st.text = nil
	}
	if len(st.ends) > keptEnds {
		st.ends = nil
	}
}
