package protobuf

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

func TestAppendMessageIndexes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		indexes []int
		want    []byte
	}{
		{[]int{0}, []byte{0x00}},
		{nil, []byte{0x00}},
		{[]int{1}, []byte{0x02, 0x02}},
		{[]int{0, 2}, []byte{0x04, 0x00, 0x04}},
		{[]int{1, 0}, []byte{0x04, 0x02, 0x00}},
		{[]int{64}, []byte{0x02, 0x80, 0x01}},
	}
	for _, tt := range tests {
		got := appendMessageIndexes([]byte{0xff}, tt.indexes)
		if !bytes.Equal(got, append([]byte{0xff}, tt.want...)) {
			t.Errorf("appendMessageIndexes(%v) = %x, want ff%x", tt.indexes, got, tt.want)
		}
		if decoded := readMessageIndexes(t, got[1:]); !slices.Equal(decoded, orFirst(tt.indexes)) {
			t.Errorf("%x reads back as %v, want %v", got[1:], decoded, orFirst(tt.indexes))
		}
	}
}

// readMessageIndexes is the reading side as Confluent's deserializer does
// it: a zero count means [0].
func readMessageIndexes(t *testing.T, encoded []byte) []int {
	t.Helper()
	reader := bytes.NewReader(encoded)
	count, err := binary.ReadVarint(reader)
	if err != nil {
		t.Fatalf("read count from %x: %v", encoded, err)
	}
	if count == 0 {
		return []int{0}
	}
	indexes := make([]int, count)
	for i := range indexes {
		index, err := binary.ReadVarint(reader)
		if err != nil {
			t.Fatalf("read index %d from %x: %v", i, encoded, err)
		}
		indexes[i] = int(index)
	}
	if reader.Len() != 0 {
		t.Fatalf("%x has %d bytes after its indexes", encoded, reader.Len())
	}
	return indexes
}

func orFirst(indexes []int) []int {
	if len(indexes) == 0 {
		return []int{0}
	}
	return indexes
}
