package avro

import "encoding/binary"

// quotedText is a JSON string known in advance, a record field's or a
// union branch's name or an enum symbol, as compact JSON writes it:
// `"name":` for a record member, `{"name":` for a union value's object,
// `"SYMBOL"` for a value. Members mostly come in schema order, so each
// member's name is first tried as the field whose turn it is, straight
// on the text; the closing quote makes a match exact. Texts of up to 16
// bytes are compared as two masked 8-byte words, without a call to
// compare memory.
type quotedText struct {
	text     string
	words    [2]uint64 // text's first 16 bytes, little-endian, zero-padded
	masks    [2]uint64 // the bits of words that are text's
	wordless bool      // text is "" or longer than 16 bytes: compared as a string
}

// newQuotedText quotes s, between prefix and suffix. It matches nothing
// when writing s needs escapes: parsed Avro names never do, but a name
// is not trusted to be.
func newQuotedText(prefix, s, suffix string) quotedText {
	for _, c := range []byte(s) {
		if !plainStringByte(c) {
			return quotedText{wordless: true}
		}
	}
	q := quotedText{text: prefix + `"` + s + `"` + suffix}
	if len(q.text) > 16 {
		q.wordless = true
		return q
	}
	var padded, mask [16]byte
	copy(padded[:], q.text)
	for i := range q.text {
		mask[i] = 0xFF
	}
	for i := range q.words {
		q.words[i] = binary.LittleEndian.Uint64(padded[8*i:])
		q.masks[i] = binary.LittleEndian.Uint64(mask[8*i:])
	}
	return q
}

// startsWith reports whether text starts with q.
func (q *quotedText) startsWith(text []byte) bool {
	if q.wordless || len(text) < 16 {
		return q.prefixes(text)
	}
	first := binary.LittleEndian.Uint64(text)
	second := binary.LittleEndian.Uint64(text[8:])
	return (first^q.words[0])&q.masks[0]|(second^q.words[1])&q.masks[1] == 0
}

// prefixes is startsWith for long texts and for the end of the data, where fewer
// than 16 bytes are left.
func (q *quotedText) prefixes(text []byte) bool {
	return len(q.text) > 0 && len(text) >= len(q.text) && string(text[:len(q.text)]) == q.text
}
