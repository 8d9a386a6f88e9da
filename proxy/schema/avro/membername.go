package avro

import "encoding/binary"

// memberKey is a known member name (a record field's, a union branch's)
// as compact JSON writes it, quotes and colon included: `"name":`. It is
// also held as little-endian words, so that trying it at the read
// position, which records do for every member, is one or two word
// compares instead of a call to compare memory.
type memberKey struct {
	text string // `"name":`, "" if the name would need escapes
	head uint64 // the first 8 bytes, masked to the key's length if shorter
	mask uint64 // the bits of head that are the key's
	tail uint64 // the last 8 bytes, for keys of 9 to 16 bytes
}

// newMemberKey is the key of a member name, which matches nothing when
// writing the name needs escapes. Parsed Avro names never do, but a name
// is not trusted to be.
func newMemberKey(name string) memberKey {
	for _, c := range []byte(name) {
		if !plainStringByte(c) {
			return memberKey{}
		}
	}
	k := memberKey{text: `"` + name + `":`}
	var word [8]byte
	n := copy(word[:], k.text)
	k.head = binary.LittleEndian.Uint64(word[:])
	k.mask = ^uint64(0) >> (64 - 8*n)
	if len(k.text) > 8 {
		k.tail = binary.LittleEndian.Uint64([]byte(k.text[len(k.text)-8:]))
	}
	return k
}

// matches reports whether the key is at offset pos of d.
func (k *memberKey) matches(d []byte, pos int) bool {
	n := len(k.text)
	switch {
	case n == 0 || pos > len(d)-n:
		return false
	case n <= 8 && pos <= len(d)-8:
		return binary.LittleEndian.Uint64(d[pos:])&k.mask == k.head
	case n > 8 && n <= 16:
		return binary.LittleEndian.Uint64(d[pos:]) == k.head &&
			binary.LittleEndian.Uint64(d[pos+n-8:]) == k.tail
	}
	return string(d[pos:pos+n]) == k.text
}

// memberNamed consumes the member name at the read position, with its
// colon, if it is key. It spares scanning and comparing the name.
func (st *state) memberNamed(key *memberKey) bool {
	if !key.matches(st.data, st.pos) {
		return false
	}
	st.pos += len(key.text)
	st.skipSpace()
	return true
}
