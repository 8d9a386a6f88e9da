package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// BatchDecoder reads the body of a records:batch request,
// {"entries": [ENTRY, ...]}, one entry at a time (docs/produce-api.md,
// "Batch produce"). It checks the body's structure and each entry's "id"
// (the batch-level rules: a failure refuses the whole batch) and hands on
// each entry's JSON text for Parse, which applies the record rules to it
// alone.
//
// Like StreamDecoder it tracks only nesting, strings and escapes inside an
// entry, so an entry that is broken inside its braces is that entry's
// failure, not the batch's; and it never holds more than one entry: an
// entry above the size limit is read through, its id taken on the way, and
// reported as TooLarge without its text.
type BatchDecoder struct {
	r   io.Reader
	max int // per-entry size limit in bytes; 0: none

	buf     []byte
	size    int   // of buf, allocated on the first read
	i, n    int   // next byte, end of the input read into buf
	base    int64 // body offset of buf[0]
	readErr error // sticky error of r (io.EOF included)

	state batchState
	index int    // of the next entry
	cur   []byte // the current entry's text
	tok   []byte // the last string token str kept
	idTok []byte // the current entry's id token
	err   error  // sticky
}

type batchState uint8

const (
	batchStart     batchState = iota // before the body's '{'
	batchFirst                       // after "entries": [, before the first entry
	batchNext                        // after an entry, before ',' or ']'
	batchCountOnly                   // like batchNext, counting entries only
	batchEnd                         // the body ended well; Next returns io.EOF
)

// Entry is one entry of a batch as BatchDecoder cut it.
type Entry struct {
	Index int    // its position in "entries", from 0
	ID    string // its "id", checked: 1 to MaxIDLength characters
	// Raw is its JSON text, valid until the next call; nil when TooLarge.
	Raw []byte
	// Size is the byte length of its JSON text, from { to } inclusive.
	Size int
	// TooLarge is set when Size is above the decoder's limit.
	TooLarge bool
}

// MaxIDLength is the most characters an entry's id may have.
const MaxIDLength = 80

// maxIDToken bounds the raw text of an id the decoder keeps: 80 characters
// take at most 80 twelve-byte surrogate-pair escapes, so a longer token is
// too long whatever it holds.
const maxIDToken = 1024

// maxKeyToken bounds the raw text of an object key the decoder keeps to
// compare or name it.
const maxKeyToken = 256

// NewBatchDecoder returns a decoder of the batch body r whose entries may
// have maxEntryBytes bytes of JSON text each (0: no limit).
func NewBatchDecoder(r io.Reader, maxEntryBytes int) *BatchDecoder {
	return &BatchDecoder{r: r, max: maxEntryBytes, size: batchBufferSize}
}

// NewBatchDecoderSize is NewBatchDecoder for a body of a known length (a
// negative one is unknown): its read buffer is no larger than the body, so
// a small batch does not take 16 KiB.
func NewBatchDecoderSize(r io.Reader, maxEntryBytes int, length int64) *BatchDecoder {
	d := NewBatchDecoder(r, maxEntryBytes)
	if length >= 0 && length < batchBufferSize {
		d.size = max(int(length)+1, 512) // +1: the read that finds the end needs room
	}
	return d
}

// Next returns the next entry. After the last one, once the body has
// ended after the batch object, it returns io.EOF. An *apierror.Error
// (InvalidBatch) refuses the whole batch: the body is not a batch object,
// an entry is not an object or has no valid "id", or the JSON around the
// entries is broken; every later call returns it again. Other errors are
// read errors of the body, returned as they are.
func (d *BatchDecoder) Next() (Entry, error) {
	if d.err != nil {
		return Entry{}, d.err
	}
	e, err := d.next()
	if err != nil {
		d.err = err
	}
	return e, err
}

// Count reads the rest of the body, checking its structure but not the
// entries' ids, and returns how many entries it held; with the entries
// already returned, that is the batch's size. It is for a batch refused
// for its size, whose answer says how many entries it had.
func (d *BatchDecoder) Count() (int, error) {
	if d.err != nil {
		return d.index, d.err
	}
	if d.state == batchNext {
		d.state = batchCountOnly
	}
	for {
		if _, err := d.Next(); err != nil {
			if err == io.EOF {
				return d.index, nil
			}
			return d.index, err
		}
	}
}

func (d *BatchDecoder) next() (Entry, error) {
	switch d.state {
	case batchStart:
		if err := d.open(); err != nil {
			return Entry{}, err
		}
		return d.next()
	case batchFirst:
		c, err := d.peek("an entry or ']'")
		if err != nil {
			return Entry{}, err
		}
		if c == ']' {
			d.i++
			return Entry{}, d.close()
		}
		d.state = batchNext
		return d.entry(false)
	case batchNext, batchCountOnly:
		c, err := d.peek("',' or ']' after an entry")
		if err != nil {
			return Entry{}, err
		}
		switch c {
		case ',':
			d.i++
			return d.entry(d.state == batchCountOnly)
		case ']':
			d.i++
			return Entry{}, d.close()
		}
		return Entry{}, d.syntax("invalid character %s after an entry", quoteChar(c))
	default:
		return Entry{}, io.EOF
	}
}

// open reads the body up to the first entry: '{', "entries", ':', '['.
func (d *BatchDecoder) open() error {
	c, err := d.peek("")
	switch {
	case err == io.EOF:
		return batchError(`the body must be a JSON object with an "entries" array; it is empty`)
	case err != nil:
		return err
	case c != '{':
		return batchError(`the body must be a JSON object with an "entries" array, not %s`, valueKind(c))
	}
	d.i++
	c, err = d.peek(`'"' or '}'`)
	if err != nil {
		return err
	}
	if c == '}' {
		return batchError(`the body has no "entries" array`)
	}
	if err := d.member(false); err != nil {
		return err
	}
	c, err = d.peek("a value")
	if err != nil {
		return err
	}
	if c != '[' {
		return batchError(`"entries" must be an array, not %s`, valueKind(c))
	}
	d.i++
	d.state = batchFirst
	return nil
}

// member reads an object key of the batch object and the ':' after it:
// "entries" the first time, anything else refuses the batch.
func (d *BatchDecoder) member(seenEntries bool) error {
	c, err := d.peek(`'"'`)
	if err != nil {
		return err
	}
	if c != '"' {
		return d.syntax("invalid character %s looking for beginning of object key string", quoteChar(c))
	}
	at := d.offset()
	tok, _, long, err := d.str(nil, -1, maxKeyToken)
	if err != nil {
		if err == io.EOF {
			return d.syntax("unexpected end of the body in an object key")
		}
		return err
	}
	if long {
		return batchError(`Unrecognized field %s in the batch (known fields: "entries")`, truncate(tok, 64))
	}
	key, ok := decodeString(tok)
	switch {
	case !ok:
		return d.syntaxAt(at, "invalid object key string")
	case key != "entries":
		return batchError(`Unrecognized field %q in the batch (known fields: "entries")`, key)
	case seenEntries:
		return batchError(`Duplicate field "entries" in the batch`)
	}
	c, err = d.peek("':'")
	if err != nil {
		return err
	}
	if c != ':' {
		return d.syntax("invalid character %s after object key", quoteChar(c))
	}
	d.i++
	return nil
}

// close reads the rest of the body after the entries' ']': the batch
// object's end, then only whitespace.
func (d *BatchDecoder) close() error {
	d.state = batchEnd
	c, err := d.peek("',' or '}'")
	if err != nil {
		return err
	}
	switch c {
	case ',':
		d.i++
		return d.member(true)
	case '}':
		d.i++
	default:
		return d.syntax("invalid character %s after the entries", quoteChar(c))
	}
	switch c, err := d.peek(""); {
	case err == io.EOF:
		return io.EOF
	case err != nil:
		return err
	default:
		return d.syntax("invalid character %s after the batch object", quoteChar(c))
	}
}

// Positions of an entry's member scan, at depth 1.
const (
	wantKey   = iota // after '{' or ','
	wantColon        // after a key
	wantValue        // after ':'
	inValue          // after the value started
)

// entry reads one entry, whose first byte is next. countOnly reads it
// through without taking its text or checking its id.
func (d *BatchDecoder) entry(countOnly bool) (Entry, error) {
	e := Entry{Index: d.index}
	d.index++
	c, err := d.peek("an entry")
	if err != nil {
		return e, err
	}
	switch {
	case c == '{':
	case !countOnly:
		return e, batchError(`entries[%d] must be a JSON object with an "id", not %s`, e.Index, valueKind(c))
	case c == '"':
		_, _, _, err := d.str(nil, -1, 0)
		return e, d.endOfInput(err, e.Index)
	case c != '[':
		return e, d.token()
	}
	d.cur = d.cur[:0]
	capture := !countOnly
	room := -1 // the most bytes d.cur may hold
	if d.max > 0 {
		room = d.max
	}
	var (
		depth   int
		pos     = wantKey
		isID    bool   // the member being read is "id"
		idFound bool   // an "id" member was read
		idLong  bool   // its token was longer than maxIDToken
		idKind  string // what it was, when not a string
	)
	d.idTok = d.idTok[:0]
	for {
		if d.i == d.n {
			if err := d.fill(); err != nil {
				return e, d.endOfInput(err, e.Index)
			}
		}
		c := d.buf[d.i]
		if c == '"' {
			keep := 0
			switch {
			case depth == 1 && pos == wantKey:
				keep = maxKeyToken
			case depth == 1 && pos == wantValue && isID:
				keep = maxIDToken
			}
			var dst *[]byte
			if capture {
				dst = &d.cur
			}
			tok, size, long, err := d.str(dst, room, keep)
			if err != nil {
				return e, d.endOfInput(err, e.Index)
			}
			e.Size += size
			switch {
			case depth == 1 && pos == wantKey:
				isID = !long && !idFound && isIDKey(tok)
				pos = wantColon
			case depth == 1 && pos == wantValue:
				if isID {
					idFound, idLong = true, long
					d.idTok = append(d.idTok[:0], tok...)
				}
				pos = inValue
			}
		} else {
			d.i++
			e.Size++
			if capture && (room < 0 || len(d.cur) < room) {
				d.cur = append(d.cur, c)
			}
			if isSpace(c) {
				continue
			}
			if depth == 1 && pos == wantValue {
				if isID {
					idFound, idKind = true, valueKind(c)
				}
				pos = inValue
			}
			switch c {
			case '{', '[':
				depth++
				if depth == 1 {
					pos = wantKey
				}
			case '}', ']':
				depth--
			case ':':
				if depth == 1 && pos == wantColon {
					pos = wantValue
				}
			case ',':
				if depth == 1 {
					pos, isID = wantKey, false
				}
			}
		}
		if capture && room >= 0 && e.Size > room {
			// Too large: read through, keeping no more of it.
			capture, e.TooLarge = false, true
			d.cur = d.cur[:0]
		}
		if depth == 0 {
			if countOnly {
				return e, nil
			}
			return d.finishEntry(e, idFound, d.idTok, idLong, idKind)
		}
	}
}

// endOfInput is the error of a body that ended, or failed, inside an
// entry.
func (d *BatchDecoder) endOfInput(err error, index int) error {
	if err == io.EOF {
		return d.syntax("unexpected end of the body in entries[%d]", index)
	}
	return err
}

// isIDKey reports whether the key token tok is "id", escapes decoded.
func isIDKey(tok []byte) bool {
	if string(tok) == `"id"` {
		return true
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return false
	}
	key, ok := decodeString(tok)
	return ok && key == "id"
}

// finishEntry checks the id the entry scan found.
func (d *BatchDecoder) finishEntry(e Entry, found bool, tok []byte, long bool, kind string) (Entry, error) {
	switch {
	case !found:
		return e, batchError(`entries[%d] has no "id"`, e.Index)
	case kind != "":
		return e, batchError(`entries[%d].id must be a string, not %s`, e.Index, kind)
	case long:
		return e, batchError(`entries[%d].id must be 1 to %d characters long; it has more`, e.Index, MaxIDLength)
	}
	id, ok := decodeString(tok)
	if !ok {
		return e, batchError(`entries[%d].id is not a valid JSON string`, e.Index)
	}
	if n := utf8.RuneCountInString(id); n < 1 || n > MaxIDLength {
		return e, batchError(`entries[%d].id must be 1 to %d characters long; it has %d`, e.Index, MaxIDLength, n)
	}
	e.ID = id
	if !e.TooLarge {
		e.Raw = d.cur
	}
	return e, nil
}

// token reads through a literal or number entry, for Count.
func (d *BatchDecoder) token() error {
	for {
		for d.i < d.n {
			if isDelimiter(d.buf[d.i]) {
				return nil
			}
			d.i++
		}
		if err := d.fill(); err != nil {
			if err == io.EOF {
				return d.syntax("unexpected end of the body")
			}
			return err
		}
	}
}

// str reads the string whose opening quote is the next byte, through its
// closing quote. It appends the string's text to *dst, unless dst is nil
// or that would take *dst past room bytes (room < 0: no bound); it returns
// the text as tok when keep > 0 and it is at most keep bytes long, else
// sets long. size is the text's length.
//
// It jumps from quote to quote: a quote ends the string unless an odd run
// of backslashes precedes it, a run that may have begun in an earlier
// read (backslashes counts the run the last read ended with).
func (d *BatchDecoder) str(dst *[]byte, room, keep int) (tok []byte, size int, long bool, err error) {
	tok = d.tok[:0]
	start := d.i
	d.i++ // the opening quote
	backslashes := 0
	for {
		end, closed := d.i, false
		for end < d.n {
			j := bytes.IndexByte(d.buf[end:d.n], '"')
			if j < 0 {
				backslashes = trailingBackslashes(d.buf[end:d.n], backslashes)
				end = d.n
				break
			}
			q := end + j
			run := trailingBackslashes(d.buf[end:q], backslashes)
			end = q + 1
			if run%2 == 0 {
				closed = true
				break
			}
			backslashes = 0 // the escaped quote ends the run
		}
		part := d.buf[start:end]
		d.i = end
		size += len(part)
		if dst != nil {
			if room >= 0 && len(*dst)+len(part) > room {
				dst = nil // the caller finds the entry too large
			} else {
				*dst = append(*dst, part...)
			}
		}
		if keep > 0 && !long {
			if len(tok)+len(part) > keep {
				tok = append(tok, part[:keep-len(tok)]...) // the same prefix however the body arrived
				long = true
			} else {
				tok = append(tok, part...)
			}
		}
		if closed {
			d.tok = tok
			return tok, size, long, nil
		}
		if err := d.fill(); err != nil {
			return nil, size, long, err
		}
		start = d.i
	}
}

// trailingBackslashes returns the length of the run of backslashes that b
// ends with, continuing a run of before backslashes when b is all
// backslashes.
func trailingBackslashes(b []byte, before int) int {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	if n == len(b) {
		return before + n
	}
	return n
}

// decodeString returns the value of the JSON string token tok, and false
// when tok is not a valid JSON string.
func decodeString(tok []byte) (string, bool) {
	l := lexer{b: tok}
	_, escaped, err := l.str()
	if err != nil || l.i != len(tok) {
		return "", false
	}
	return string(stringValue(tok, escaped)), true
}

// peek returns the next byte that is not whitespace, without taking it.
// At the end of the body it returns io.EOF when looking is empty, else the
// syntax error of a body that ended looking for it.
func (d *BatchDecoder) peek(looking string) (byte, error) {
	for {
		for d.i < d.n {
			if c := d.buf[d.i]; !isSpace(c) {
				return c, nil
			}
			d.i++
		}
		if err := d.fill(); err != nil {
			if err == io.EOF && looking != "" {
				return 0, d.syntax("unexpected end of the body looking for %s", looking)
			}
			return 0, err
		}
	}
}

// batchBufferSize is the decoder's read size: the buffer holds the input
// not yet scanned, never a whole entry, so it does not grow.
const batchBufferSize = 16 << 10

// fill reads more input into buf once it is all scanned. It returns the
// body's error, io.EOF at its end, once nothing is left to scan.
func (d *BatchDecoder) fill() error {
	if d.i < d.n {
		return nil
	}
	if d.readErr != nil {
		return d.readErr
	}
	if d.buf == nil {
		d.buf = make([]byte, d.size)
	}
	d.base += int64(d.n)
	d.i, d.n = 0, 0
	for tries := 0; tries < 100; tries++ {
		n, err := d.r.Read(d.buf)
		d.n = n
		if err != nil {
			d.readErr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	d.readErr = io.ErrNoProgress
	return d.readErr
}

func (d *BatchDecoder) offset() int64 { return d.base + int64(d.i) }

// syntax is the batch-level error of JSON broken at the current offset.
func (d *BatchDecoder) syntax(format string, args ...any) error {
	return d.syntaxAt(d.offset(), format, args...)
}

func (d *BatchDecoder) syntaxAt(at int64, format string, args ...any) error {
	return batchError("invalid JSON at offset %d: %s", at, fmt.Sprintf(format, args...))
}

func batchError(format string, args ...any) *apierror.Error {
	return apierror.Detail(apierror.InvalidBatch, "Bad Request: "+fmt.Sprintf(format, args...)+".")
}

// valueKind names the JSON value starting with c, for messages.
func valueKind(c byte) string {
	if k := jsonKind(c); k != "" {
		return k
	}
	return "a value starting with " + quoteChar(c)
}

// IsBatchError reports whether err is the decoder's refusal of the batch.
func IsBatchError(err error) bool {
	var ae *apierror.Error
	return errors.As(err, &ae) && ae.Kind == apierror.InvalidBatch
}
