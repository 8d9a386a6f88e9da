package produce

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Encoding is a request body's Content-Encoding.
type Encoding uint8

// The encodings a request body may have (docs/produce-api.md, "Compressed
// request bodies").
const (
	Identity Encoding = iota
	Gzip
	Zstd
)

func (e Encoding) String() string {
	switch e {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "identity"
}

// CheckContentEncoding returns the encoding the Content-Encoding header
// values name: none or "identity" is no encoding, "gzip" and "zstd" (any
// case) are decompressed; anything else, more than one encoding included,
// is refused with 415.
func CheckContentEncoding(values []string) (Encoding, *apierror.Error) {
	switch len(values) {
	case 0:
		return Identity, nil
	case 1:
	default:
		return Identity, apierror.New(apierror.UnsupportedEncoding, strings.Join(values, ", "))
	}
	v := strings.TrimSpace(values[0])
	switch {
	case v == "", strings.EqualFold(v, "identity"):
		return Identity, nil
	case strings.EqualFold(v, "gzip"):
		return Gzip, nil
	case strings.EqualFold(v, "zstd"):
		return Zstd, nil
	}
	return Identity, apierror.New(apierror.UnsupportedEncoding, values[0])
}

// MaxZstdWindow is the largest zstd window a body may use: a frame that
// needs more is refused as corrupt, so a body's decoder never holds more.
const MaxZstdWindow = 8 << 20

// DecompressedCounter counts the bytes decompressors produce, by
// encoding name.
type DecompressedCounter interface {
	Decompressed(encoding string, n int)
}

// inflater decompresses a request body as it is read, lazily: nothing is
// read, and no decompressor taken, before the first Read, so a stream that
// is refused before reading costs nothing. It holds only the
// decompressor's window and buffers, and hands each Read at most len(p)
// bytes, so the body is never held decompressed whatever it expands to.
//
// It counts what it produces (produced, and the counter) and, when limit is
// set, fails with BodyTooLarge as soon as that passes it. Corrupt data
// fails with a fatal MalformedStream error describing it; errors of the
// body itself (the client went away, the idle deadline, a stop) pass
// through unchanged, so the stream reads them as it would without
// compression.
type inflater struct {
	enc     Encoding
	src     sourceTracker
	limit   int64 // of the decompressed bytes; 0: none
	count   DecompressedCounter
	started bool

	gz *gzip.Reader
	zd *zstd.Decoder

	produced int64
	err      error // sticky

	// ahead holds bytes decompressed before they were asked for (prefetch);
	// aheadOff is how far they were read.
	ahead    []byte
	aheadOff int
}

// sourceTracker remembers how the compressed body ended, to tell a body
// cut short from compressed data that ends too soon.
type sourceTracker struct {
	r   io.Reader
	err error
}

func (s *sourceTracker) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

func newInflater(enc Encoding, r io.Reader, limit int64, count DecompressedCounter) *inflater {
	return &inflater{enc: enc, src: sourceTracker{r: r}, limit: limit, count: count}
}

// Produced is how many decompressed bytes the inflater has produced.
func (f *inflater) Produced() int64 { return f.produced }

func (f *inflater) Read(p []byte) (int, error) {
	if f.aheadOff < len(f.ahead) {
		n := copy(p, f.ahead[f.aheadOff:])
		f.aheadOff += n
		if f.aheadOff == len(f.ahead) {
			f.ahead, f.aheadOff = nil, 0
		}
		return n, nil
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.read(p)
	if err != nil {
		f.err = err
	}
	return n, err
}

func (f *inflater) read(p []byte) (int, error) {
	if !f.started {
		f.started = true
		if err := f.start(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if f.gz != nil {
		n, err = f.gz.Read(p)
	} else {
		n, err = f.zd.Read(p)
	}
	if n > 0 {
		f.produced += int64(n)
		if f.count != nil {
			f.count.Decompressed(f.enc.String(), n)
		}
		if f.limit > 0 && f.produced > f.limit {
			return 0, apierror.New(apierror.BodyTooLarge)
		}
	}
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, f.failure(err)
}

// start takes a decompressor for the body, which reads the gzip header.
func (f *inflater) start() error {
	switch f.enc {
	case Gzip:
		gz, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if gz == nil {
			gz, err = gzip.NewReader(&f.src)
		} else {
			err = gz.Reset(&f.src)
		}
		if err != nil {
			if gz != nil {
				gzipReaders.Put(gz)
			}
			if err == io.EOF && f.src.err == io.EOF {
				return io.EOF // an empty body is empty, compressed or not
			}
			return f.failure(err)
		}
		f.gz = gz
	case Zstd:
		zd, _ := zstdDecoders.Get().(*zstd.Decoder)
		if zd == nil {
			var err error
			zd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(MaxZstdWindow), zstd.WithDecoderMaxMemory(MaxZstdWindow))
			if err != nil {
				return fmt.Errorf("zstd decoder: %w", err)
			}
		}
		if err := zd.Reset(&f.src); err != nil {
			zstdDecoders.Put(zd)
			return f.failure(err)
		}
		f.zd = zd
	}
	return nil
}

// failure classifies a decompressor's error: the body's own read error
// passes through; anything else means the compressed data is corrupt.
func (f *inflater) failure(err error) error {
	if src := f.src.err; src != nil && src != io.EOF {
		return src
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of compressed data")
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errStopped) {
		return err
	}
	return corrupt(f.enc, err)
}

// corrupt is the fatal error of a body whose compressed data is corrupt:
// the last report of a stream, or the refusal of a request that has
// answered nothing yet.
func corrupt(enc Encoding, err error) *apierror.Error {
	return apierror.Detail(apierror.MalformedStream, fmt.Sprintf("%scorrupt %s data: %v", apierror.FatalPrefix, enc, err))
}

// prefetch decompresses up to n bytes ahead of the reads, or to the end of
// the body, and returns the error that stopped it short (not io.EOF): a
// body that fits is then known whole, corrupt data and the size limit
// included, before anything is answered.
func (f *inflater) prefetch(n int) error {
	buf := make([]byte, n)
	got := 0
	for got < n && f.err == nil {
		m, err := f.read(buf[got:])
		got += m
		if err != nil {
			f.err = err
		}
	}
	f.ahead, f.aheadOff = buf[:got], 0
	if f.err == io.EOF {
		return nil
	}
	return f.err
}

// close gives the decompressor back. The inflater is not read after.
func (f *inflater) close() {
	f.ahead = nil
	if f.gz != nil {
		_ = f.gz.Close()
		gzipReaders.Put(f.gz)
		f.gz = nil
	}
	if f.zd != nil {
		_ = f.zd.Reset(nil)
		zstdDecoders.Put(f.zd)
		f.zd = nil
	}
	f.src.r = nil
}

// Decompressors are reused: a gzip reader's buffers and a zstd decoder's
// tables take longer to build than a small body takes to decompress.
var (
	gzipReaders  sync.Pool
	zstdDecoders sync.Pool
)

// singleWindow is how far ahead a compressed single request (one with a
// Content-Length) is decompressed before its answer starts: one that
// expands to no more is checked whole (corrupt data, the request limit)
// and refused with a real HTTP status rather than an error report.
const singleWindow = 64 << 10

// refusalOf turns an error found while reading a body before anything was
// answered into the refusal of the request.
func refusalOf(err *apierror.Error) *apierror.Error {
	switch err.Kind {
	case apierror.BodyTooLarge:
		return apierror.New(apierror.RequestTooLarge)
	case apierror.MalformedStream:
		return apierror.New(apierror.MalformedBody, strings.TrimPrefix(err.Message, apierror.FatalPrefix))
	}
	return err
}
