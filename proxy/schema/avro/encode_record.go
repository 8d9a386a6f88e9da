package avro

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// recordNode is an Avro record: a JSON object whose members are its
// fields, in any order, encoded in the schema's order.
//
// Members that arrive in schema order are encoded as they are read, in
// one pass. A member that arrives early is skipped and its start noted
// in a slot; it is encoded from there once the fields before it are.
type recordNode struct {
	name   string
	fields []recordField
	names  nameIndex // field names and aliases to field positions
	want   string    // what an error says was expected
}

type recordField struct {
	name     string
	node     node
	defaults defaultState
	encoded  []byte // the default's Avro binary, once defaults is defaultReady
}

type defaultState int

const (
	noDefault defaultState = iota
	defaultPending
	defaultReady
)

// Slot values besides a member value's start offset.
const (
	slotAbsent  = -1
	slotEncoded = -2
)

func (r *recordNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.peek() != '{' {
		return dst, st.mismatch(r.want)
	}
	if err := st.enter(); err != nil {
		return dst, err
	}
	base := len(st.slots)
	for range r.fields {
		st.slots = append(st.slots, slotAbsent)
	}
	// Nested records may grow st.slots into a new array; this record keeps
	// using its own part of the array it appended to.
	slots := st.slots[base:]
	dst, next, err := r.members(st, dst, slots)
	if err == nil {
		dst, err = r.encodeRest(st, dst, slots, next)
	}
	st.slots = st.slots[:base]
	st.leave()
	return dst, err
}

// members reads the object's members and encodes those that come in
// turn. It returns the position of the first field not yet encoded.
func (r *recordNode) members(st *state, dst []byte, slots []int) ([]byte, int, error) {
	next := 0
	if st.open('}') {
		return dst, next, nil
	}
	for {
		raw, flags, err := st.memberName()
		if err != nil {
			return dst, next, err
		}
		name, err := st.utf8Text(raw, flags)
		if err != nil {
			return dst, next, err
		}
		i := r.fieldPosition(name, next)
		switch {
		case i < 0:
			return dst, next, &codec.DataError{Path: clip(name), Problem: "not a field of record " + r.name}
		case slots[i] != slotAbsent:
			return dst, next, &codec.DataError{Path: r.fields[i].name, Problem: "given twice"}
		case i == next:
			if dst, err = r.fields[i].node.encode(st, dst); err != nil {
				return dst, next, inField(err, r.fields[i].name)
			}
			slots[i] = slotEncoded
			next++
			if dst, next, err = r.encodeWaiting(st, dst, slots, next); err != nil {
				return dst, next, err
			}
		default:
			slots[i] = st.pos
			if err := st.skipValue(); err != nil {
				return dst, next, err
			}
		}
		if more, err := st.more('}'); err != nil || !more {
			return dst, next, err
		}
	}
}

// fieldPosition finds the field a member names, trying the field whose
// turn it is first: members mostly come in schema order.
func (r *recordNode) fieldPosition(name []byte, next int) int {
	if next < len(r.fields) && r.fields[next].name == string(name) {
		return next
	}
	return r.names.find(name)
}

// encodeWaiting encodes the members that came early and whose turn it is
// now, returning the position of the first field not yet encoded.
func (r *recordNode) encodeWaiting(st *state, dst []byte, slots []int, next int) ([]byte, int, error) {
	for next < len(slots) && slots[next] >= 0 {
		var err error
		if dst, err = r.encodeAt(st, dst, next, slots[next]); err != nil {
			return dst, next, err
		}
		slots[next] = slotEncoded
		next++
	}
	return dst, next, nil
}

// encodeRest encodes the fields from next on once the whole object is
// read: those that came early, and defaults for those that did not come.
func (r *recordNode) encodeRest(st *state, dst []byte, slots []int, next int) ([]byte, error) {
	for ; next < len(slots); next++ {
		var err error
		field := &r.fields[next]
		switch {
		case slots[next] >= 0:
			dst, err = r.encodeAt(st, dst, next, slots[next])
		case field.defaults == defaultReady:
			dst = append(dst, field.encoded...)
		case field.defaults == defaultPending:
			err = errDefaultPending
		default:
			err = &codec.DataError{Path: field.name, Problem: "missing, and the field has no default"}
		}
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// encodeAt encodes the value of field i that starts at offset at.
func (r *recordNode) encodeAt(st *state, dst []byte, i, at int) ([]byte, error) {
	resume := st.pos
	st.pos = at
	dst, err := r.fields[i].node.encode(st, dst)
	st.pos = resume
	if err != nil {
		return dst, inField(err, r.fields[i].name)
	}
	return dst, nil
}
