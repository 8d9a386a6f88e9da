package proxy

import (
	"fmt"
	"testing"
)

// One stream mixing the three formats, schemas named every way, records
// without schemas and records that fail: every record gets its report, in
// order, and every stored record decodes to what was sent.
func TestProduceSchemas_MixedStream(t *testing.T) {
	t.Parallel()
	x := newSchemaFixture(t, avroFormat, "schemastream", nil)
	type sent struct {
		f     schemaFormat
		value string // the data object
		code  int
	}
	var records []sent
	for i, f := range schemaFormats {
		x.f = f
		subject := fmt.Sprintf("mixed-%d", i)
		id, version := x.register(subject, f.value)
		records = append(records,
			sent{f, dataObject("type", quoted(f.typ), "schema", quoted(f.value.text), "data", f.value.data), 200},
			sent{f, dataObject("schema_id", fmt.Sprint(id), "subject", quoted(subject), "data", f.value.data), 200},
			sent{f, dataObject("schema_version", fmt.Sprint(version), "subject", quoted(subject), "data", f.value.data), 200},
			sent{f, dataObject("subject", quoted(subject), "data", f.value.data), 200},
			sent{f, dataObject("schema_id", fmt.Sprint(id), "subject", quoted(subject), "data", f.badValue), 400},
			sent{schemaFormat{}, `{"type":"STRING","data":"plain"}`, 200},
			sent{f, dataObject("schema_id", "9999", "data", f.value.data), 422},
		)
	}
	// Each record's report is read before the next is sent: reports flow
	// while the client still streams. The cache serves the later rounds.
	s := openStream(t, x.ts.url("c", "schemastream"))
	for i := range 3 * len(records) {
		want := records[i%len(records)]
		s.send(`{"value":` + want.value + "}\n")
		r := s.next()
		if r.ErrorCode != want.code {
			t.Fatalf("record %d (%s): %s, want %d", i, want.value, r, want.code)
		}
		if r.ErrorCode != 200 || want.f.typ == "" {
			continue
		}
		x.f = want.f
		msg := readBack(t, "schemastream", r.PartitionID, r.Offset)
		x.checkStored(fmt.Sprintf("record %d", i), msg.Value, r.Value, &want.f.value, want.f.value.data)
	}
	s.closeSend()
	if rest := s.rest(); len(rest) != 0 {
		t.Errorf("%d reports after the last record's: %v", len(rest), rest)
	}
}

// A records:batch of schema records: each entry is encoded with its
// schema, a failing one is that entry's failure, and the 207's successes
// name the schema as the stream's reports do.
func TestProduceSchemas_Batch(t *testing.T) {
	t.Parallel()
	f := schemaFormats[2] // PROTOBUF
	x := newSchemaFixture(t, f, "schemastream", nil)
	id, _ := x.register("batch-value", f.value)
	value := dataObject("schema_id", fmt.Sprint(id), "subject", `"batch-value"`, "data", f.value.data)
	bad := dataObject("schema_id", fmt.Sprint(id), "subject", `"batch-value"`, "data", f.badValue)
	a := produceBatch(t, x.ts.batchURL("c", "schemastream"), batchOf(
		`{"id":"a","value":`+value+`}`, `{"id":"b","value":`+bad+`}`, `{"id":"c","value":`+value+`}`))
	if got := a.successIDs(); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("successes %v, want [a c]: %s", got, a.raw)
	}
	if len(a.Failures) != 1 || a.Failures[0].ErrorCode != 400 {
		t.Fatalf("failures %+v, want b's 400", a.Failures)
	}
	for _, s := range a.Successes {
		if s.Value == nil || s.Value.Subject != "batch-value" || s.Value.SchemaID != id {
			t.Errorf("entry %s: value %+v, want subject batch-value and schema %d", s.ID, s.Value, id)
		}
		msg := readBack(t, "schemastream", s.PartitionID, s.Offset)
		x.checkStored("entry "+s.ID, msg.Value, s.Value, &f.value, f.value.data)
	}
}
