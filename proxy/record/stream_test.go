package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// decodeAll runs a StreamDecoder to its end and returns the values it cut and
// the error that ended it (io.EOF at a clean end).
func decodeAll(r io.Reader, max int) ([]string, error) {
	return decodeWith(NewStreamDecoder(r, max))
}

func decodeWith(d *StreamDecoder) ([]string, error) {
	var values []string
	for {
		v, err := d.Next()
		if err != nil {
			return values, err
		}
		values = append(values, string(v))
	}
}

func fatal(msg string) error {
	return testError(400, "Bad Request: Error processing message: "+msg)
}

var tooLarge = testError(400, "Bad Request: Error processing message: Produce request size is larger than allowed threshold")

func TestStreamDecoder(t *testing.T) {
	big := `{"value":{"type":"STRING","data":"` + strings.Repeat(`a\"}{][\\`, 20000) + `"}}`
	tests := []struct {
		name string
		body string
		max  int
		want []string
		err  error // io.EOF or the fatal *apierror.Error
	}{
		{"empty body", "", 0, nil, io.EOF},
		{"whitespace only", " \t\r\n", 0, nil, io.EOF},
		{"one record", `{"a":1}`, 0, []string{`{"a":1}`}, io.EOF},
		{"no separators", `{"a":1}{"b":2}{}`, 0, []string{`{"a":1}`, `{"b":2}`, `{}`}, io.EOF},
		{"space", `{"a":1} {"b":2}`, 0, []string{`{"a":1}`, `{"b":2}`}, io.EOF},
		{"tab", "{\"a\":1}\t{\"b\":2}", 0, []string{`{"a":1}`, `{"b":2}`}, io.EOF},
		{"CR LF", "{\"a\":1}\r\n{\"b\":2}\r\n", 0, []string{`{"a":1}`, `{"b":2}`}, io.EOF},
		{"LF and leading whitespace", "\n\n  {\"a\":1}\n{\"b\":2}\n  \n", 0, []string{`{"a":1}`, `{"b":2}`}, io.EOF},
		{"whitespace inside kept", "{ \"a\" :\n 1 }", 0, []string{"{ \"a\" :\n 1 }"}, io.EOF},
		{"braces and quotes inside strings", `{"a":"}{\"\\"}{"b":"[\\\""}`, 0, []string{`{"a":"}{\"\\"}`, `{"b":"[\\\""}`}, io.EOF},
		{"large value with escapes", big + big, 0, []string{big, big}, io.EOF},
		{"non-objects are values", `null[1]7 "s"{}true -1.5e3 false`, 0, []string{`null`, `[1]`, `7`, `"s"`, `{}`, `true`, `-1.5e3`, `false`}, io.EOF},
		{"number at the end", `{}12`, 0, []string{`{}`, `12`}, io.EOF},
		{"broken inside braces is still one value", `{"a":,}{"b":1}`, 0, []string{`{"a":,}`, `{"b":1}`}, io.EOF},
		{"comma between records", `{"a":1},{"b":2}`, 0, []string{`{"a":1}`}, fatal("invalid character ',' looking for beginning of value at offset 7")},
		{"array-style body", `[{"a":1},{"b":2}]`, 0, []string{`[{"a":1},{"b":2}]`}, io.EOF},
		{"garbage between records", "{}\n{}\nxyz{}", 0, []string{`{}`, `{}`}, fatal(`invalid token "xyz" at offset 6`)},
		{"garbage character", "{} @", 0, []string{`{}`}, fatal("invalid character '@' looking for beginning of value at offset 3")},
		{"closing brace between records", `{}}`, 0, []string{`{}`}, fatal("invalid character '}' looking for beginning of value at offset 2")},
		{"control byte between records", "{}\x00", 0, []string{`{}`}, fatal(`invalid character '\x00' looking for beginning of value at offset 2`)},
		{"bad number", `{} 1.2.3`, 0, []string{`{}`}, fatal(`invalid token "1.2.3" at offset 3`)},
		{"truncated final object", `{"a":1}{"b":`, 0, []string{`{"a":1}`}, fatal("unexpected end of input in the value starting at offset 7")},
		{"truncated inside a string", `{"a":1} {"b":"}`, 0, []string{`{"a":1}`}, fatal("unexpected end of input in the value starting at offset 8")},
		{"truncated after an escape", `{"a":"\`, 0, nil, fatal("unexpected end of input in the value starting at offset 0")},
		{"truncated top-level string", `"abc`, 0, nil, fatal("unexpected end of input in the value starting at offset 0")},
		{"size exactly at the limit", `{"a":1} {"bb":2}`, 8, []string{`{"a":1}`, `{"bb":2}`}, io.EOF},
		{"size one above the limit", `{"a":1} {"bbb":2}`, 8, []string{`{"a":1}`}, tooLarge},
		{"size limit on a top-level string", `"123456789"`, 8, nil, tooLarge},
		{"size limit on a number", `123456789`, 8, nil, tooLarge},
		{"size limit does not count whitespace", "   {\"a\":1}   \n", 7, []string{`{"a":1}`}, io.EOF},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"half reads", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	// The buffer's first size: the default, the body's length (a request
	// with Content-Length), and a length that understates the body (a
	// Latin-1 body grows when read as UTF-8).
	sizes := []struct {
		name string
		new  func(r io.Reader, max int, body string) *StreamDecoder
	}{
		{"default buffer", func(r io.Reader, max int, _ string) *StreamDecoder { return NewStreamDecoder(r, max) }},
		{"sized to the body", func(r io.Reader, max int, body string) *StreamDecoder {
			return NewStreamDecoderSize(r, max, int64(len(body)))
		}},
		{"sized below the body", func(r io.Reader, max int, body string) *StreamDecoder {
			return NewStreamDecoderSize(r, max, int64(len(body)/3))
		}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			for _, sz := range sizes {
				t.Run(tt.name+"/"+rd.name+"/"+sz.name, func(t *testing.T) {
					got, err := decodeWith(sz.new(rd.wrap(strings.NewReader(tt.body)), tt.max, tt.body))
					if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") || len(got) != len(tt.want) {
						t.Errorf("values = %q, want %q", short(got), short(tt.want))
					}
					checkStreamErr(t, err, tt.err)
				})
			}
		}
	}
}

func checkStreamErr(t *testing.T, got, want error) {
	t.Helper()
	var gotE, wantE *apierror.Error
	if errors.As(want, &wantE) {
		if !errors.As(got, &gotE) || gotE.Code() != wantE.Code() || gotE.Message != wantE.Message {
			t.Errorf("error = %#v, want %#v", got, want)
		}
		return
	}
	if got != want {
		t.Errorf("error = %v, want %v", got, want)
	}
}

func short(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if len(v) > 60 {
			v = v[:60] + "..."
		}
		out[i] = v
	}
	return out
}

// TestStreamDecoderFatalIsSticky checks that after a fatal error nothing more
// is read: the server writes one last report and stops.
func TestStreamDecoderFatalIsSticky(t *testing.T) {
	d := NewStreamDecoder(strings.NewReader(`{},{}`), 0)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	_, err1 := d.Next()
	_, err2 := d.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors after a fatal one: %v then %v, want the same fatal error twice", err1, err2)
	}
}

// TestStreamDecoderReadError checks that a failing body is reported as is,
// not as a JSON error, both between and inside values.
func TestStreamDecoderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, body := range []string{`{"a":1}`, `{"a":1}{"b"`} {
		r := io.MultiReader(strings.NewReader(body), iotest.ErrReader(boom))
		got, err := decodeAll(r, 0)
		if len(got) != 1 || got[0] != `{"a":1}` || err != boom {
			t.Errorf("body %q: values %q, error %v; want [{\"a\":1}], %v", body, got, err, boom)
		}
	}
}

// oversizedReader yields one '{"a":"' and then endless 'x' bytes, counting
// what was read, to prove that an oversized value is refused early.
type oversizedReader struct{ read int }

func (r *oversizedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
		if r.read+i < 6 {
			p[i] = `{"a":"`[r.read+i]
		}
	}
	r.read += len(p)
	return len(p), nil
}

func TestStreamDecoderRefusesOversizedValueEarly(t *testing.T) {
	r := &oversizedReader{}
	d := NewStreamDecoder(r, 1<<20)
	_, err := d.Next()
	checkStreamErr(t, err, tooLarge)
	if r.read > 3<<20 {
		t.Errorf("read %d bytes of an endless value before refusing it, want at most a few times the 1 MiB limit", r.read)
	}
}

// TestStreamDecoderDoesNotReadAhead checks that a complete value is returned
// without waiting for more input: the server must report records while the
// client is still sending.
func TestStreamDecoderDoesNotReadAhead(t *testing.T) {
	pr, pw := io.Pipe()
	d := NewStreamDecoder(pr, 0)
	go func() {
		pw.Write([]byte(`{"a":1}`)) // blocks until read
	}()
	v, err := d.Next()
	if err != nil || string(v) != `{"a":1}` {
		t.Fatalf("Next = %q, %v", v, err)
	}
	pw.Close()
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("Next after close = %v, want io.EOF", err)
	}
}
