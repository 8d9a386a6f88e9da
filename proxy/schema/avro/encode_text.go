package avro

import (
	"fmt"
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// wantString reads a JSON string where the schema wants one, or fails
// naming what it wanted.
func (st *state) wantString(want string) ([]byte, int, error) {
	if st.peek() != '"' {
		return nil, 0, st.mismatch(want)
	}
	return st.stringToken()
}

type stringNode struct{}

func (stringNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.peek() != '"' {
		return dst, st.mismatch("a string")
	}
	raw, flags, err := st.stringToken()
	if err != nil {
		return dst, err
	}
	if flags != 0 { // else raw is the text: spare the call
		if raw, err = st.utf8Text(raw, flags); err != nil {
			return dst, err
		}
	}
	return appendLengthPrefixed(dst, raw), nil
}

// bytesNode is Avro bytes, which JSON writes as a string whose code points
// 0-255 are the bytes ("\u00ff" is the byte 0xff).
type bytesNode struct{}

func (bytesNode) encode(st *state, dst []byte) ([]byte, error) {
	raw, flags, err := st.wantString(`bytes as a string ("\u00ff" is the byte 0xff)`)
	if err != nil {
		return dst, err
	}
	b, err := st.latin1Bytes(raw, flags)
	if err != nil {
		return dst, err
	}
	return appendLengthPrefixed(dst, b), nil
}

// fixedNode is an Avro fixed: bytes as for bytesNode, exactly size many,
// written without a length.
type fixedNode struct {
	name string
	size int
	want string // what an error says was expected
}

func newFixedNode(name string, size int) *fixedNode {
	return &fixedNode{name: name, size: size, want: fmt.Sprintf("%d bytes as a string for fixed %s", size, name)}
}

func (n *fixedNode) encode(st *state, dst []byte) ([]byte, error) {
	raw, flags, err := st.wantString(n.want)
	if err != nil {
		return dst, err
	}
	b, err := st.latin1Bytes(raw, flags)
	if err != nil {
		return dst, err
	}
	if len(b) != n.size {
		return dst, &codec.DataError{Problem: fmt.Sprintf(
			"fixed %s holds exactly %d bytes, got %d", n.name, n.size, len(b))}
	}
	return append(dst, b...), nil
}

// enumNode is an Avro enum: one of its symbols as a JSON string, written
// as the symbol's index.
type enumNode struct {
	name    string
	symbols nameIndex
	quoted  []quotedText // the symbols as JSON strings, when there are few
	want    string       // what an error says was expected
}

func newEnumNode(name string, symbols []string) *enumNode {
	n := &enumNode{
		name:    name,
		symbols: newNameIndex(symbols, identity(len(symbols))),
		want:    "a symbol of enum " + name,
	}
	if len(symbols) <= manyNames {
		for _, symbol := range symbols {
			n.quoted = append(n.quoted, newQuotedText("", symbol, ""))
		}
	}
	return n
}

// encode tries a few symbols straight on the text first: a match with
// its closing quote is exactly that symbol, without reading the string
// and looking it up.
func (n *enumNode) encode(st *state, dst []byte) ([]byte, error) {
	rest := st.data[st.pos:]
	for i := range n.quoted {
		if n.quoted[i].startsWith(rest) {
			st.pos += len(n.quoted[i].text)
			return appendLong(dst, int64(i)), nil
		}
	}
	raw, flags, err := st.wantString(n.want)
	if err != nil {
		return dst, err
	}
	symbol, err := st.utf8Text(raw, flags)
	if err != nil {
		return dst, err
	}
	index := n.symbols.find(symbol)
	if index < 0 {
		return dst, &codec.DataError{Problem: fmt.Sprintf("%q is not a symbol of enum %s (%s)",
			clip(symbol), n.name, listNames(n.symbols.names))}
	}
	return appendLong(dst, int64(index)), nil
}

// listNames lists names for a message, the first few of many.
func listNames(names []string) string {
	const shown = 10
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:shown], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
}
