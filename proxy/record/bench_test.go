package record

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// typicalRecord is a ~200-byte record as clients send it: a STRING key, a JSON
// value and one header.
const typicalRecord = `{"headers":[{"name":"trace-id","value":"MDEyMzQ1Njc4OWFiY2RlZg=="}],"key":{"type":"STRING","data":"customer-00042"},"value":{"type":"JSON","data":{"order":1234567,"item":"widget","qty":3,"price":19.99}}}`

func BenchmarkParseEncode(b *testing.B) {
	benchParseEncode(b, typicalRecord, nil)
}

// benchParseEncode parses, validates and encodes raw once per iteration,
// into one arena as a stream's intake does, then runs check, when set, on
// the result. Its allocations per op are the decode path's per record: the
// header list of a record that has headers, nothing for one without.
func benchParseEncode(b *testing.B, raw string, check func(*Record) error) {
	data := []byte(raw)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := processCPU()
	var arena Arena
	var rec Record // one, as the intake's batch holds them
	for b.Loop() {
		var err *apierror.Error
		rec, err = ParseIn(data, &arena)
		if err != nil {
			b.Fatal(err)
		}
		if err := rec.Encode(nil); err != nil {
			b.Fatal(err)
		}
		if check != nil {
			if err := check(&rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu, 1, "op")
}

// schemaRecord is a record whose value names an Avro schema of ten fields
// by id, as hack/bench's stream-8-avro mode sends: many short strings.
const schemaRecord = `{"key":{"type":"STRING","data":"k0000042"},"value":{"schema_id":1,"data":{"id":"o0000042","user":"u42",` +
	`"qty":3,"ts":1764000000123,"price":19.99,"rate":0.125,"gift":false,"state":"PAID","note":{"string":"ring"},"memo":"mmmmmmmmmm"}}}`

func BenchmarkStreamDecoder(b *testing.B) {
	for _, bc := range []struct{ name, record string }{{"typical", typicalRecord}, {"schema", schemaRecord}} {
		b.Run(bc.name, func(b *testing.B) { benchmarkStreamDecoder(b, bc.record) })
	}
}

func benchmarkStreamDecoder(b *testing.B, record string) {
	const records = 10000
	body := bytes.Repeat([]byte(record+"\r\n"), records)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		d := NewStreamDecoder(bytes.NewReader(body), 1<<20)
		n := 0
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != records {
			b.Fatalf("%d records, want %d", n, records)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/record")
	reportCPU(b, cpu, records, "record")
}

func BenchmarkAppendSuccess(b *testing.B) {
	s := &Success{ClusterID: "lkc-abc123", Topic: "orders", Partition: 3, Offset: 123456789,
		Timestamp: time.Date(2023, 5, 16, 18, 20, 51, 844_000_000, time.UTC),
		Key:       Data{Typed: true, Type: TypeString, Bytes: []byte("customer-00042")}.Summary(),
		Value:     Data{Typed: true, Type: TypeJSON, Bytes: []byte(`{"order":1}`)}.Summary()}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		buf = AppendSuccess(buf[:0], s)
	}
	reportCPU(b, cpu, 1, "op")
}

func BenchmarkAppendError(b *testing.B) {
	e := testError(400, `Bad Request: data="not base64!" is not a valid base64 string.`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		buf = AppendError(buf[:0], e)
	}
	reportCPU(b, cpu, 1, "op")
}
