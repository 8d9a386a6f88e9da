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
	keys     []quotedText // each branch's name as a member name
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
	keys := make([]quotedText, len(names))
	for i, name := range names {
		keys[i] = newQuotedText(name, ":")
	}
	return &unionNode{
		branches: branches,
		names:    newNameIndex(names, identity(len(names))),
		keys:     keys,
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

func (n *unionNode) encodeBranch(st *state, dst []byte) ([]byte, error) {
	start := st.pos
	if err := st.enter(); err != nil {
		return dst, err
	}
	defer st.leave()
	if st.open('}') {
		st.pos = start
		return dst, st.mismatch(n.want)
	}
	branch, err := n.branch(st)
	if err != nil {
		return dst, err
	}
	dst = appendLong(dst, int64(branch))
	if dst, err = n.branches[branch].encode(st, dst); err != nil {
		return dst, err
	}
	more, err := st.more('}')
	if err == nil && more {
		err = &codec.DataError{Problem: fmt.Sprintf(
			"a value of union %s is an object with exactly one member, naming its branch", n.label)}
	}
	return dst, err
}

// branch reads the name of a union value's member and returns the branch
// it names, trying each branch's name straight on the JSON text first.
func (n *unionNode) branch(st *state) (int, error) {
	for i := range n.keys {
		if st.memberNamed(&n.keys[i]) {
			return i, nil
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
	if i := n.names.find(name); i >= 0 {
		return i, nil
	}
	return 0, &codec.DataError{Problem: fmt.Sprintf("%q is not a branch of union %s", clip(name), n.label)}
}
