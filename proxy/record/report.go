package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"strconv"
	"time"
	"unicode/utf8"
)

// Success is the delivery report of one record the broker acknowledged.
type Success struct {
	ClusterID string
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	// Key and Value appear in the report as {"type":T,"size":N} only when
	// Typed.
	Key, Value Summary
}

// Summary is what a success report says of a key or value: a record's
// report needs this much of it, not its bytes.
type Summary struct {
	Type  string
	Size  int32 // -1 for null data
	Typed bool
	// Schema is the schema the data was encoded with; nil for none.
	Schema *SchemaUsed
}

// Summary returns what a success report says of d.
func (d Data) Summary() Summary {
	size := int32(-1)
	if d.Bytes != nil {
		size = int32(len(d.Bytes))
	}
	return Summary{Type: d.Type, Size: size, Typed: d.Typed || d.Used != nil, Schema: d.Used}
}

// reportEnd terminates every report on the wire.
const reportEnd = "\r\n"

// AppendSuccess appends the compact JSON success report of s and "\r\n" to dst.
// Fields come in the order of the reference implementation, which clients may
// rely on: error_code, cluster_id, topic_name, partition_id, offset, timestamp,
// key, value. It does not allocate when dst has room.
func AppendSuccess(dst []byte, s *Success) []byte {
	dst = append(dst, `{"error_code":200,"cluster_id":`...)
	dst = appendSuccessFields(dst, s)
	return append(dst, reportEnd...)
}

// AppendSuccessEntry appends the success entry of a records:batch answer:
// the fields of a success report with the entry's id first and no
// error_code, and no line end.
func AppendSuccessEntry(dst []byte, id string, s *Success) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, `,"cluster_id":`...)
	return appendSuccessFields(dst, s)
}

// AppendFailureEntry appends the failure entry of a records:batch answer:
// exactly {"id":...,"error_code":N,"message":"..."}, no line end.
func AppendFailureEntry(dst []byte, id string, e *apierror.Error) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, `,"error_code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code()), 10)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, firstLine(e.Message))
	return append(dst, '}')
}

// AppendJSONString appends s as a JSON string, as the reports write theirs.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// appendSuccessFields appends a success report from its cluster_id's value
// to its closing brace.
func appendSuccessFields(dst []byte, s *Success) []byte {
	dst = appendJSONString(dst, s.ClusterID)
	dst = append(dst, `,"topic_name":`...)
	dst = appendJSONString(dst, s.Topic)
	dst = append(dst, `,"partition_id":`...)
	dst = strconv.AppendInt(dst, int64(s.Partition), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, s.Offset, 10)
	dst = append(dst, `,"timestamp":"`...)
	dst = AppendTimestamp(dst, s.Timestamp)
	dst = append(dst, '"')
	dst = appendDataReport(dst, `,"key":`, &s.Key)
	dst = appendDataReport(dst, `,"value":`, &s.Value)
	return append(dst, '}')
}

func appendDataReport(dst []byte, field string, d *Summary) []byte {
	if !d.Typed {
		return dst
	}
	dst = append(dst, field...)
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, d.Type)
	if s := d.Schema; s != nil {
		dst = append(dst, s.fields...)
	}
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, int64(d.Size), 10)
	return append(dst, '}')
}

// AppendError appends exactly {"error_code":N,"message":"..."} and "\r\n" to dst.
// The message is cut at its first line break (CR or LF), as the reference
// implementation does with multi-line parser messages.
func AppendError(dst []byte, e *apierror.Error) []byte {
	dst = append(dst, `{"error_code":`...)
	dst = strconv.AppendInt(dst, int64(e.Code()), 10)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, firstLine(e.Message))
	dst = append(dst, '}')
	return append(dst, reportEnd...)
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return s[:i]
		}
	}
	return s
}

// AppendTimestamp appends t in UTC as RFC 3339 with a "Z" suffix and exactly
// three fractional digits when the milliseconds are non-zero, none otherwise
// (2023-05-16T18:20:51.844Z, 1970-01-01T00:00:01Z), the format the reference
// implementation writes. time.RFC3339Nano would drop trailing zeros (".84Z").
// Sub-millisecond digits are truncated.
func AppendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year >= 0 && year <= 9999 {
		dst = appendDigits(dst, year, 4)
	} else {
		dst = strconv.AppendInt(dst, int64(year), 10)
	}
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, min, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	if ms := t.Nanosecond() / int(time.Millisecond); ms != 0 {
		dst = append(dst, '.')
		dst = appendDigits(dst, ms, 3)
	}
	return append(dst, 'Z')
}

// appendDigits appends the non-negative v zero-padded to width digits.
func appendDigits(dst []byte, v, width int) []byte {
	var b [4]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Quotes, backslashes and control
// characters are escaped; valid non-ASCII UTF-8 is kept as is; invalid UTF-8
// becomes \ufffd so that the report is always valid JSON; U+2028 and U+2029 are
// escaped like encoding/json does, for JavaScript clients.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
