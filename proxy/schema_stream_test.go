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
