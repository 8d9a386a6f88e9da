package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// recordSet is the workload every mode sends: the same records as JSON for
// the proxy and as key and value bytes for the direct kafka-go writer, so
// the proxy stores byte for byte what the direct mode stores.
type recordSet struct {
	json   [][]byte // each exactly size bytes, the record's own JSON text
	keys   [][]byte // key bytes as stored (the STRING key's data)
	value  []byte   // value bytes as stored (the BINARY value decoded)
	size   int
	stream []byte // every record followed by "\n": one streaming chunk
}

const (
	recordPrefix = `{"key":{"type":"STRING","data":"`
	recordMiddle = `"},"value":{"type":"BINARY","data":"`
	recordSuffix = `"}}`
	// minKeyDigits keeps keys distinct across a set of up to 10^7 records.
	minKeyDigits = 7
)

// minRecordBytes is the smallest record JSON newRecordSet can build: the
// fixed text, a key of "k" and minKeyDigits digits, and an empty value.
var minRecordBytes = len(recordPrefix) + 1 + minKeyDigits + len(recordMiddle) + len(recordSuffix)

// newRecordSet builds n records whose JSON text is exactly size bytes: a
// STRING key "k0000042" (its digits widened to absorb what base64 cannot)
// and a BINARY value of random bytes. Keys are distinct, so the proxy's
// murmur2 partitioner spreads them over the partitions as kafka-go's does.
func newRecordSet(n, size int) (*recordSet, error) {
	if size < minRecordBytes {
		return nil, fmt.Errorf("--record-bytes %d: the smallest record this benchmark builds is %d bytes", size, minRecordBytes)
	}
	if n < 1 || n > 10_000_000 {
		return nil, fmt.Errorf("record set of %d records: want 1 to 10,000,000", n)
	}
	rest := size - minRecordBytes // bytes left for the value's base64 and extra key digits
	b64 := rest - rest%4
	digits := minKeyDigits + rest%4
	value := make([]byte, b64/4*3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range value {
		value[i] = byte(rng.Uint32())
	}
	encoded := base64.StdEncoding.EncodeToString(value)

	s := &recordSet{value: value, size: size}
	for i := range n {
		key := "k" + leftPad(strconv.Itoa(i), digits)
		rec := recordPrefix + key + recordMiddle + encoded + recordSuffix
		if len(rec) != size {
			return nil, fmt.Errorf("built a %d-byte record, want %d (bug)", len(rec), size)
		}
		s.json = append(s.json, []byte(rec))
		s.keys = append(s.keys, []byte(key))
		s.stream = append(append(s.stream, rec...), '\n')
	}
	return s, nil
}

func leftPad(s string, width int) string {
	for len(s) < width {
		s = "0" + s
	}
	return s
}
