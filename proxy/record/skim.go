package record

import (
	"bytes"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// skim returns the value at the current position as value does, but reads
// an object or array only for its extent: its strings and its nesting,
// not the validity of what is inside. The data of a key or value that
// names a schema is read whole by the schema's codec, which refuses what
// is not valid JSON as data that does not fit the schema (400, after the
// rate limits rather than before); checking it here as well would read
// every schema record's data twice.
func (l *lexer) skim(depth int) ([]byte, *apierror.Error) {
	if c := l.peek(); c != '{' && c != '[' {
		return l.value(depth)
	}
	start, nest := l.i, 0
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case '"':
			end, ok := stringEnd(l.b, l.i)
			if !ok {
				return nil, l.errorf("unexpected end of JSON input")
			}
			l.i = end
			continue
		case '{', '[':
			nest++
			if depth+nest > maxNesting {
				return nil, l.errorf("exceeded max nesting depth %d", maxNesting)
			}
		case '}', ']':
			nest--
			if nest == 0 {
				l.i++
				return l.b[start:l.i], nil
			}
		}
		l.i++
	}
	return nil, l.errorf("unexpected end of JSON input")
}

// stringEnd is the index after the string whose opening quote is at
// b[at], and false when it does not end.
func stringEnd(b []byte, at int) (int, bool) {
	for j := at + 1; ; j++ {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		if !escapedQuote(b[at+1 : j]) {
			return j + 1, true
		}
	}
}
