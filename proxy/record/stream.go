package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"bytes"
	"errors"
	"fmt"
	"io"
)

// StreamDecoder cuts a request body of concatenated JSON values
// (docs/produce-api.md, "Body: concatenated JSON") into one raw value at a
// time. It finds a value's end by tracking only nesting
// depth, strings and escapes; full syntax checking is left to Parse, so that a
// record that is broken inside its braces fails alone and the stream goes on.
// It never holds more than one value (plus one read) in memory, and reads from
// the body only when no complete value is buffered, so records are handed on as
// soon as they arrive.
type StreamDecoder struct {
	r    io.Reader
	max  int // per-value size limit in bytes; 0: none
	size int // size of the first buffer

	buf  []byte
	off  int   // start of the not yet returned input in buf
	end  int   // end of the input read into buf
	base int64 // body offset of buf[0], for error messages

	readErr error // sticky error of r (io.EOF included)
	fatal   error // sticky fatal decoding error
	// readFilled is set when the last read filled the buffer: the client
	// sends faster than one buffer per read, so the buffer grows.
	readFilled bool
	// noRead makes a call return ErrNeedInput instead of reading.
	noRead bool
	// inner holds the extents of the last object's members' members
	// (Inner).
	inner []Extent
}

// ErrNeedInput is what NextBuffered returns when the buffer holds no
// complete value: the next one needs a read of the body.
var ErrNeedInput = errors.New("no complete value buffered")

const (
	// fullBufferSize is what a fast stream's buffer grows to: one read
	// then brings in about a hundred small records.
	fullBufferSize = 32 << 10
	// streamBufferSize is where a stream of unknown length starts. A
	// thousand streams trickling a record now and then hold 4 MiB of
	// buffers instead of 32; a fast one grows in three reads.
	streamBufferSize = 4 << 10
	minBufferSize    = 512
)

// NewStreamDecoder returns a decoder reading r. maxRecordBytes limits each value's
// size; 0 means no limit.
func NewStreamDecoder(r io.Reader, maxRecordBytes int) *StreamDecoder {
	return &StreamDecoder{r: r, max: maxRecordBytes, size: streamBufferSize}
}

// NewStreamDecoderSize is NewStreamDecoder for an input of a known length,
// such as a request with Content-Length: its buffer starts no larger than
// the input needs, so a one-record request does not allocate 32 KiB, and a
// long input starts at the full size. A negative length is unknown. The
// buffer still grows for input longer than said.
func NewStreamDecoderSize(r io.Reader, maxRecordBytes int, length int64) *StreamDecoder {
	d := NewStreamDecoder(r, maxRecordBytes)
	switch {
	case length >= fullBufferSize:
		d.size = fullBufferSize
	case length >= 0:
		// One byte more than the input, so the read that sees its end
		// does not have to grow the buffer first.
		d.size = max(int(length)+1, minBufferSize)
	}
	return d
}

// Next returns the next value's raw JSON text, without surrounding whitespace.
// The slice is valid until the next call. At a clean end of input (trailing
// whitespace allowed) Next returns io.EOF.
//
// A *apierror.Error is fatal: the body cannot be cut into values any more (garbage or a
// comma between values, a truncated last value, a value above the size limit),
// and every later call returns the same error. Values that are not objects are
// returned normally; Parse rejects them one by one. Other errors are read errors
// of the underlying reader, returned as they are.
func (d *StreamDecoder) Next() ([]byte, error) {
	if d.fatal != nil {
		return nil, d.fatal
	}
	d.inner = d.inner[:0]
	if err := d.skipSpace(); err != nil {
		return nil, err
	}
	var end int
	var err error
	switch c := d.buf[d.off]; {
	case c == '{' || c == '[':
		end, err = d.scanNested()
	case c == '"':
		end, err = d.scanString()
	case c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'):
		end, err = d.scanToken()
	default:
		err = d.fail(fmt.Sprintf("invalid character %s looking for beginning of value at offset %d", quoteChar(c), d.base+int64(d.off)))
	}
	if err != nil {
		return nil, err
	}
	if d.max > 0 && end-d.off > d.max {
		return nil, d.fail("")
	}
	value := d.buf[d.off:end:end]
	d.off = end
	return value, nil
}

// NextBuffered is Next without reading: it returns ErrNeedInput when the
// next value, or the end of input, is not in the buffer yet. A caller that
// must do something before the body is read (hand what it has decoded to
// Kafka) calls it first, and Next when it returns ErrNeedInput.
func (d *StreamDecoder) NextBuffered() ([]byte, error) {
	d.noRead = true
	v, err := d.Next()
	d.noRead = false
	return v, err
}

// skipSpace moves off to the first byte of the next value, reading as needed.
func (d *StreamDecoder) skipSpace() error {
	for {
		for d.off < d.end {
			if !isSpace(d.buf[d.off]) {
				return nil
			}
			d.off++
		}
		if d.readErr != nil {
			return d.readErr
		}
		if d.noRead {
			return ErrNeedInput
		}
		d.fill()
	}
}

// scanNested finds the end of the object or array starting at off. Inside
// strings it jumps from quote to quote with bytes.IndexByte; a quote is escaped
// when an odd run of backslashes precedes it. The run lies within the value,
// which stays in buf until it is complete, so no escape state crosses reads.
func (d *StreamDecoder) scanNested() (int, error) {
	depth := 0
	inString := false
	i := d.off
	d.inner = d.inner[:0]
	var innerStart int
	for {
		buf := d.buf[:d.end]
		for i < len(buf) {
			if inString {
				j := bytes.IndexByte(buf[i:], '"')
				if j < 0 {
					i = len(buf)
					break
				}
				i += j + 1
				inString = escapedQuote(buf[d.off : i-1])
				continue
			}
			switch buf[i] {
			case '"':
				inString = true
			case '{', '[':
				if depth++; depth == innerDepth {
					innerStart = i - d.off // the buffer may move: off moves with it
				}
			case '}', ']':
				if depth == innerDepth {
					d.inner = append(d.inner, Extent{int32(innerStart), int32(i + 1 - d.off)})
				}
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		var err error
		if i, err = d.more(i); err != nil {
			return 0, err
		}
	}
}

// escapedQuote reports whether a quote following before is escaped: preceded
// by an odd number of backslashes.
func escapedQuote(before []byte) bool {
	n := 0
	for n < len(before) && before[len(before)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// scanString finds the end of the string starting at off.
func (d *StreamDecoder) scanString() (int, error) {
	i := d.off + 1
	for {
		buf := d.buf[:d.end]
		for i < len(buf) {
			j := bytes.IndexByte(buf[i:], '"')
			if j < 0 {
				i = len(buf)
				break
			}
			i += j + 1
			if !escapedQuote(buf[d.off : i-1]) {
				return i, nil
			}
		}
		var err error
		if i, err = d.more(i); err != nil {
			return 0, err
		}
	}
}

// scanToken finds the end of a literal or number starting at off: the first
// whitespace or structural character, or the end of input. The token must then
// be a JSON literal or number; anything else is garbage between values.
func (d *StreamDecoder) scanToken() (int, error) {
	i := d.off
	for {
		buf := d.buf[:d.end]
		for ; i < len(buf); i++ {
			if isDelimiter(buf[i]) {
				return d.checkToken(i)
			}
		}
		var err error
		i, err = d.more(i)
		if err == errEndOfInput {
			return d.checkToken(i)
		}
		if err != nil {
			return 0, err
		}
	}
}

func (d *StreamDecoder) checkToken(end int) (int, error) {
	tok := d.buf[d.off:end]
	if d.max > 0 && len(tok) > d.max {
		return 0, d.fail("") // the size limit wins, however the input was chunked
	}
	switch string(tok) {
	case "true", "false", "null":
		return end, nil
	}
	if validNumber(tok) {
		return end, nil
	}
	if len(tok) > 40 {
		tok = append(tok[:40:40], "..."...)
	}
	return 0, d.fail(fmt.Sprintf("invalid token %q at offset %d", tok, d.base+int64(d.off)))
}

// errEndOfInput tells scanToken that the body ended, which ends a token.
var errEndOfInput = errors.New("end of input")

// more is called when the scan of the value starting at off reached i == end:
// it enforces the size limit, reads more input and returns i adjusted to the
// moved buffer. At the end of input it returns a fatal truncation error, or
// errEndOfInput for scanToken to decide.
func (d *StreamDecoder) more(i int) (int, error) {
	if d.max > 0 && i-d.off > d.max {
		return 0, d.fail("")
	}
	if d.readErr == io.EOF || (d.readErr == io.ErrUnexpectedEOF && d.end > d.off) {
		// A body cut short (its Content-Length not reached, or its chunks
		// without the last) in the middle of a value ends like a body
		// that ended there: the value gets its report.
		if d.buf[d.off] != '{' && d.buf[d.off] != '[' && d.buf[d.off] != '"' && d.readErr == io.EOF {
			return i, errEndOfInput
		}
		return 0, d.fail(fmt.Sprintf("unexpected end of input in the value starting at offset %d", d.base+int64(d.off)))
	}
	if d.readErr != nil {
		return 0, d.readErr
	}
	if d.noRead {
		return 0, ErrNeedInput
	}
	shift := d.fill()
	return i - shift, nil
}

// fill reads once more into buf, first moving the unreturned input to the
// front (which invalidates the value returned last) or growing buf when that
// input fills it. It returns how far the input moved. A reader returning
// (0, nil) is retried a few times, then treated as io.ErrNoProgress.
func (d *StreamDecoder) fill() (shift int) {
	if d.buf == nil {
		d.buf = make([]byte, d.size)
	}
	if d.off > 0 {
		shift = d.off
		copy(d.buf, d.buf[d.off:d.end])
		d.end -= d.off
		d.base += int64(d.off)
		d.off = 0
	}
	if d.end == len(d.buf) || (d.readFilled && len(d.buf) < fullBufferSize) {
		grown := make([]byte, 2*len(d.buf))
		copy(grown, d.buf[:d.end])
		d.buf = grown
	}
	for tries := 0; tries < 100; tries++ {
		n, err := d.r.Read(d.buf[d.end:])
		d.readFilled = n == len(d.buf)-d.end
		d.end += n
		if err != nil {
			d.readErr = err
			return shift
		}
		if n > 0 {
			return shift
		}
	}
	d.readErr = io.ErrNoProgress
	return shift
}

// fail makes msg (or, when empty, the size limit message) the sticky fatal error.
func (d *StreamDecoder) fail(msg string) error {
	e := apierror.New(apierror.RecordTooLarge)
	if msg != "" {
		e = apierror.Detail(apierror.MalformedStream, apierror.FatalPrefix+msg)
	}
	d.fatal = e
	return e
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '{', '}', '[', ']', '"', ',', ':':
		return true
	}
	return false
}
