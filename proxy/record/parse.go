package record

import (
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Parse decodes one record's JSON text (one JSON value, as cut by the
// StreamDecoder) and applies the structural checks of docs/produce-api.md
// ("The record object"). Every error is a
// per-record 400: a value that is not an object, invalid JSON inside it, an
// unknown or duplicate field at any level, a field of the wrong type, a bad
// "type", a missing "data", a header without a name or with a value that is not
// padded standard base64, a schema field next to BINARY, JSON or STRING, a bad
// timestamp or one before 1970.
//
// Parse also decodes the key and value, but keeps encoding errors (400 and 422)
// for Encode, which the server calls later (the per-record order of checks
// of docs/produce-api.md). The Record owns all its bytes: raw may be reused
// after Parse returns. On error the returned Record carries only Size.
func Parse(raw []byte) (Record, *apierror.Error) { return ParseIn(raw, nil) }

// ParseIn is Parse with the record's decoded bytes taken from a, shared
// with the records parsed before it; a nil a allocates them for this record
// alone.
func ParseIn(raw []byte, a *Arena) (Record, *apierror.Error) {
	return parseIn(raw, a, false)
}

// ParseStreamedIn is ParseIn for a record the stream decoder d returned
// last: the extents it found on the way (Inner) spare the parser looking
// for them again.
func ParseStreamedIn(raw []byte, a *Arena, d *StreamDecoder) (Record, *apierror.Error) {
	p := parser{lexer: lexer{b: trimSpace(raw)}, shared: a}
	if len(p.b) > 0 && len(raw) > 0 && &p.b[0] == &raw[0] { // the extents count from raw's first byte
		p.inner = d.Inner()
	}
	return p.parse()
}

// ParseEntryIn is ParseIn for one entry of a records:batch request: a
// record object that may also have an "id" member, which BatchDecoder has
// checked already and which is skipped here (a second "id" is a duplicate
// field, as for any other member).
func ParseEntryIn(raw []byte, a *Arena) (Record, *apierror.Error) {
	return parseIn(raw, a, true)
}

func parseIn(raw []byte, a *Arena, entry bool) (Record, *apierror.Error) {
	p := parser{lexer: lexer{b: trimSpace(raw)}, shared: a, entry: entry}
	return p.parse()
}

func (p *parser) parse() (Record, *apierror.Error) {
	defer p.release()
	rec := Record{Partition: AnyPartition, Size: len(p.b)}
	if err := p.record(&rec); err != nil {
		return Record{Partition: AnyPartition, Size: rec.Size}, err
	}
	return rec, nil
}

// parser holds the state of one Parse call.
type parser struct {
	lexer
	// arena holds every decoded byte of the record (header values, key, value)
	// in one piece of memory: decoding never makes text longer, so len(raw)
	// is enough. It comes from shared when there is one.
	arena  []byte
	shared *Arena
	// entry allows the "id" member of a batch entry.
	entry bool
	// inner are the extents of the record's data objects, when the stream
	// decoder found them (ParseStreamedIn).
	inner []Extent
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// Field bits, used to find duplicates and absent fields.
const (
	fieldPartition = 1 << iota
	fieldHeaders
	fieldKey
	fieldValue
	fieldTimestamp
	fieldID
)

const (
	recordFields = `"partition_id", "headers", "key", "value", "timestamp"`
	entryFields  = `"id", ` + recordFields
)

func (p *parser) record(rec *Record) *apierror.Error {
	switch c := p.peek(); c {
	case '{':
	case 0:
		return p.unexpected("looking for beginning of value")
	default:
		if kind := jsonKind(c); kind != "" {
			return apierror.Detailf(apierror.InvalidRecord, "A record must be a JSON object, not %s.", kind)
		}
		return p.unexpected("looking for beginning of value")
	}
	seen := 0
	err := p.members(func(key []byte) *apierror.Error {
		var bit int
		var err *apierror.Error
		switch string(key) {
		case "partition_id":
			bit = fieldPartition
			rec.Partition, err = p.partition()
		case "headers":
			bit = fieldHeaders
			rec.Headers, err = p.headers()
		case "key":
			bit = fieldKey
			err = p.data("key", &rec.Key)
		case "value":
			bit = fieldValue
			err = p.data("value", &rec.Value)
		case "timestamp":
			bit = fieldTimestamp
			rec.Timestamp, err = p.timestamp()
		case "id":
			if !p.entry {
				return unrecognized(key, "the record", recordFields)
			}
			bit = fieldID
			_, err = p.value(1)
		default:
			if p.entry {
				return unrecognized(key, "the entry", entryFields)
			}
			return unrecognized(key, "the record", recordFields)
		}
		if seen&bit != 0 {
			return duplicate(key, "the record")
		}
		seen |= bit
		return err
	})
	if err != nil {
		return err
	}
	if p.skipSpace(); p.i < len(p.b) {
		return p.unexpected("after top-level value")
	}
	return nil
}

// members walks the object at the current position (which must be '{'),
// calling member with each decoded key while positioned at its value; member
// must consume the value. Duplicate checks are the caller's, by field.
func (p *parser) members(member func(key []byte) *apierror.Error) *apierror.Error {
	p.i++
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.unexpected("looking for beginning of object key string")
		}
		tok, escaped, err := p.str()
		if err != nil {
			return err
		}
		key := tok[1 : len(tok)-1]
		if escaped {
			key = appendUnescaped(nil, tok) // rare: no need to avoid the allocation
		}
		if err := p.expect(':', "after object key"); err != nil {
			return err
		}
		p.skipSpace()
		if err := member(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.unexpected("after object key:value pair")
		}
	}
}

// jsonKind names the kind of JSON value starting with c, for messages.
func jsonKind(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return ""
}

func unrecognized(key []byte, where, known string) *apierror.Error {
	return apierror.Detailf(apierror.InvalidRecord, "Unrecognized field %q in %s (known fields: %s).", key, where, known)
}

func duplicate(key []byte, where string) *apierror.Error {
	return apierror.Detailf(apierror.InvalidRecord, "Duplicate field %q in %s.", key, where)
}

// invalid reports a field whose value v has the wrong type or form.
func invalid(path, expected string, v []byte) *apierror.Error {
	return apierror.Detailf(apierror.InvalidRecord, "Invalid field %q: expected %s, got %s.", path, expected, truncate(appendCompact(nil, v), 64))
}

func missing(path string) *apierror.Error {
	return apierror.Detailf(apierror.InvalidRecord, "Missing required field %q.", path)
}

// isNull reports whether the value at the current position is null, and consumes it.
func (p *parser) isNull() (bool, *apierror.Error) {
	if p.peek() != 'n' {
		return false, nil
	}
	return true, p.literal("null")
}

// partition reads partition_id: an int32 or null.
func (p *parser) partition() (int32, *apierror.Error) {
	v, err := p.value(1)
	if err != nil {
		return 0, err
	}
	if string(v) == "null" {
		return AnyPartition, nil
	}
	n, ok := parseInt32(v)
	if !ok {
		return 0, invalid("partition_id", "an int32 or null", v)
	}
	if n == -1 {
		return explicitMinusOne, nil
	}
	return n, nil
}

// parseInt32 parses v when it is a JSON integer (no fraction, no exponent)
// within int32 range.
func parseInt32(v []byte) (int32, bool) {
	neg := len(v) > 0 && v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 10 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, false
	}
	return int32(n), true
}

// stringValue returns the content of the string token tok, unescaped when
// needed (into a fresh slice: escapes are rare).
func stringValue(tok []byte, escaped bool) []byte {
	if !escaped {
		return tok[1 : len(tok)-1]
	}
	return appendUnescaped(nil, tok)
}

// reserve returns a zero-length, non-nil slice of the arena with room for n
// bytes, allocating the arena on first use.
func (p *parser) reserve(n int) []byte {
	if p.arena == nil {
		p.arena = p.shared.take(max(len(p.b), n))
	}
	if cap(p.arena)-len(p.arena) < n {
		// Cannot happen with text that only shrinks when decoded; stay correct anyway.
		p.release()
		p.arena = make([]byte, 0, max(len(p.b), n))
	}
	return p.arena[len(p.arena):len(p.arena)]
}

// release gives the arena's unused end back to the shared arena.
func (p *parser) release() {
	p.shared.keep(p.arena)
	p.shared = nil
}

// keep commits b, which was appended to the slice reserve returned, to the
// arena, and returns it with its capacity capped so that appends by a user of
// the record cannot overwrite its neighbours.
func (p *parser) keep(b []byte) []byte {
	p.arena = p.arena[:len(p.arena)+len(b)]
	return b[:len(b):len(b)]
}

func quotedList(names ...string) string {
	return `"` + strings.Join(names, `", "`) + `"`
}
