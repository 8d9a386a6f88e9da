package avro

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// utf8Text returns the UTF-8 text a JSON string's raw text (between its
// quotes) stands for. Without escapes that is raw itself; otherwise it is
// unescaped into the state's scratch buffer, valid until the next call.
func (st *state) utf8Text(raw []byte, flags int) ([]byte, error) {
	if flags&hasEscape == 0 {
		if flags&hasNonASCII != 0 && !utf8.Valid(raw) {
			return nil, errInvalidUTF8()
		}
		return raw, nil
	}
	sp := st.scratch()
	out := sp.text[:0]
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			run := raw[i:]
			if j := bytes.IndexByte(run, '\\'); j >= 0 {
				run = run[:j]
			}
			if flags&hasNonASCII != 0 && !utf8.Valid(run) {
				return nil, errInvalidUTF8()
			}
			out = append(out, run...)
			i += len(run)
			continue
		}
		r, n, err := decodeEscape(raw[i:])
		if err != nil {
			return nil, err
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	sp.text = out
	return out, nil
}

// latin1Bytes returns the bytes a JSON string stands for in Avro's JSON
// encoding of bytes and fixed, where each code point 0-255 is one byte.
// Java's JsonDecoder turns larger code points into '?'; they are refused
// here instead, so that no byte is silently changed.
func (st *state) latin1Bytes(raw []byte, flags int) ([]byte, error) {
	if flags == 0 {
		return raw, nil
	}
	sp := st.scratch()
	out := sp.text[:0]
	for i := 0; i < len(raw); {
		r, n := rune(raw[i]), 1
		var err error
		switch {
		case raw[i] == '\\':
			r, n, err = decodeEscape(raw[i:])
		case raw[i] >= utf8.RuneSelf:
			r, n = utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 {
				err = errInvalidUTF8()
			}
		}
		if err != nil {
			return nil, err
		}
		if r > 0xFF {
			return nil, &codec.DataError{Problem: fmt.Sprintf(
				"character %U is not a byte: bytes are written as code points 0-255 (\\u0000-\\u00ff)", r)}
		}
		out = append(out, byte(r))
		i += n
	}
	sp.text = out
	return out, nil
}

func errInvalidUTF8() error {
	return &codec.DataError{Problem: "invalid UTF-8 in string"}
}

// decodeEscape decodes the escape at the start of b (which starts with a
// backslash) and returns its code point and length. A surrogate must be
// half of a \uXXXX\uXXXX pair: a lone one has no UTF-8 form, and Java
// would store it as '?'.
func decodeEscape(b []byte) (rune, int, error) {
	if len(b) < 2 {
		return 0, 0, badEscape(b)
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		return decodeUnicodeEscape(b)
	}
	return 0, 0, badEscape(b)
}

func decodeUnicodeEscape(b []byte) (rune, int, error) {
	r, ok := hex4(b)
	if !ok {
		return 0, 0, badEscape(b)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r < 0xDC00 && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
		if low, ok := hex4(b[6:]); ok {
			if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
				return pair, 12, nil
			}
		}
	}
	return 0, 0, &codec.DataError{Problem: fmt.Sprintf("unpaired UTF-16 surrogate %q", b[:6])}
}

// hex4 decodes the four hex digits of a \uXXXX escape at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 6 {
		return 0, false
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func badEscape(b []byte) error {
	return &codec.DataError{Problem: fmt.Sprintf("invalid escape %q", b[:min(len(b), 6)])}
}
