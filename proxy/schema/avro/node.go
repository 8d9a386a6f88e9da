package avro

import "fmt"

// encoder encodes the JSON value at the read position as the Avro binary
// of one schema, leaving the read position just after the value. Each
// kind of schema node is one. Encoders are built once per schema by the
// compiler and shared by concurrent calls; everything that changes
// during a call lives in the state.
type encoder interface {
	encode(st *state, dst []byte) ([]byte, error)
}

// nodeKind names an encoder's concrete type.
type nodeKind uint8

const (
	kindInvalid nodeKind = iota // the zero node
	kindNull
	kindBoolean
	kindInteger
	kindFloat
	kindString
	kindBytes
	kindFixed
	kindEnum
	kindArray
	kindMap
	kindRecord
	kindUnion
)

// node is a compiled schema: its encoder, with the encoder's kind.
//
// Encoding calls the encoder through a switch on the kind rather than
// through the interface. A call through an interface lets the state
// escape to the heap, so each Append would allocate it (or take it from
// a pool, which costs as much as encoding a field or two); called
// directly, it stays on the stack. A switch on a byte is a jump table,
// cheaper than a type switch.
type node struct {
	kind nodeKind
	enc  encoder
}

// newNode is the node of an encoder built by the compiler.
func newNode(enc encoder) node {
	var kind nodeKind
	switch enc.(type) {
	case nullNode:
		kind = kindNull
	case booleanNode:
		kind = kindBoolean
	case *integerNode:
		kind = kindInteger
	case *floatNode:
		kind = kindFloat
	case stringNode:
		kind = kindString
	case bytesNode:
		kind = kindBytes
	case *fixedNode:
		kind = kindFixed
	case *enumNode:
		kind = kindEnum
	case *arrayNode:
		kind = kindArray
	case *mapNode:
		kind = kindMap
	case *recordNode:
		kind = kindRecord
	case *unionNode:
		kind = kindUnion
	}
	return node{kind: kind, enc: enc}
}

// encode encodes with the node's encoder. The stateless encoders need no
// look at enc; the others' type is certain from the kind.
func (n node) encode(st *state, dst []byte) ([]byte, error) {
	switch n.kind {
	case kindNull:
		return nullNode{}.encode(st, dst)
	case kindBoolean:
		return booleanNode{}.encode(st, dst)
	case kindInteger:
		return n.enc.(*integerNode).encode(st, dst)
	case kindFloat:
		return n.enc.(*floatNode).encode(st, dst)
	case kindString:
		return stringNode{}.encode(st, dst)
	case kindBytes:
		return bytesNode{}.encode(st, dst)
	case kindFixed:
		return n.enc.(*fixedNode).encode(st, dst)
	case kindEnum:
		return n.enc.(*enumNode).encode(st, dst)
	case kindArray:
		return n.enc.(*arrayNode).encode(st, dst)
	case kindMap:
		return n.enc.(*mapNode).encode(st, dst)
	case kindRecord:
		return n.enc.(*recordNode).encode(st, dst)
	case kindUnion:
		return n.enc.(*unionNode).encode(st, dst)
	}
	return dst, fmt.Errorf("avro: schema node %T has no kind", n.enc)
}
