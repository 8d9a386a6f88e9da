package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"fmt"
	"unicode/utf8"
)

// This file is the JSON lexer Parse is built on: it validates strict RFC 8259
// syntax over a byte slice, without reflection and without allocating on the
// success path.

// maxNesting bounds the nesting depth of a record, like Jackson's default
// StreamReadConstraints, so a hostile body cannot exhaust the stack.
const maxNesting = 1000

// lexer walks one record's text.
type lexer struct {
	b []byte
	i int
}

func (l *lexer) skipSpace() {
	for l.i < len(l.b) {
		if c := l.b[l.i]; c > ' ' || !isSpace(c) {
			return
		}
		l.i++
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (l *lexer) peek() byte {
	l.skipSpace()
	if l.i < len(l.b) {
		return l.b[l.i]
	}
	return 0
}

// errorf returns a per-record 400 for a JSON syntax error at the current
// offset in the record's text.
func (l *lexer) errorf(format string, args ...any) *apierror.Error {
	return apierror.Detailf(apierror.InvalidRecord, "Error processing JSON: %s at offset %d", fmt.Sprintf(format, args...), l.i)
}

// unexpected describes the byte at the current position (or the end) as an error
// while looking for what.
func (l *lexer) unexpected(what string) *apierror.Error {
	if l.i >= len(l.b) {
		return l.errorf("unexpected end of JSON input")
	}
	return l.errorf("invalid character %s %s", quoteChar(l.b[l.i]), what)
}

// expect consumes c after optional space.
func (l *lexer) expect(c byte, what string) *apierror.Error {
	if l.peek() != c {
		return l.unexpected(what)
	}
	l.i++
	return nil
}

// str scans the string token at the current position and returns its text
// including quotes and whether it contains escapes. Raw control characters,
// bad escapes and invalid UTF-8 are errors: a record must be valid JSON text.
func (l *lexer) str() (tok []byte, escaped bool, err *apierror.Error) {
	start := l.i
	if l.i >= len(l.b) || l.b[l.i] != '"' {
		return nil, false, l.unexpected("looking for beginning of string")
	}
	l.i++
	for l.i < len(l.b) {
		c := l.b[l.i]
		if !stringSpecial[c] {
			l.i++
			continue
		}
		switch {
		case c == '"':
			l.i++
			return l.b[start:l.i], escaped, nil
		case c == '\\':
			escaped = true
			if err := l.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, l.errorf("invalid character %s in string literal", quoteChar(c))
		case c < utf8.RuneSelf:
			l.i++
		default:
			r, size := utf8.DecodeRune(l.b[l.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false, l.errorf("invalid UTF-8 in string literal")
			}
			l.i += size
		}
	}
	return nil, false, l.errorf("unexpected end of JSON input")
}

// stringSpecial marks the bytes that end the fast path of a string scan: the
// quote, the backslash, control characters and the start of non-ASCII UTF-8.
var stringSpecial = func() (t [256]bool) {
	for c := range t {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// escape validates the escape sequence at l.i (a backslash) and skips it.
func (l *lexer) escape() *apierror.Error {
	if l.i+1 >= len(l.b) {
		l.i = len(l.b)
		return l.errorf("unexpected end of JSON input")
	}
	switch l.b[l.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		l.i += 2
		return nil
	case 'u':
		if l.i+6 > len(l.b) {
			l.i = len(l.b)
			return l.errorf("unexpected end of JSON input")
		}
		for k, h := range l.b[l.i+2 : l.i+6] {
			if hexValue(h) < 0 {
				l.i += 2 + k
				return l.errorf("invalid character %s in \\u hexadecimal character escape", quoteChar(h))
			}
		}
		return l.surrogates()
	default:
		l.i++
		return l.errorf("invalid character %s in string escape code", quoteChar(l.b[l.i]))
	}
}

func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// number scans the number token at the current position.
func (l *lexer) number() ([]byte, *apierror.Error) {
	start := l.i
	for l.i < len(l.b) && isNumberByte(l.b[l.i]) {
		l.i++
	}
	tok := l.b[start:l.i]
	if !validNumber(tok) {
		l.i = start
		return nil, l.errorf("invalid number %q", truncate(tok, 40))
	}
	return tok, nil
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber reports whether tok is exactly one JSON number.
func validNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case i < len(tok) && tok[i] >= '1' && tok[i] <= '9':
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if i >= len(tok) || tok[i] < '0' || tok[i] > '9' {
			return false
		}
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if i >= len(tok) || tok[i] < '0' || tok[i] > '9' {
			return false
		}
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
	}
	return i == len(tok)
}

// literal scans true, false or null.
func (l *lexer) literal(word string) *apierror.Error {
	if len(l.b)-l.i >= len(word) && string(l.b[l.i:l.i+len(word)]) == word {
		l.i += len(word)
		return nil
	}
	for k := 0; k < len(word); k++ {
		if l.i+k >= len(l.b) {
			l.i = len(l.b)
			return l.errorf("unexpected end of JSON input")
		}
		if l.b[l.i+k] != word[k] {
			l.i += k
			return l.errorf("invalid character %s in literal %s (expecting '%c')", quoteChar(l.b[l.i]), word, word[k])
		}
	}
	return nil // unreachable
}

// value validates one JSON value of any kind at the current position (after
// optional space) and returns its text.
func (l *lexer) value(depth int) ([]byte, *apierror.Error) {
	c := l.peek()
	start := l.i
	var err *apierror.Error
	switch {
	case c == '{' || c == '[':
		err = l.container(depth + 1)
	case c == '"':
		_, _, err = l.str()
	case c == 't':
		err = l.literal("true")
	case c == 'f':
		err = l.literal("false")
	case c == 'n':
		err = l.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err = l.number()
	default:
		err = l.unexpected("looking for beginning of value")
	}
	if err != nil {
		return nil, err
	}
	return l.b[start:l.i], nil
}

// container validates the object or array at the current position.
func (l *lexer) container(depth int) *apierror.Error {
	if depth > maxNesting {
		return l.errorf("exceeded max nesting depth %d", maxNesting)
	}
	if l.b[l.i] == '[' {
		l.i++
		if l.peek() == ']' {
			l.i++
			return nil
		}
		for {
			if _, err := l.value(depth); err != nil {
				return err
			}
			switch l.peek() {
			case ',':
				l.i++
			case ']':
				l.i++
				return nil
			default:
				return l.unexpected("after array element")
			}
		}
	}
	l.i++
	if l.peek() == '}' {
		l.i++
		return nil
	}
	for {
		if l.peek() != '"' {
			return l.unexpected("looking for beginning of object key string")
		}
		if _, _, err := l.str(); err != nil {
			return err
		}
		if err := l.expect(':', "after object key"); err != nil {
			return err
		}
		if _, err := l.value(depth); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			return nil
		default:
			return l.unexpected("after object key:value pair")
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// quoteChar quotes c for an error message: 'x' when printable ASCII, else '\xNN'.
func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf(`'\x%02x'`, c)
}
