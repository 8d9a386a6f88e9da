package record

import (
	"bytes"
	"io"
)

// batchInput is BatchDecoder's read side: the body, a buffer of what is
// not scanned yet, and the scans that do not depend on where in the batch
// they are (strings, literals, whitespace).
type batchInput struct {
	r       io.Reader
	buf     []byte
	size    int    // of buf, allocated on the first read
	i, n    int    // next byte, end of the input read into buf
	base    int64  // body offset of buf[0]
	readErr error  // sticky error of r (io.EOF included)
	tok     []byte // the last string token str kept
}

// peek returns the next byte that is not whitespace, without taking it.
// At the end of the body it returns io.EOF when looking is empty, else the
// syntax error of a body that ended looking for it.
func (d *batchInput) peek(looking string) (byte, error) {
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
func (d *batchInput) fill() error {
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

// str reads the string whose opening quote is the next byte, through its
// closing quote. It appends the string's text to *dst, unless dst is nil
// or that would take *dst past room bytes (room < 0: no bound); it returns
// the text as tok when keep > 0 and it is at most keep bytes long, else
// sets long. size is the text's length.
//
// It jumps from quote to quote: a quote ends the string unless an odd run
// of backslashes precedes it, a run that may have begun in an earlier
// read (backslashes counts the run the last read ended with).
func (d *batchInput) str(dst *[]byte, room, keep int) (tok []byte, size int, long bool, err error) {
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

// token reads through a literal or number entry, for Count.
func (d *batchInput) token() error {
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
