package avro

import (
	"slices"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// recordNode is an Avro record: a JSON object whose members are its
// fields, in any order, encoded in the schema's order.
//
// Members that arrive in schema order are encoded as they are read, in
// one pass. A member that arrives early is skipped and its start noted
// in a slot; it is encoded from there once the fields before it are.
type recordNode struct {
	name     string
	fields   []recordField
	names    nameIndex // field names and aliases to field positions
	scanKeys bool      // a member out of turn is first tried as each field's key
	want     string    // what an error says was expected
}

// fewFields is up to how many fields a member that is not the one in turn
// is tried as each field's key, straight on the text, before its name
// is read and looked up.
const fewFields = 16

type recordField struct {
	name     string
	keys     [2]quotedText // the name as compact JSON writes it first, and after a comma
	node     node
	defaults defaultState
	encoded  []byte // the default's Avro binary, once defaults is defaultReady
}

func newRecordField(name string, n node) recordField {
	keys := [2]quotedText{newQuotedText("", name, ":"), newQuotedText(",", name, ":")}
	return recordField{name: name, keys: keys, node: n}
}

type defaultState int

const (
	noDefault defaultState = iota
	defaultPending
	defaultReady
)

// slotAbsent marks a field whose member has not come (yet); other slot
// values are where an early member's value starts.
const slotAbsent = -1

// progress is where one encoding of a record stands.
type progress struct {
	next  int   // the first field not yet encoded: those before are done
	slots []int // where early members' values start; made for the first one
	base  int   // where slots start in the scratch space's slot stack
}

func (r *recordNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.peek() != '{' {
		return dst, st.mismatch(r.want)
	}
	if err := st.enter(); err != nil {
		return dst, err
	}
	var p progress
	dst, err := r.members(st, dst, &p)
	if err == nil && p.next < len(r.fields) {
		dst, err = r.encodeRest(st, dst, &p)
	}
	if p.slots != nil {
		st.spare.slots = st.spare.slots[:p.base]
	}
	st.leave()
	return dst, err
}

// members reads the object's members and encodes those that come in
// turn, noting where the others start.
func (r *recordNode) members(st *state, dst []byte, p *progress) ([]byte, error) {
	if st.open('}') {
		return dst, nil
	}
	// A member in turn is tried first straight on the text, with the
	// comma before it after the first: one compare finds both.
	for after := 0; ; after = 1 {
		var err error
		i, inTurn := p.next, false
		if i < len(r.fields) {
			if key := &r.fields[i].keys[after]; key.startsWith(st.data[st.pos:]) {
				st.pos += len(key.text)
				st.skipSpace()
				inTurn = true
			}
		}
		if !inTurn {
			if i, err = r.member(st, after == 1); err != nil || i == endOfObject {
				return dst, err
			}
			if i != p.next {
				if err := r.early(st, i, p); err != nil {
					return dst, err
				}
				continue
			}
		}
		// The common kinds' encoders are called here directly, sparing
		// the call to node.encode that would pick them.
		switch n := r.fields[i].node; n.kind {
		case kindString:
			dst, err = stringNode{}.encode(st, dst)
		case kindInteger:
			dst, err = n.enc.(*integerNode).encode(st, dst)
		case kindFloat:
			dst, err = n.enc.(*floatNode).encode(st, dst)
		case kindBoolean:
			dst, err = booleanNode{}.encode(st, dst)
		case kindEnum:
			dst, err = n.enc.(*enumNode).encode(st, dst)
		case kindUnion:
			dst, err = n.enc.(*unionNode).encode(st, dst)
		default:
			dst, err = n.encode(st, dst)
		}
		if err != nil {
			return dst, inField(err, r.fields[i].name)
		}
		p.next++
		if p.slots != nil && p.next < len(p.slots) && p.slots[p.next] != slotAbsent {
			if dst, err = r.encodeWaiting(st, dst, p); err != nil {
				return dst, err
			}
		}
	}
}

// early notes where the value of field i, which came before its turn,
// starts, and skips it.
func (r *recordNode) early(st *state, i int, p *progress) error {
	if i < p.next || (p.slots != nil && p.slots[i] != slotAbsent) {
		return &codec.DataError{Path: r.fields[i].name, Problem: "given twice"}
	}
	if p.slots == nil {
		p.slots, p.base = st.pushSlots(len(r.fields))
	}
	p.slots[i] = st.pos
	return st.skipValue()
}

// pushSlots returns n absent slots on top of the scratch space's slot
// stack, and where they start in it. Nested records may grow the stack
// into a new array later; a record keeps using its part of the array it
// got.
func (st *state) pushSlots(n int) ([]int, int) {
	sp := st.scratch()
	base := len(sp.slots)
	sp.slots = slices.Grow(sp.slots, n)[:base+n]
	slots := sp.slots[base:]
	for i := range slots {
		slots[i] = slotAbsent
	}
	return slots, base
}

// encodeWaiting encodes the members that came early and whose turn it is
// now.
func (r *recordNode) encodeWaiting(st *state, dst []byte, p *progress) ([]byte, error) {
	for ; p.next < len(p.slots) && p.slots[p.next] != slotAbsent; p.next++ {
		var err error
		if dst, err = r.encodeAt(st, dst, p.next, p.slots[p.next]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// encodeRest encodes the fields not encoded yet once the whole object is
// read: those that came early, and defaults for those that did not come.
func (r *recordNode) encodeRest(st *state, dst []byte, p *progress) ([]byte, error) {
	for ; p.next < len(r.fields); p.next++ {
		var err error
		field := &r.fields[p.next]
		switch {
		case p.slots != nil && p.slots[p.next] != slotAbsent:
			dst, err = r.encodeAt(st, dst, p.next, p.slots[p.next])
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

// endOfObject is what member returns at the object's close.
const endOfObject = -1

// member reads past the comma before a member, if after one, and the
// member's name, and returns the position of the field it names, or
// endOfObject. Members mostly come in schema order, so members tries the
// field whose turn it is first, straight on the text, and this is only
// for the others (and for text compact JSON would not write). Of few
// fields, each field's key is tried on the text before the name is read
// and looked up.
func (r *recordNode) member(st *state, afterOne bool) (int, error) {
	if afterOne && !st.comma() {
		if more, err := st.more('}'); err != nil || !more {
			return endOfObject, err
		}
	}
	if r.scanKeys {
		rest := st.data[st.pos:]
		for i := range r.fields {
			if key := &r.fields[i].keys[0]; key.startsWith(rest) {
				st.pos += len(key.text)
				st.skipSpace()
				return i, nil
			}
		}
	}
	raw, flags, err := st.memberName()
	if err != nil {
		return 0, err
	}
	name, err := st.utf8Text(raw, flags)
	if err != nil {
		return 0, err
	}
	if i := r.names.find(name); i >= 0 {
		return i, nil
	}
	return 0, &codec.DataError{Path: clip(name), Problem: "not a field of record " + r.name}
}
