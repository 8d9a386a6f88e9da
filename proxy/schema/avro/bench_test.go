package avro

import "testing"

// tenFieldSchema and tenFieldRecord are the record the proxy's Avro budget
// is stated for: ten fields of the common types, about 200 bytes of JSON.
const tenFieldSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"string"},
	{"name":"customer","type":"string"},
	{"name":"quantity","type":"int"},
	{"name":"created","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"sequence","type":"long"},
	{"name":"price","type":"double"},
	{"name":"paid","type":"boolean"},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED","CANCELLED"]}},
	{"name":"warehouse","type":"int"}]}`

const tenFieldRecord = `{"id":"7f1c2a9e-4b1d-4c8e-9a51-0d2c6e3f8b11","customer":"Ada Lovelace",` +
	`"quantity":3,"created":1700000000123,"sequence":9876543210,"price":19.99,"paid":true,` +
	`"note":{"string":"leave at door"},"status":"PAID","warehouse":12}`

func BenchmarkAppendTenFields(b *testing.B) {
	c, err := Compile(tenFieldSchema, nil)
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(tenFieldRecord)
	dst := make([]byte, 0, 256)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = c.Append(dst[:0], data); err != nil {
			b.Fatal(err)
		}
	}
}
