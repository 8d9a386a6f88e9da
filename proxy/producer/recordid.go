package producer

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/segmentio/kafka-go"
)

// RecordIDHeader is the Kafka header that producer.recordIdHeader adds to
// every record (docs/configuration.md, README "Delivery guarantees").
const RecordIDHeader = "restproxy-record-id"

// recordIDs numbers the records of one process. An id is a random prefix,
// drawn once per process, and a counter: unique across pods and restarts
// without any coordination. It is set once, before kafka-go sees the
// message, so every attempt kafka-go sends of one record carries the same id,
// and a copy a retry stored twice is recognisable as the same record.
type recordIDs struct {
	prefix string
	next   atomic.Uint64
}

// recordIDLen is the length of every id: 16 hex digits of prefix, a dash,
// 16 hex digits of counter. A fixed length keeps the size check exact.
const recordIDLen = 16 + 1 + 16

func newRecordIDs() (*recordIDs, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("producer.recordIdHeader: draw the process's id prefix: %w", err)
	}
	return &recordIDs{prefix: hex.EncodeToString(b[:])}, nil
}

// header returns the next record's id header.
func (ids *recordIDs) header() kafka.Header {
	n := ids.next.Add(1)
	v := make([]byte, 0, recordIDLen)
	v = append(v, ids.prefix...)
	v = append(v, '-')
	hexN := strconv.AppendUint(nil, n, 16)
	for range 16 - len(hexN) {
		v = append(v, '0')
	}
	v = append(v, hexN...)
	return kafka.Header{Key: RecordIDHeader, Value: v}
}

// size is what the header adds to a record for the maxMessageBytes check:
// 0 when ids are off.
func (ids *recordIDs) size() int {
	if ids == nil {
		return 0
	}
	return len(RecordIDHeader) + recordIDLen
}
