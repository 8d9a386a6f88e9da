package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// batchResult is everything a batch decoder produced for one body.
type batchResult struct {
	entries []Entry // Raw cloned
	err     error   // the first error; io.EOF at a good end
}

func decodeBatch(r io.Reader, max int) batchResult {
	d := NewBatchDecoder(r, max)
	var res batchResult
	for {
		e, err := d.Next()
		if err != nil {
			res.err = err
			return res
		}
		e.Raw = bytes.Clone(e.Raw)
		res.entries = append(res.entries, e)
	}
}

func batchMessage(err error) string {
	var ae *apierror.Error
	if errors.As(err, &ae) && ae.Kind == apierror.InvalidBatch {
		return ae.Message
	}
	return fmt.Sprintf("not a batch error: %v", err)
}

// docs/produce-api.md, "Batch produce": the batch-level rules, each one
// refusing the whole batch with the message that names the problem.
func TestBatchDecoder_BatchErrors(t *testing.T) {
	cases := map[string]string{
		``:                                    `Bad Request: the body must be a JSON object with an "entries" array; it is empty.`,
		"  \n":                                `Bad Request: the body must be a JSON object with an "entries" array; it is empty.`,
		`[]`:                                  `Bad Request: the body must be a JSON object with an "entries" array, not an array.`,
		`"x"`:                                 `Bad Request: the body must be a JSON object with an "entries" array, not a string.`,
		`xyz`:                                 `Bad Request: the body must be a JSON object with an "entries" array, not a value starting with 'x'.`,
		`{}`:                                  `Bad Request: the body has no "entries" array.`,
		`{"entries":null}`:                    `Bad Request: "entries" must be an array, not null.`,
		`{"entries":{}}`:                      `Bad Request: "entries" must be an array, not an object.`,
		`{"other":[]}`:                        `Bad Request: Unrecognized field "other" in the batch (known fields: "entries").`,
		`{"entries":[],"x":1}`:                `Bad Request: Unrecognized field "x" in the batch (known fields: "entries").`,
		`{"entries":[],"entries":[]}`:         `Bad Request: Duplicate field "entries" in the batch.`,
		`{"entries":[]} {}`:                   `Bad Request: invalid JSON at offset 15: invalid character '{' after the batch object.`,
		`{"entries":[`:                        `Bad Request: invalid JSON at offset 12: unexpected end of the body looking for an entry or ']'.`,
		`{"entries":[{"id":"a"}`:              `Bad Request: invalid JSON at offset 22: unexpected end of the body looking for ',' or ']' after an entry.`,
		`{"entries":[{"id":"a"} {"id":"b"}]}`: `Bad Request: invalid JSON at offset 23: invalid character '{' after an entry.`,
		`{"entries":[{"id":"a","value":`:      `Bad Request: invalid JSON at offset 30: unexpected end of the body in entries[0].`,
		`{"entries" []}`:                      `Bad Request: invalid JSON at offset 11: invalid character '[' after object key.`,
		`{"entries":[1]}`:                     `Bad Request: entries[0] must be a JSON object with an "id", not a number.`,
		`{"entries":[{"id":"a"},null]}`:       `Bad Request: entries[1] must be a JSON object with an "id", not null.`,
		`{"entries":[{"value":null}]}`:        `Bad Request: entries[0] has no "id".`,
		`{"entries":[{"x":{"id":"a"}}]}`:      `Bad Request: entries[0] has no "id".`,
		`{"entries":[{"id":7}]}`:              `Bad Request: entries[0].id must be a string, not a number.`,
		`{"entries":[{"id":null}]}`:           `Bad Request: entries[0].id must be a string, not null.`,
		`{"entries":[{"id":{"a":1}}]}`:        `Bad Request: entries[0].id must be a string, not an object.`,
		`{"entries":[{"id":""}]}`:             `Bad Request: entries[0].id must be 1 to 80 characters long; it has 0.`,
		`{"entries":[{"id":"` + strings.Repeat("é", 81) + `"}]}`:   `Bad Request: entries[0].id must be 1 to 80 characters long; it has 81.`,
		`{"entries":[{"id":"` + strings.Repeat("x", 2000) + `"}]}`: `Bad Request: entries[0].id must be 1 to 80 characters long; it has more.`,
		`{"entries":[{"id":"a\x01"}]}`:                             `Bad Request: entries[0].id is not a valid JSON string.`,
		`{"entries":[{"id":"\ud800"}]}`:                            `Bad Request: entries[0].id is not a valid JSON string.`,
	}
	for body, want := range cases {
		for _, chunk := range []int{1, 3, 1 << 20} {
			res := decodeBatch(&chunkReader{b: []byte(body), n: chunk}, 0)
			if got := batchMessage(res.err); got != want {
				t.Errorf("%.60q (reads of %d): %s\nwant %s", body, chunk, got, want)
			}
		}
	}
}

// An entry's id is found wherever it is in the entry, escapes decoded, and
// the entry's text is handed on whole, even when it is broken inside: that
// is the entry's own failure, for the record parser to name.
func TestBatchDecoder_Entries(t *testing.T) {
	body := `{ "entries" : [
		{"id":"a","value":{"type":"STRING","data":"x"}},
		{"value":{"type":"JSON","data":{"id":"inner","s":"}\"]"}},"i\u0064":"b\u00e9"},
		{"id":"c", "value": tru},
		{"id":"d" "partition_id":1}
	] }  `
	want := []struct{ id, raw string }{
		{"a", `{"id":"a","value":{"type":"STRING","data":"x"}}`},
		{"bé", `{"value":{"type":"JSON","data":{"id":"inner","s":"}\"]"}},"i\u0064":"b\u00e9"}`},
		{"c", `{"id":"c", "value": tru}`},
		{"d", `{"id":"d" "partition_id":1}`},
	}
	for _, chunk := range []int{1, 2, 7, 1 << 20} {
		res := decodeBatch(&chunkReader{b: []byte(body), n: chunk}, 0)
		if res.err != io.EOF {
			t.Fatalf("reads of %d: error %v", chunk, res.err)
		}
		if len(res.entries) != len(want) {
			t.Fatalf("reads of %d: %d entries, want %d", chunk, len(res.entries), len(want))
		}
		for i, w := range want {
			e := res.entries[i]
			if e.Index != i || e.ID != w.id || string(e.Raw) != w.raw || e.Size != len(w.raw) || e.TooLarge {
				t.Errorf("reads of %d: entry %d = %+v (raw %s), want id %q raw %s", chunk, i, e, e.Raw, w.id, w.raw)
			}
		}
	}
	res := decodeBatch(strings.NewReader(`{"entries":[]}`), 0)
	if res.err != io.EOF || len(res.entries) != 0 {
		t.Errorf("empty entries: %v, %v; want no entry and io.EOF", res.entries, res.err)
	}
}

// An entry over the size limit is read through without being held, its id
// still taken, and the entries after it are read as usual.
func TestBatchDecoder_TooLargeEntry(t *testing.T) {
	big := `{"value":{"type":"STRING","data":"` + strings.Repeat("y", 1<<20) + `"},"id":"big"}`
	body := `{"entries":[{"id":"a"},` + big + `,{"id":"c"}]}`
	for _, chunk := range []int{4096, 1 << 22} {
		d := NewBatchDecoder(&chunkReader{b: []byte(body), n: chunk}, 100)
		var got []Entry
		for {
			e, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
			if cap(d.cur) > 4096 {
				t.Fatalf("the decoder holds %d bytes for an entry limited to 100", cap(d.cur))
			}
		}
		if len(got) != 3 || got[1].ID != "big" || !got[1].TooLarge || got[1].Raw != nil || got[1].Size != len(big) || got[2].ID != "c" || got[2].TooLarge {
			t.Errorf("entries = %+v", got)
		}
	}
}

// Count reads the rest of a batch refused for its size, counting entries of
// any kind and checking only the structure.
func TestBatchDecoder_Count(t *testing.T) {
	d := NewBatchDecoder(strings.NewReader(`{"entries":[{"id":"a"},{"id":"b"},{},7,"s",[1,{}],{"id":3}]}`), 0)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Count(); n != 7 || err != nil {
		t.Errorf("Count = %d, %v; want 7, nil", n, err)
	}
	d = NewBatchDecoder(strings.NewReader(`{"entries":[{"id":"a"},{"id":"b"},{} x]}`), 0)
	d.Next()
	if _, err := d.Count(); !strings.Contains(batchMessage(err), "invalid JSON") {
		t.Errorf("Count of a broken body: %v", err)
	}
}

// A read error of the body is returned as it is, not as a batch error.
func TestBatchDecoder_ReadError(t *testing.T) {
	boom := errors.New("boom")
	d := NewBatchDecoder(io.MultiReader(strings.NewReader(`{"entries":[{"id":"a",`), &errReader{boom}), 0)
	if _, err := d.Next(); err != boom {
		t.Errorf("Next = %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzBatchDecode checks the batch decoder against encoding/json on any
// body: it never panics or loops, never hands on more than the limit, and
// a body encoding/json reads as a batch of objects with valid string ids
// and nothing else decodes to exactly those entries; a body that is not
// valid JSON is never accepted whole unless its entries alone are broken.
func FuzzBatchDecode(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`{"entries":[]}`,
		`{"entries":[{"id":"a"}]}`,
		`{"entries":[{"id":"a","value":{"type":"STRING","data":"x"}},{"id":"b","partition_id":2}]}`,
		`{"entries":[{"id":"a\u0062","key":{"type":"JSON","data":{"id":"no","x":"}]"}}}]}`,
		`{"entries":[{"id":"a"},{"id":"a"}]}`,
		`{"entries":[{"value":1,"id":"x"}], "extra":true}`,
		`{"entries":[{"id":7}]}`,
		`{"entries":[{"id":"é"}],"entries":[]}`,
		`{"entries":[{"id":"a","value":tru}]}`,
		`{"entries":[{"id":"a"}]}{}`,
		`{"entries":[{"id":"` + strings.Repeat("z", 90) + `"}]}`,
		`{"entries":[{"x":"\\"}, {"id":"q"}]}`,
		`{"entries":[{"id":"a","v":[[[[[]]]]]}]}`,
		"\ufeff{\"entries\":[]}",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(7), uint16(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, chunk uint8, limit uint16) {
		max := int(limit)
		res := decodeBatch(&chunkReader{b: body, n: int(chunk%64) + 1}, max)
		if res.err != io.EOF && !IsBatchError(res.err) {
			t.Fatalf("error %v is neither io.EOF nor a batch error", res.err)
		}
		// The way the body arrives changes nothing.
		whole := decodeBatch(bytes.NewReader(body), max)
		if fmt.Sprint(whole.err) != fmt.Sprint(res.err) || len(whole.entries) != len(res.entries) {
			t.Fatalf("chunked: %v, %d entries; whole: %v, %d entries", res.err, len(res.entries), whole.err, len(whole.entries))
		}
		ids := map[string]bool{}
		for i, e := range res.entries {
			if e.Index != i || !utf8.ValidString(e.ID) || utf8.RuneCountInString(e.ID) < 1 || utf8.RuneCountInString(e.ID) > MaxIDLength {
				t.Fatalf("entry %d: %+v", i, e)
			}
			if max > 0 && (len(e.Raw) > max || e.TooLarge != (e.Size > max)) {
				t.Fatalf("entry %d: %d bytes held, size %d, TooLarge %v, limit %d", i, len(e.Raw), e.Size, e.TooLarge, max)
			}
			if !e.TooLarge && (len(e.Raw) != e.Size || e.Raw[0] != '{' || (e.Raw[len(e.Raw)-1] != '}' && e.Raw[len(e.Raw)-1] != ']')) {
				t.Fatalf("entry %d: raw %q, size %d", i, e.Raw, e.Size)
			}
			if !e.TooLarge && !bytes.Contains(body, e.Raw) {
				t.Fatalf("entry %d: raw %q is not in the body", i, e.Raw)
			}
			ids[e.ID] = true
			if !e.TooLarge {
				ParseEntryIn(e.Raw, nil) // whatever the entry holds, parsing it must not panic
			}
		}
		want, ok := jsonBatch(body)
		if !ok {
			return
		}
		if res.err != io.EOF {
			t.Fatalf("encoding/json reads a valid batch; the decoder says %v", res.err)
		}
		if len(want) != len(res.entries) {
			t.Fatalf("%d entries, encoding/json finds %d", len(res.entries), len(want))
		}
		for i, w := range want {
			e := res.entries[i]
			if e.ID != w.id || e.Size != len(w.raw) || (!e.TooLarge && string(e.Raw) != w.raw) {
				t.Fatalf("entry %d: id %q raw %q; encoding/json: id %q raw %q", i, e.ID, e.Raw, w.id, w.raw)
			}
		}
	})
}

// jsonBatch is the reading of body by encoding/json: the entries of a body
// that is exactly {"entries":[objects]} with a valid string "id" in each
// (once: encoding/json would take the last of duplicates), and whether it
// is such a body.
func jsonBatch(body []byte) (entries []struct{ id, raw string }, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || len(top) != 1 || top["entries"] == nil {
		return nil, false
	}
	if strings.Count(string(body), `"entries"`) != 1 {
		return nil, false // a duplicate member, or an escaped key: keep the oracle simple
	}
	var raws []json.RawMessage
	if json.Unmarshal(top["entries"], &raws) != nil {
		return nil, false
	}
	for _, r := range raws {
		var members map[string]json.RawMessage
		if json.Unmarshal(r, &members) != nil {
			return nil, false
		}
		var id string
		if json.Unmarshal(members["id"], &id) != nil {
			return nil, false
		}
		if n := utf8.RuneCountInString(id); n < 1 || n > MaxIDLength || !utf8.ValidString(id) || strings.ContainsRune(id, utf8.RuneError) {
			return nil, false
		}
		if c := strings.Count(string(r), `"id"`); c != 1 || bytes.Contains(r, []byte(`\u`)) {
			return nil, false // a nested or escaped "id": encoding/json and the entry scan need not agree on which
		}
		entries = append(entries, struct{ id, raw string }{id, string(bytes.TrimSpace(r))})
	}
	return entries, true
}
