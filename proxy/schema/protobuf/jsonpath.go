package protobuf

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// pathStep is one level of JSON nesting on the way to an offset: an array
// and the index of its current element, or an object and the name of its
// current member.
type pathStep struct {
	object bool
	index  int
	name   string
	// named: the current member's name has been read.
	named bool
	// inValue: the walk is past the member's ":", inside its value.
	inValue bool
}

// pathAt names the value, or member name, that starts at offset in data as
// the record's JSON reaches it: "customer.id", "items[2]", "" for the whole
// value. It is used on input that protojson rejected, so it reads
// leniently and never fails; a path into malformed JSON is a best guess.
func pathAt(data []byte, offset int) string {
	var steps []pathStep
	for i := 0; i < offset && i < len(data); {
		top := len(steps) - 1
		switch data[i] {
		case '{':
			steps = append(steps, pathStep{object: true})
		case '[':
			steps = append(steps, pathStep{})
		case '}', ']':
			if top >= 0 {
				steps = steps[:top]
			}
		case ',':
			if top >= 0 {
				steps[top].index++
				steps[top].named, steps[top].inValue = false, false
			}
		case ':':
			if top >= 0 {
				steps[top].inValue = true
			}
		case '"':
			end := stringEnd(data, i)
			if top >= 0 && steps[top].object && !steps[top].inValue {
				steps[top].name, steps[top].named = unquote(data[i:end]), true
			}
			i = end
			continue
		}
		i++
	}
	// An error at a member's name (an unknown field) is about that member.
	if top := len(steps) - 1; top >= 0 && steps[top].object && !steps[top].inValue &&
		offset < len(data) && data[offset] == '"' {
		steps[top].name, steps[top].named = unquote(data[offset:stringEnd(data, offset)]), true
	}
	return formatPath(steps)
}

func formatPath(steps []pathStep) string {
	var path strings.Builder
	for _, step := range steps {
		switch {
		case !step.object:
			path.WriteString("[" + strconv.Itoa(step.index) + "]")
		case step.named:
			codec.WriteMember(&path, step.name)
		}
	}
	return path.String()
}

// stringEnd is the offset just past the JSON string starting at start, or
// the end of data when the string is not closed.
func stringEnd(data []byte, start int) int {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

func unquote(quoted []byte) string {
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return strings.Trim(string(quoted), `"`)
	}
	return name
}
