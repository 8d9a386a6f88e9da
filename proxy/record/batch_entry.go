package record

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// Positions of an entry's member scan, at depth 1.
const (
	wantKey   = iota // after '{' or ','
	wantColon        // after a key
	wantValue        // after ':'
	inValue          // after the value started
)

// entryScan is the state of one entry's scan: how deep it is, where in a
// member of the entry object (at depth 1) it is, and what it found of the
// "id" member.
type entryScan struct {
	e       Entry
	capture bool // the entry's text is kept in d.cur
	room    int  // the most bytes d.cur may hold; < 0: no bound
	depth   int
	pos     int  // wantKey, wantColon, wantValue or inValue, at depth 1
	isID    bool // the member being read is "id"
	idFound bool
	idLong  bool   // the id's token was longer than maxIDToken
	idKind  string // what the id was, when not a string
}

// entry reads one entry, whose first byte is next. countOnly reads it
// through without taking its text or checking its id.
func (d *BatchDecoder) entry(countOnly bool) (Entry, error) {
	s := entryScan{e: Entry{Index: d.index}, capture: !countOnly, room: -1, pos: wantKey}
	d.index++
	c, err := d.peek("an entry")
	if err != nil {
		return s.e, err
	}
	switch {
	case c == '{':
	case !countOnly:
		return s.e, batchError(`entries[%d] must be a JSON object with an "id", not %s`, s.e.Index, valueKind(c))
	case c == '"':
		_, _, _, err := d.str(nil, -1, 0)
		return s.e, d.endOfInput(err, s.e.Index)
	case c != '[':
		return s.e, d.token()
	}
	if d.max > 0 {
		s.room = d.max
	}
	d.cur, d.idTok = d.cur[:0], d.idTok[:0]
	for {
		if d.i == d.n {
			if err := d.fill(); err != nil {
				return s.e, d.endOfInput(err, s.e.Index)
			}
		}
		if d.buf[d.i] == '"' {
			if err := d.entryString(&s); err != nil {
				return s.e, d.endOfInput(err, s.e.Index)
			}
		} else {
			d.entryByte(&s)
		}
		if s.capture && s.room >= 0 && s.e.Size > s.room {
			// Too large: read through, keeping no more of it.
			s.capture, s.e.TooLarge = false, true
			d.cur = d.cur[:0]
		}
		if s.depth == 0 {
			if countOnly {
				return s.e, nil
			}
			return d.finishEntry(&s)
		}
	}
}

// entryString reads a string of the entry: a member's key or value at
// depth 1, whose "id" it notes, or any string deeper down.
func (d *BatchDecoder) entryString(s *entryScan) error {
	keep := 0
	switch {
	case s.depth == 1 && s.pos == wantKey:
		keep = maxKeyToken
	case s.depth == 1 && s.pos == wantValue && s.isID:
		keep = maxIDToken
	}
	var dst *[]byte
	if s.capture {
		dst = &d.cur
	}
	tok, size, long, err := d.str(dst, s.room, keep)
	if err != nil {
		return err
	}
	s.e.Size += size
	switch {
	case s.depth == 1 && s.pos == wantKey:
		s.isID = !long && !s.idFound && isIDKey(tok)
		s.pos = wantColon
	case s.depth == 1 && s.pos == wantValue:
		if s.isID {
			s.idFound, s.idLong = true, long
			d.idTok = append(d.idTok[:0], tok...)
		}
		s.pos = inValue
	}
	return nil
}

// entryByte reads one byte of the entry outside strings: structure, and
// the start of a member's value that is not a string.
func (d *BatchDecoder) entryByte(s *entryScan) {
	c := d.buf[d.i]
	d.i++
	s.e.Size++
	if s.capture && (s.room < 0 || len(d.cur) < s.room) {
		d.cur = append(d.cur, c)
	}
	if isSpace(c) {
		return
	}
	if s.depth == 1 && s.pos == wantValue {
		if s.isID {
			s.idFound, s.idKind = true, valueKind(c)
		}
		s.pos = inValue
	}
	switch c {
	case '{', '[':
		s.depth++
		if s.depth == 1 {
			s.pos = wantKey
		}
	case '}', ']':
		s.depth--
	case ':':
		if s.depth == 1 && s.pos == wantColon {
			s.pos = wantValue
		}
	case ',':
		if s.depth == 1 {
			s.pos, s.isID = wantKey, false
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
func (d *BatchDecoder) finishEntry(s *entryScan) (Entry, error) {
	e := s.e
	switch {
	case !s.idFound:
		return e, batchError(`entries[%d] has no "id"`, e.Index)
	case s.idKind != "":
		return e, batchError(`entries[%d].id must be a string, not %s`, e.Index, s.idKind)
	case s.idLong:
		return e, batchError(`entries[%d].id must be 1 to %d characters long; it has more`, e.Index, MaxIDLength)
	}
	id, ok := decodeString(d.idTok)
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
