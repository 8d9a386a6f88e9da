package avro

import (
	"fmt"
	"strings"
	"testing"
)

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

// tenFieldReversed is tenFieldRecord with its members in reverse order,
// the worst order for the record encoder.
const tenFieldReversed = `{"warehouse":12,"status":"PAID","note":{"string":"leave at door"},` +
	`"paid":true,"price":19.99,"sequence":9876543210,"created":1700000000123,"quantity":3,` +
	`"customer":"Ada Lovelace","id":"7f1c2a9e-4b1d-4c8e-9a51-0d2c6e3f8b11"}`

func BenchmarkAppendTenFields(b *testing.B) {
	benchmarkAppend(b, tenFieldSchema, tenFieldRecord)
}

func BenchmarkAppendTenFieldsReversed(b *testing.B) {
	benchmarkAppend(b, tenFieldSchema, tenFieldReversed)
}

// BenchmarkAppendDeepOutOfOrder is data for a recursive type whose members
// come out of order at every level: its cost per level stays flat as the
// depth grows, instead of growing with it.
func BenchmarkAppendDeepOutOfOrder(b *testing.B) {
	schema := `{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}`
	for _, depth := range []int{50, 450} {
		data := strings.Repeat(`{"next":{"Node":`, depth) + `{"next":null,"v":0}` + strings.Repeat(`},"v":1}`, depth)
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			benchmarkAppend(b, schema, data)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), "ns/level")
		})
	}
}

func benchmarkAppend(b *testing.B, schema, data string) {
	c, err := Compile(schema, nil)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(data)
	dst := make([]byte, 0, len(input))
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	startCPU := processCPU()
	for b.Loop() {
		if dst, err = c.Append(dst[:0], input); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, startCPU)
}

// TestAppendAllocatesNothing checks that encoding a record whose members
// come in schema order allocates nothing: the call's state stays on the
// stack (an encoder called through an interface would move it to the
// heap) and such a record needs no scratch space. It does not run in
// parallel, as other tests' allocations would count.
func TestAppendAllocatesNothing(t *testing.T) {
	c, err := Compile(tenFieldSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, dst := []byte(tenFieldRecord), make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		if dst, err = c.Append(dst[:0], data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Append allocates %.1f times per record, want 0", allocs)
	}
}
