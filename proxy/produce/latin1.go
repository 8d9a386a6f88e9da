package produce

import (
	"io"
	"unicode/utf8"
)

// latin1Reader transcodes an ISO-8859-1 body to UTF-8 as it is read, so the
// record decoder sees one encoding. Every byte at or above 0x80 becomes two.
type latin1Reader struct {
	r       io.Reader
	in      []byte
	out     []byte // transcoding buffer, reused
	pending []byte // the part of out not yet returned
}

func newLatin1Reader(r io.Reader) *latin1Reader {
	return &latin1Reader{r: r, in: make([]byte, 16<<10)}
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		n, err := l.r.Read(l.in[:min(len(l.in), max(len(p)/2, 1))])
		if n == 0 {
			return 0, err
		}
		l.out = l.out[:0]
		for _, b := range l.in[:n] {
			l.out = utf8.AppendRune(l.out, rune(b))
		}
		l.pending = l.out
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
