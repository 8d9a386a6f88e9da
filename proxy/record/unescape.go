package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// This file turns JSON text the lexer has accepted into the bytes a record
// and its error messages carry: string contents with their escapes decoded,
// values without insignificant whitespace, long tokens cut short.

// appendUnescaped appends the content of the valid string token tok (quotes
// included) to dst, decoding escapes. Lone UTF-16 surrogates become U+FFFD, as
// in encoding/json.
func appendUnescaped(dst, tok []byte) []byte {
	s := tok[1 : len(tok)-1]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(s[i+2:])); r2 != utf8.RuneError {
						i += 6
						r = r2
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) rune {
	return hexValue(b[0])<<12 | hexValue(b[1])<<8 | hexValue(b[2])<<4 | hexValue(b[3])
}

// appendCompact appends the valid JSON text v without insignificant whitespace.
// String tokens are copied verbatim, escapes included, so their contents are
// kept exactly. It jumps over strings with bytes.IndexByte.
func appendCompact(dst, v []byte) []byte {
	start := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			open := i
			for {
				j := bytes.IndexByte(v[i+1:], '"')
				if j < 0 {
					return append(dst, v[start:]...) // not valid JSON: keep the rest
				}
				i += j + 1
				if !escapedQuote(v[open+1 : i]) {
					break
				}
			}
		case c <= ' ' && isSpace(c):
			dst = append(dst, v[start:i]...)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// surrogates moves past the \u escape at l.i, and its low half when it is
// the high half of a UTF-16 surrogate pair. A half without the other is no
// character: it is refused as invalid UTF-8 is, rather than stored as
// U+FFFD.
func (l *lexer) surrogates() *apierror.Error {
	r := hex4(l.b[l.i+2:])
	lone := func() *apierror.Error {
		return l.errorf("lone UTF-16 surrogate \\u%04x in string literal", r)
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return lone()
	case r >= 0xD800:
		next := l.b[l.i+6:]
		if len(next) < 6 || next[0] != '\\' || next[1] != 'u' ||
			hexValue(next[2]) < 0 || hexValue(next[3]) < 0 || hexValue(next[4]) < 0 || hexValue(next[5]) < 0 {
			return lone()
		}
		if low := hex4(next[2:]); low < 0xDC00 || low > 0xDFFF {
			return lone()
		}
		l.i += 12
		return nil
	}
	l.i += 6
	return nil
}
