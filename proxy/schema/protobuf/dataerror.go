package protobuf

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// protojsonPosition matches where protojson places an error in the input:
// "(line 3:14): " or, for malformed JSON, "syntax error (line 3:14): ".
var protojsonPosition = regexp.MustCompile(`^(syntax error )?\(line (\d+):(\d+)\): `)

// dataError turns a protojson or proto error into a DataError. protojson
// says where in the input it stopped (line and column) but not the field
// path, so the path is recovered by walking the JSON up to that place.
func dataError(err error, data []byte) *codec.DataError {
	message := withoutProtoPrefix(err.Error())
	match := protojsonPosition.FindStringSubmatch(message)
	if match == nil {
		return &codec.DataError{Problem: codec.Shorten(oneLine(message))}
	}
	problem := message[len(match[0]):]
	if match[1] != "" {
		problem = "syntax error: " + problem
	}
	line, _ := strconv.Atoi(match[2])
	column, _ := strconv.Atoi(match[3])
	return &codec.DataError{
		Path:    pathAt(data, offsetOf(data, line, column)),
		Problem: codec.Shorten(oneLine(problem)),
	}
}

// withoutProtoPrefix drops the "proto: " protobuf puts before its
// messages (sometimes with non-breaking spaces, to discourage matching).
func withoutProtoPrefix(message string) string {
	rest, found := strings.CutPrefix(message, "proto:")
	if !found {
		return message
	}
	return strings.TrimLeft(rest, " \u00a0")
}

// offsetOf turns protojson's 1-based line and rune column into a byte
// offset in data.
func offsetOf(data []byte, line, column int) int {
	offset := 0
	for ; line > 1 && offset < len(data); line-- {
		next := bytes.IndexByte(data[offset:], '\n')
		if next < 0 {
			return len(data)
		}
		offset += next + 1
	}
	for ; column > 1 && offset < len(data); column-- {
		_, size := utf8.DecodeRune(data[offset:])
		offset += size
	}
	return offset
}

func oneLine(message string) string {
	return strings.Join(strings.FieldsFunc(message, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}
