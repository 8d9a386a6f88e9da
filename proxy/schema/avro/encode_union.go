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
	opens    []branchOpen // the branches but null, as their objects open in compact JSON
	null     int          // the null branch's position, -1 without one
	label    string       // the branch names as a list, for messages
	want     string       // what an error says was expected
}

// branchOpen is a branch's object opened as compact JSON writes it,
// `{"name":`, tried straight on the text. The null branch has none: null
// is written as JSON null, and {"null":null} is left to the general path.
type branchOpen struct {
	text   quotedText
	branch int
}

func newUnionNode(branches []node, names []string, null int) *unionNode {
	label := "[" + listNames(names) + "]"
	want := fmt.Sprintf(`{"<branch>": value} for union %s`, label)
	if null >= 0 {
		want = "null or " + want
	}
	var opens []branchOpen
	for i, name := range names {
		if i != null {
			opens = append(opens, branchOpen{text: newQuotedText("{", name, ":"), branch: i})
		}
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
// names its branch. The branches are tried first straight on the text,
// brace included, and the object's end after the value, as compact JSON
// writes them; the general path reads any other text.
func (n *unionNode) encodeBranch(st *state, dst []byte) ([]byte, error) {
	if err := st.enter(); err != nil {
		return dst, err
	}
	branch, err := -1, error(nil)
	for _, open := range n.opens {
		if open.text.startsWith(st.data[st.pos:]) {
			st.pos += len(open.text.text)
			st.skipSpace()
			branch = open.branch
			break
		}
	}
	if branch < 0 {
		branch, err = n.branch(st)
	}
	if err == nil {
		dst = appendLong(dst, int64(branch))
		dst, err = n.branches[branch].encode(st, dst)
	}
	if err == nil {
		if st.peek() == '}' {
			st.pos++
		} else {
			err = n.close(st)
		}
	}
	st.leave()
	return dst, err
}

// branch reads the value's object up to its member's value and returns
// the branch the member names, when encodeBranch did not find it at once.
func (n *unionNode) branch(st *state) (int, error) {
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
	more, err := st.more('}')
	if err == nil && more {
		err = &codec.DataError{Problem: fmt.Sprintf(
			"a value of union %s is an object with exactly one member, naming its branch", n.label)}
	}
	return err
}
