package record

import (
	"errors"
	"fmt"
	"io"

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
	batchInput
	max   int // per-entry size limit in bytes; 0: none
	state batchState
	index int    // of the next entry
	cur   []byte // the current entry's text
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
	return &BatchDecoder{batchInput: batchInput{r: r, size: batchBufferSize}, max: maxEntryBytes}
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

func (d *batchInput) offset() int64 { return d.base + int64(d.i) }

// syntax is the batch-level error of JSON broken at the current offset.
func (d *batchInput) syntax(format string, args ...any) error {
	return d.syntaxAt(d.offset(), format, args...)
}

func (d *batchInput) syntaxAt(at int64, format string, args ...any) error {
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
