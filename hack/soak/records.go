package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Every soak record carries its own identity, so a record read back from
// Kafka can be checked without remembering what was sent: its STRING key
// is "s" and its id in 16 hex digits, and its BINARY value is a fixed
// payload, a zero byte and the id's 8 bytes. The JSON is about 200 bytes,
// the benchmark's record size.
const (
	payloadBytes = 72 // a multiple of 3, so its base64 has no padding
	valueBytes   = payloadBytes + 1 + 8
	keyPrefix    = `{"key":{"type":"STRING","data":"s`
	valuePrefix  = `"},"value":{"type":"BINARY","data":"`
	recordSuffix = `"}}`
)

// recordCodec writes records as JSON for the proxy and checks them as
// Kafka stores them.
type recordCodec struct {
	payload    []byte
	payloadB64 []byte
}

func newRecordCodec() *recordCodec {
	rng := rand.New(rand.NewPCG(3, 4))
	payload := make([]byte, payloadBytes)
	for i := range payload {
		payload[i] = byte(rng.Uint32())
	}
	return &recordCodec{payload: payload, payloadB64: base64.StdEncoding.AppendEncode(nil, payload)}
}

// appendJSON appends record id's JSON text to dst.
func (c *recordCodec) appendJSON(dst []byte, id uint64) []byte {
	dst = append(dst, keyPrefix...)
	dst = appendHex16(dst, id)
	dst = append(dst, valuePrefix...)
	dst = append(dst, c.payloadB64...)
	var tail [9]byte // the zero byte and the id: 12 base64 characters
	binary.BigEndian.PutUint64(tail[1:], id)
	dst = base64.StdEncoding.AppendEncode(dst, tail[:])
	return append(dst, recordSuffix...)
}

func appendHex16(dst []byte, id uint64) []byte {
	var hex [16]byte
	s := strconv.AppendUint(hex[:0], id, 16)
	for range 16 - len(s) {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// check returns the id of a record as Kafka holds it, or why its key and
// value are not those of one soak record.
func (c *recordCodec) check(key, value []byte) (uint64, error) {
	if len(key) != 17 || key[0] != 's' {
		return 0, fmt.Errorf("key %q is not a soak record's", key)
	}
	id, err := strconv.ParseUint(string(key[1:]), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("key %q: %w", key, err)
	}
	if len(value) != valueBytes || !bytes.Equal(value[:payloadBytes], c.payload) || value[payloadBytes] != 0 {
		return 0, fmt.Errorf("record %d: value of %d bytes is not the soak payload", id, len(value))
	}
	if got := binary.BigEndian.Uint64(value[payloadBytes+1:]); got != id {
		return 0, fmt.Errorf("record %d: value carries id %d", id, got)
	}
	return id, nil
}

// parseReport returns the partition and offset of a success report
// (produce-api.md, "Success report": its fields come in a fixed order).
func parseReport(line []byte) (int32, int64, error) {
	p, err := intAfter(line, `"partition_id":`)
	if err != nil {
		return 0, 0, err
	}
	o, err := intAfter(line, `"offset":`)
	if err != nil {
		return 0, 0, err
	}
	return int32(p), o, nil
}

func intAfter(line []byte, field string) (int64, error) {
	i := bytes.Index(line, []byte(field))
	if i < 0 {
		return 0, fmt.Errorf("report without %s: %q", field, bytes.TrimSpace(line))
	}
	rest := line[i+len(field):]
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0, fmt.Errorf("report with an unended %s: %q", field, bytes.TrimSpace(line))
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("report's %s: %w", field, err)
	}
	return n, nil
}
