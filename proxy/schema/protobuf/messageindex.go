package protobuf

import "encoding/binary"

// appendMessageIndexes writes which message of the schema file a record
// is, in Confluent's wire format: the path of indexes from the file's
// top-level messages down through nested ones ([1, 0] is the first message
// nested in the second top-level one), as a zigzag varint count followed
// by each index as a zigzag varint. The path [0], the first message and by
// far the most common, is written as a single zero byte (a count of zero),
// as Confluent's serializer does and its deserializer expects.
//
// Records always use the first message today, so only [0] reaches this;
// the general form is here so that choosing another message is a change of
// argument, not of format.
func appendMessageIndexes(dst []byte, indexes []int) []byte {
	if len(indexes) == 0 || (len(indexes) == 1 && indexes[0] == 0) {
		return append(dst, 0)
	}
	// binary.AppendVarint is the zigzag encoding Confluent's varints use.
	dst = binary.AppendVarint(dst, int64(len(indexes)))
	for _, index := range indexes {
		dst = binary.AppendVarint(dst, int64(index))
	}
	return dst
}
