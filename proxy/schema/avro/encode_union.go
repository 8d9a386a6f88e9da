package avro

import (
	"fmt"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// unionNode is an Avro union. As in Avro's JSON encoding, JSON null is the
// null branch and any other value is an object with one member, named
// after its branch: the full name of a named type, else the type's name
// ("string", "array", "map"; "long" also for a timestamp-millis long).
type unionNode struct {
	branches []node
	names    nameIndex
	opens    []quotedText // each branch's object opened as compact JSON writes it: `{"name":`
	null     int          // the null branch's position, -1 without one
	label    string       // the branch names as a list, for messages
	want     string       // what an error says was expected
}

func newUnionNode(branches []node, names []string, null int) *unionNode {
	label := "[" + listNames(names) + "]"
	want := fmt.Sprintf(`{"<branch>": value} for union %s`, label)
	if null >= 0 {
		want = "null or " + want
	}
	opens := make([]quotedText, len(names))
	for i, name := range names {
		opens[i] = newQuotedText("{", name, ":")
	}
	return &unionNode{
		branches: branches,
		names:    newNameIndex(names, identity(len(names))),
		opens:    opens,
		null:     null,
		label:    label,
		want:     want,
	}
}

func (n *unionNode) encode(st *state, dst []byte) ([]byte, error) {
	switch st.peek() {
	case 'n':
		if n.null >= 0 && st.literal("null") {
			return appendLong(dst, int64(n.null)), nil
		}
	case '{':
		return n.encodeBranch(st, dst)
	}
	return dst, st.mismatch(n.want)
}

// encodeBranch encodes a value written as an object whose one member
// names its branch.
func (n *unionNode) encodeBranch(st *state, dst []byte) ([]byte, error) {
	if err := st.enter(); err != nil {
		return dst, err
	}
	branch, err := n.branch(st)
	if err == nil {
		dst = appendLong(dst, int64(branch))
		dst, err = n.branches[branch].encode(st, dst)
	}
	if err == nil {
		err = n.close(st)
	}
	st.leave()
	return dst, err
}

// branch reads the value's object up to its member's value and returns
// the branch the member names. Each branch is tried first straight on the
// text, with the object's brace, as compact JSON writes it.
func (n *unionNode) branch(st *state) (int, error) {
	rest := st.data[st.pos:]
	for i := range n.opens {
		if n.opens[i].startsWith(rest) {
			st.pos += len(n.opens[i].text)
			st.skipSpace()
			return i, nil
		}
	}
	start := st.pos
	if st.open('}') {
		st.pos = start
		return 0, st.mismatch(n.want)
	}
	raw, flags, err := st.memberName()
	if err != nil {
		return 0, err
	}
	name, err := st.utf8Text(raw, flags)
	if err != nil {
		return 0, err
	}
	if i := n.names.find(name); i >= 0 {
		return i, nil
	}
	return 0, &codec.DataError{Problem: fmt.Sprintf("%q is not a branch of union %s", clip(name), n.label)}
}

// close reads the end of the value's object, which holds only the member
// naming the branch.
func (n *unionNode) close(st *state) error {
	if st.pos < len(st.data) && st.data[st.pos] == '}' {
		st.pos++ // compact JSON
		return nil
	}
	more, err := st.more('}')
	if err == nil && more {
		err = &codec.DataError{Problem: fmt.Sprintf(
			"a value of union %s is an object with exactly one member, naming its branch", n.label)}
	}
	return err
}
