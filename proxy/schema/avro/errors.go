package avro

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// previewLimit is about how much of a value an error message quotes.
const previewLimit = 40

// maxPath is how long a path grows before its start is elided: data for
// a recursive type can nest a thousand levels deep.
const (
	maxPath = 200
	elided  = "…"
)

// errDefaultPending is what encoding a default meets while compiling when
// it needs another field's default that is not encoded yet; Compile then
// tries again once that one is.
var errDefaultPending = errors.New("default not encoded yet")

// mismatch is the error for the JSON value at the read position when the
// schema wants something else there.
func (st *state) mismatch(want string) error {
	return &codec.DataError{Problem: "expected " + want + ", got " + st.preview()}
}

// preview is the JSON value at the read position as it was written,
// clipped, for error messages. It does not move the read position.
func (st *state) preview() string {
	start, depth := st.pos, st.depth
	if start >= len(st.data) {
		return "nothing (end of input)"
	}
	end := len(st.data)
	if st.skipValue() == nil {
		end = st.pos
	}
	st.pos, st.depth = start, depth
	return clip(st.data[start:end])
}

// clip cuts text to about previewLimit bytes, on a character boundary.
func clip(text []byte) string {
	if len(text) <= previewLimit {
		return string(text)
	}
	cut := previewLimit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return string(text[:cut]) + "…"
}

func outOfRange(tok []byte, what string) error {
	return &codec.DataError{Problem: fmt.Sprintf("%s is out of range for %s", clip(tok), what)}
}

// inField, inElement and inEntry put a nested value's error under the
// value's place in the record's JSON: "customer.id", "items[2]",
// `tags["x"]`. Paths are built only on the way out of a failed call, so
// that encoding good data spends nothing on them.
func inField(err error, name string) error {
	return within(err, name)
}

func inElement(err error, index int) error {
	return within(err, "["+strconv.Itoa(index)+"]")
}

func inEntry(err error, key []byte) error {
	return within(err, "["+strconv.Quote(clip(key))+"]")
}

func within(err error, step string) error {
	var dataErr *codec.DataError
	if !errors.As(err, &dataErr) || strings.HasPrefix(dataErr.Path, elided) {
		return err
	}
	switch {
	case len(dataErr.Path) > maxPath:
		dataErr.Path = elided + dataErr.Path
	case dataErr.Path == "":
		dataErr.Path = step
	case dataErr.Path[0] == '[':
		dataErr.Path = step + dataErr.Path
	default:
		dataErr.Path = step + "." + dataErr.Path
	}
	return dataErr
}
