package avro

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// maxDepth bounds how deeply containers may nest, so that hostile data
// for a recursive schema cannot exhaust the stack. It is the limit the
// record's JSON already has (README.md, "Hostile bodies").
const maxDepth = 1000

// String token flags: which slow paths a string needs.
const (
	hasEscape   = 1 << iota // a backslash escape: the text must be unescaped
	hasNonASCII             // a byte >= 0x80: the text must be checked as UTF-8
)

func (st *state) skipSpace() {
	// Whitespace is all at or below ' ': compact JSON leaves here at once.
	if st.pos < len(st.data) && st.data[st.pos] > ' ' {
		return
	}
	st.skipSpaces()
}

func (st *state) skipSpaces() {
	d, i := st.data, st.pos
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	st.pos = i
}

// peek is the byte at the read position, 0 at the end of the text.
func (st *state) peek() byte {
	if st.pos < len(st.data) {
		return st.data[st.pos]
	}
	return 0
}

// Word-at-a-time constants: every byte 0x01, every byte 0x80.
const (
	eachByte = 0x0101010101010101
	highBits = 0x8080808080808080
)

// plainStringByte reports whether a JSON string holds c as it is, with
// no escape and no UTF-8 check.
func plainStringByte(c byte) bool {
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
}

// specialBytes marks, in the high bit of each byte of w, a byte that ends
// a string's plain run: '"', '\\', a control character or a non-ASCII
// byte. The lowest marked byte is exactly the first such byte (borrows
// only run upwards), so a string is scanned eight bytes at a time.
func specialBytes(w uint64) uint64 {
	quote := w ^ (eachByte * '"')
	backslash := w ^ (eachByte * '\\')
	return ((quote-eachByte)&^quote | (backslash-eachByte)&^backslash | (w-eachByte*0x20)&^w | w) & highBits
}

// stringToken reads the string at the read position (which is '"') and
// returns its text between the quotes, still escaped, with its flags.
func (st *state) stringToken() ([]byte, int, error) {
	d := st.data
	start := st.pos + 1
	flags := 0
	for i := start; ; {
		for i+8 <= len(d) {
			special := specialBytes(binary.LittleEndian.Uint64(d[i:]))
			if special != 0 {
				i += bits.TrailingZeros64(special) / 8
				break
			}
			i += 8
		}
		if i >= len(d) {
			return nil, 0, st.malformed(len(d))
		}
		switch c := d[i]; {
		case c == '"':
			st.pos = i + 1
			return d[start:i], flags, nil
		case c == '\\':
			flags |= hasEscape
			i += 2
		case c < 0x20:
			return nil, 0, st.malformed(i)
		case c >= 0x80:
			flags |= hasNonASCII
			i++
		default:
			i++
		}
	}
}

// numberToken reads the JSON number at the read position, checking its
// grammar so that strconv only ever sees JSON numbers.
func (st *state) numberToken() ([]byte, error) {
	d, start, i := st.data, st.pos, st.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	intStart := i
	if i < len(d) && d[i] == '0' {
		i++
	} else {
		i = digitsEnd(d, i)
	}
	if i == intStart {
		return nil, st.malformed(i)
	}
	if i < len(d) && d[i] == '.' {
		j := digitsEnd(d, i+1)
		if j == i+1 {
			return nil, st.malformed(j)
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digitsEnd(d, i)
		if j == i {
			return nil, st.malformed(j)
		}
		i = j
	}
	st.pos = i
	return d[start:i], nil
}

func digitsEnd(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// literal consumes word (true, false or null) if it is at the read position.
func (st *state) literal(word string) bool {
	rest := st.data[st.pos:]
	if len(rest) >= len(word) && string(rest[:len(word)]) == word {
		st.pos += len(word)
		return true
	}
	return false
}

// enter and leave count container nesting around a container's members.
func (st *state) enter() error {
	if st.depth == maxDepth {
		return &codec.DataError{Problem: fmt.Sprintf("nested more than %d levels deep", maxDepth)}
	}
	st.depth++
	return nil
}

func (st *state) leave() { st.depth-- }

// malformed reports text that is not JSON; the caller hands Append valid
// JSON, so this guards against misuse rather than against clients.
func (st *state) malformed(at int) error {
	return &codec.DataError{Problem: fmt.Sprintf("malformed JSON at offset %d", at)}
}

// atEnd reports whether only whitespace is left.
func (st *state) atEnd() bool {
	st.skipSpace()
	return st.pos == len(st.data)
}

// open consumes the '{' or '[' at the read position and the whitespace
// after it, and reports whether the container is empty, consuming close.
func (st *state) open(close byte) bool {
	st.pos++
	st.skipSpace()
	if st.peek() == close {
		st.pos++
		return true
	}
	return false
}

// memberName reads an object member's name and the colon after it,
// leaving the read position at the member's value.
func (st *state) memberName() ([]byte, int, error) {
	if st.peek() != '"' {
		return nil, 0, st.malformed(st.pos)
	}
	raw, flags, err := st.stringToken()
	if err != nil {
		return nil, 0, err
	}
	return raw, flags, st.colon()
}

// colon consumes the colon after a member name, with the whitespace
// around it.
func (st *state) colon() error {
	if d, i := st.data, st.pos; i+1 < len(d) && d[i] == ':' && d[i+1] > ' ' {
		st.pos = i + 1 // compact JSON
		return nil
	}
	return st.spacedColon()
}

func (st *state) spacedColon() error {
	st.skipSpace()
	if st.peek() != ':' {
		return st.malformed(st.pos)
	}
	st.pos++
	st.skipSpace()
	return nil
}

// comma consumes the comma after a member or element, as compact JSON
// writes it (nothing around it), and reports whether it did. Unlike
// more, it is small enough to be inlined into a container's loop.
func (st *state) comma() bool {
	if rest := st.data[st.pos:]; len(rest) > 1 && rest[0] == ',' && rest[1] > ' ' {
		st.pos++
		return true
	}
	return false
}

// more consumes what follows a member or element: a comma and whitespace
// (true: another one follows) or the container's close (false).
func (st *state) more(close byte) (bool, error) {
	if st.comma() {
		return true, nil
	}
	return st.spacedMore(close)
}

func (st *state) spacedMore(close byte) (bool, error) {
	st.skipSpace()
	switch st.peek() {
	case ',':
		st.pos++
		st.skipSpace()
		return true, nil
	case close:
		st.pos++
		return false, nil
	}
	return false, st.malformed(st.pos)
}
