package avro

// appendLong appends v as Avro writes an int or a long: zigzag, then a
// little-endian base-128 varint.
func appendLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// appendLengthPrefixed appends b as Avro writes bytes and strings: its
// length as a long, then the bytes.
func appendLengthPrefixed(dst, b []byte) []byte {
	dst = appendLong(dst, int64(len(b)))
	return append(dst, b...)
}

// insertCount inserts the item count of an array or map block at offset
// at, in front of the items already appended after it. Arrays and maps
// are written as one block, like Java's GenericDatumWriter does, but the
// count is only known once the JSON array or object has been read.
func insertCount(dst []byte, at int, count int) []byte {
	var prefix [10]byte
	n := len(appendLong(prefix[:0], int64(count)))
	end := len(dst)
	dst = append(dst, prefix[:n]...)
	copy(dst[at+n:], dst[at:end])
	copy(dst[at:], prefix[:n])
	return dst
}
