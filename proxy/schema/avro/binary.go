package avro

import "slices"

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

// blockCount is the item count of an array or map block, to be put at
// offset at of the output. Arrays and maps are written as one block, like
// Java's GenericDatumWriter does, but the count is only known once the
// JSON array or object has been read. The counts are put in place once
// the whole value is encoded, in one pass, rather than each moving what
// follows it, which for nested arrays would move the same bytes again at
// every level.
type blockCount struct {
	at, count int
	order     int // when the block ended: an outer block ends after the blocks it holds
}

// noteCount records that a block of count items starts at offset at.
func (st *state) noteCount(at, count int) {
	sp := st.scratch()
	sp.counts = append(sp.counts, blockCount{at: at, count: count, order: len(sp.counts)})
}

// insertCounts puts the noted block counts into dst, where the blocks start.
func (st *state) insertCounts(dst []byte) []byte {
	if st.spare == nil || len(st.spare.counts) == 0 {
		return dst
	}
	counts := st.spare.counts
	// Where blocks start at the same offset (an array whose first item is
	// an array), the outer count, which was noted last, comes first.
	slices.SortFunc(counts, func(a, b blockCount) int {
		if a.at != b.at {
			return a.at - b.at
		}
		return b.order - a.order
	})
	var scratch [10]byte
	grow := 0
	for _, c := range counts {
		grow += len(appendLong(scratch[:0], int64(c.count)))
	}
	read := len(dst)
	dst = append(dst, make([]byte, grow)...)
	write := len(dst)
	for i := len(counts) - 1; i >= 0; i-- {
		c := counts[i]
		write -= read - c.at
		copy(dst[write:], dst[c.at:read])
		count := appendLong(scratch[:0], int64(c.count))
		write -= len(count)
		copy(dst[write:], count)
		read = c.at
	}
	st.spare.counts = counts[:0]
	return dst
}
