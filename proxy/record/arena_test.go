package record

import (
	"bytes"
	"testing"
)

// Records parsed in one arena keep their own bytes: each decodes to what it
// said, whatever was parsed after it, and a record's slices cannot be
// appended into its neighbour's.
func TestParseIn_RecordsKeepTheirBytes(t *testing.T) {
	var a Arena
	var recs []Record
	for i := range 2000 {
		raw := []byte(`{"key":{"type":"STRING","data":"k` + string(rune('a'+i%26)) + `"},"value":{"type":"BINARY","data":"QUJD"}}`)
		rec, err := ParseIn(raw, &a)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := rec.Encode(nil); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		raw[10] = 'X' // the decoder reuses its buffer
		recs = append(recs, rec)
	}
	for i, rec := range recs {
		wantKey := "k" + string(rune('a'+i%26))
		if string(rec.Key.Bytes) != wantKey || string(rec.Value.Bytes) != "ABC" {
			t.Fatalf("record %d: key %q value %q, want %q and ABC", i, rec.Key.Bytes, rec.Value.Bytes, wantKey)
		}
		if cap(rec.Key.Bytes) != len(rec.Key.Bytes) {
			t.Fatalf("record %d: key capacity %d beyond its length %d", i, cap(rec.Key.Bytes), len(rec.Key.Bytes))
		}
	}
}

// Decoding BINARY and STRING values into an arena allocates nothing per
// record: only a new chunk now and then.
func TestParseIn_NoAllocationPerRecord(t *testing.T) {
	binary := []byte(`{"partition_id":1,"key":{"type":"BINARY","data":"a2V5"},"value":{"type":"BINARY","data":"` + string(bytes.Repeat([]byte("QUJD"), 34)) + `"}}`)
	str := []byte(`{"key":{"type":"STRING","data":"key"},"value":{"type":"STRING","data":"` + string(bytes.Repeat([]byte("abc"), 50)) + `"}}`)
	for name, raw := range map[string][]byte{"BINARY": binary, "STRING": str} {
		var a Arena
		allocs := testing.AllocsPerRun(1000, func() {
			rec, err := ParseIn(raw, &a)
			if err == nil {
				err = rec.Encode(nil)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per record, want 0", name, allocs)
		}
	}
}

// After Release the arena holds no chunk, and the next one is sized for
// what the period before used, not for the largest chunk.
func TestArena_ReleaseDropsTheChunk(t *testing.T) {
	var a Arena
	for range 100 {
		b := a.take(100)
		a.keep(append(b, make([]byte, 100)...))
	}
	a.Release()
	if a.chunk != nil {
		t.Fatalf("a released arena holds a chunk of %d bytes", cap(a.chunk))
	}
	a.keep(append(a.take(100), make([]byte, 100)...))
	if c := cap(a.chunk); c < 100 || c > arenaChunk {
		t.Errorf("first chunk after release: %d bytes, want between 100 and %d", c, arenaChunk)
	}
	a.Release()
	a.Release() // a period that used one record
	a.keep(append(a.take(100), make([]byte, 100)...))
	if c := cap(a.chunk); c != 100 {
		t.Errorf("first chunk after an idle period: %d bytes, want the record's 100", c)
	}
}
