package avro

import (
	"encoding/binary"
	"math"
)

// The bit patterns Java writes for NaN (Float.floatToRawIntBits and
// Double.doubleToRawLongBits of Float.NaN and Double.NaN); Go's math.NaN
// has another one.
const (
	javaFloatNaN  = 0x7fc00000
	javaDoubleNaN = 0x7ff8000000000000
)

type nullNode struct{}

func (nullNode) encode(st *state, dst []byte) ([]byte, error) {
	if st.literal("null") {
		return dst, nil
	}
	return dst, st.mismatch("null")
}

type booleanNode struct{}

func (booleanNode) encode(st *state, dst []byte) ([]byte, error) {
	switch {
	case st.literal("true"):
		return append(dst, 1), nil
	case st.literal("false"):
		return append(dst, 0), nil
	}
	return dst, st.mismatch("a boolean")
}

// integerNode is an int or a long: a whole JSON number within its range.
type integerNode struct {
	what     string // "an int" or "a long", for messages
	min, max int64
}

var (
	intNode  = &integerNode{what: "an int", min: math.MinInt32, max: math.MaxInt32}
	longNode = &integerNode{what: "a long", min: math.MinInt64, max: math.MaxInt64}
)

func (n *integerNode) encode(st *state, dst []byte) ([]byte, error) {
	if v, end, ok := shortInteger(st.data, st.pos); ok && v >= n.min && v <= n.max {
		st.pos = end
		return appendLong(dst, v), nil
	}
	return n.encodeNumber(st, dst)
}

// encodeNumber is encode for all but the common integers, and for errors.
func (n *integerNode) encodeNumber(st *state, dst []byte) ([]byte, error) {
	if c := st.peek(); c != '-' && (c < '0' || c > '9') {
		return dst, st.mismatch(n.what)
	}
	start := st.pos
	tok, err := st.numberToken()
	if err != nil {
		return dst, err
	}
	v, whole, fits := wholeNumber(tok)
	switch {
	case !whole:
		st.pos = start
		return dst, st.mismatch(n.what)
	case !fits || v < n.min || v > n.max:
		return dst, outOfRange(tok, n.what)
	}
	return appendLong(dst, v), nil
}

// floatNode is a float (32 bits) or a double (64 bits): a JSON number, or
// one of the strings Avro's JsonDecoder reads as NaN and the infinities.
type floatNode struct {
	what    string // "a float" or "a double", for messages
	bitSize int
}

var (
	floatNode32 = &floatNode{what: "a float", bitSize: 32}
	doubleNode  = &floatNode{what: "a double", bitSize: 64}
)

func (n *floatNode) encode(st *state, dst []byte) ([]byte, error) {
	if n.bitSize == 64 {
		if v, end, ok := exactDouble(st.data, st.pos); ok {
			st.pos = end
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v)), nil
		}
	}
	v, err := n.value(st)
	if err != nil {
		return dst, err
	}
	if n.bitSize == 32 {
		bits := math.Float32bits(float32(v))
		if v != v {
			bits = javaFloatNaN
		}
		return binary.LittleEndian.AppendUint32(dst, bits), nil
	}
	bits := math.Float64bits(v)
	if v != v {
		bits = javaDoubleNaN
	}
	return binary.LittleEndian.AppendUint64(dst, bits), nil
}

func (n *floatNode) value(st *state) (float64, error) {
	start := st.pos
	switch c := st.peek(); {
	case c == '-' || (c >= '0' && c <= '9'):
		tok, err := st.numberToken()
		if err != nil {
			return 0, err
		}
		v, ok := parseFloat(tok, n.bitSize)
		if !ok {
			return 0, outOfRange(tok, n.what)
		}
		return v, nil
	case c == '"':
		raw, flags, err := st.stringToken()
		if err != nil {
			return 0, err
		}
		if v, ok := specialFloat(raw); ok && flags == 0 {
			return v, nil
		}
	}
	st.pos = start
	return 0, st.mismatch(n.what + ` (or "NaN", "Infinity", "-Infinity")`)
}
