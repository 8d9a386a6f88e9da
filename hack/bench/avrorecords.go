package main

import (
	"fmt"
	"strconv"
	"strings"
)

// benchAvroSchema is the stream-8-avro mode's value schema: ten fields of
// the types records commonly carry, a union with null among them.
const benchAvroSchema = `{"type":"record","name":"Order","namespace":"bench","fields":[` +
	`{"name":"id","type":"string"},` +
	`{"name":"user","type":"string"},` +
	`{"name":"qty","type":"int"},` +
	`{"name":"ts","type":"long"},` +
	`{"name":"price","type":"double"},` +
	`{"name":"rate","type":"double"},` +
	`{"name":"gift","type":"boolean"},` +
	`{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID","SENT"]}},` +
	`{"name":"note","type":["null","string"],"default":null},` +
	`{"name":"memo","type":"string"}]}`

// avroStates are the enum's symbols, as the records cycle through them.
var avroStates = []string{"NEW", "PAID", "SENT"}

// newAvroRecordSet builds n records whose value is a data object naming
// schemaID (no "type": a registered schema has its own, AVRO here), each
// record's JSON exactly the same size: size, or
// the smallest that fits every record when size is smaller. Keys are
// those of newRecordSet, so records spread over the partitions alike.
// The "memo" string absorbs the differences in length; the union is
// written in Avro's JSON encoding ({"string": ...}), as the reference
// implementation reads it.
func newAvroRecordSet(n, size int, schemaID int) (*recordSet, error) {
	if n < 1 || n > 10_000_000 {
		return nil, fmt.Errorf("record set of %d records: want 1 to 10,000,000", n)
	}
	heads := make([]string, n)
	longest := 0
	for i := range heads {
		heads[i] = avroRecordHead(i, schemaID)
		longest = max(longest, len(heads[i])+len(avroRecordTail))
	}
	size = max(size, longest)
	s := &recordSet{size: size}
	for i, head := range heads {
		rec := head + strings.Repeat("m", size-len(head)-len(avroRecordTail)) + avroRecordTail
		s.json = append(s.json, []byte(rec))
		s.keys = append(s.keys, []byte(avroKey(i)))
		s.stream = append(append(s.stream, rec...), '\n')
	}
	return s, nil
}

// avroRecordTail ends a record after the memo's text.
const avroRecordTail = `"}}}`

// avroRecordHead is record i up to the memo's text.
func avroRecordHead(i, schemaID int) string {
	note := "null"
	if i%2 == 1 {
		note = `{"string":"ring"}`
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"key":{"type":"STRING","data":%q},"value":{"schema_id":%d,"data":{`, avroKey(i), schemaID)
	fmt.Fprintf(&b, `"id":"o%s","user":"u%d","qty":%d,"ts":%d,`, leftPad(strconv.Itoa(i), minKeyDigits), i%1000, i%9+1, 1764000000000+int64(i))
	fmt.Fprintf(&b, `"price":%s,"rate":%s,"gift":%t,"state":%q,"note":%s,"memo":"`,
		strconv.FormatFloat(float64(100+i%900)/100, 'f', -1, 64), strconv.FormatFloat(float64(i%8)/8, 'f', -1, 64),
		i%5 == 0, avroStates[i%len(avroStates)], note)
	return b.String()
}

func avroKey(i int) string { return "k" + leftPad(strconv.Itoa(i), minKeyDigits) }
