package record

import (
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
	b, start, nest, inString := l.b, l.i, 0, false
	for i := start; i < len(b); i++ {
		c := b[i]
		if !skimSpecial[c] {
			continue
		}
		switch {
		case inString && c == '\\':
			i++ // the escaped byte cannot end the string
		case c == '"':
			inString = !inString
		case inString || c == '\\': // a backslash outside a string: the codec refuses it
		case c == '{' || c == '[':
			if nest++; depth+nest > maxNesting {
				return nil, l.errorf("exceeded max nesting depth %d", maxNesting)
			}
		default: // '}' or ']'
			if nest--; nest == 0 {
				l.i = i + 1
				return b[start:l.i], nil
			}
		}
	}
	l.i = len(b)
	return nil, l.errorf("unexpected end of JSON input")
}

// skimSpecial marks the bytes skim acts on.
var skimSpecial = func() (t [256]bool) {
	for _, c := range `"\{}[]` {
		t[c] = true
	}
	return t
}()

// Extent is where a value lies in the text of a record: from Start to
// End, exclusive, in bytes from its first.
type Extent struct{ Start, End int32 }

// innerDepth is the depth Inner reports: a record's key or value object is
// at depth 2, its data object at 3.
const innerDepth = 3

// Inner is the extents of the objects and arrays nested three deep in the
// value Next returned last, such as the data of a key or value: its scan
// for the value's end found them anyway, and the parser need not look for
// them again (ParseIn's extents). Valid until the next call.
func (d *StreamDecoder) Inner() []Extent { return d.inner }

// skimData is skim for a data object, looked up first among the extents
// the stream decoder found.
func (p *parser) skimData(depth int) ([]byte, *apierror.Error) {
	if p.peek() == '{' || p.peek() == '[' {
		for _, e := range p.inner {
			if int(e.Start) == p.i && int(e.End) <= len(p.b) {
				v := p.b[e.Start:e.End]
				p.i = int(e.End)
				return v, nil
			}
		}
	}
	return p.skim(depth)
}
