package avro

import "sync"

// state is one Append call: the JSON text and the read position. It lives
// on the caller's stack; the scratch space that only some data needs
// (records whose members come out of order, maps, arrays, escaped
// strings) is taken from a pool on first use, so that a flat record in
// schema order costs no pool round trip, and encoding allocates nothing.
type state struct {
	data  []byte
	pos   int
	depth int
	spare *scratch // nil until the call needs scratch space
}

// scratch is space an Append call reuses from earlier calls.
type scratch struct {
	slots  []int        // where record members' values start, a stack over nesting; map keys' bounds
	text   []byte       // unescaped strings
	counts []blockCount // array and map block counts still to be put in place
	ends   map[int]int  // where large skipped containers end, by where they start
}

// scratches keeps scratch space between Append calls.
var scratches = sync.Pool{New: func() any { return new(scratch) }}

// scratch returns the call's scratch space, empty when first taken.
func (st *state) scratch() *scratch {
	if st.spare == nil {
		st.spare = scratches.Get().(*scratch)
	}
	return st.spare
}

// finish hands the call's scratch space, if it took any, back to the pool.
func (st *state) finish() {
	if st.spare != nil {
		st.spare.release()
		scratches.Put(st.spare)
		st.spare = nil
	}
}

// Scratch space a pooled scratch keeps, beyond which it is dropped so
// that one huge record does not pin memory.
const (
	keptSlots = 1 << 12
	keptText  = 1 << 16
	keptEnds  = 1 << 10
)

// release empties the scratch space for the next call and drops any that
// has grown outsized.
func (sp *scratch) release() {
	sp.slots, sp.text, sp.counts = sp.slots[:0], sp.text[:0], sp.counts[:0]
	if cap(sp.slots) > keptSlots || cap(sp.counts) > keptSlots {
		sp.slots, sp.counts = nil, nil
	}
	if cap(sp.text) > keptText {
		sp.text = nil
	}
	if len(sp.ends) > keptEnds {
		sp.ends = nil
	} else if len(sp.ends) > 0 {
		clear(sp.ends)
	}
}
