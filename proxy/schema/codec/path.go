package codec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteMember adds a member's name to a DataError path: dotted when it
// reads as an identifier (every field name does), quoted in brackets
// otherwise, so that a map key holding "." or "[" cannot be misread.
func WriteMember(path *strings.Builder, name string) {
	if !isIdentifier(name) {
		path.WriteString("[" + strconv.Quote(name) + "]")
		return
	}
	if path.Len() > 0 {
		path.WriteByte('.')
	}
	path.WriteString(name)
}

func isIdentifier(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		letter := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		inner := r == '-' || (r >= '0' && r <= '9')
		if !letter && (i == 0 || !inner) {
			return false
		}
	}
	return true
}

// MaxProblemLength bounds a DataError's problem: the messages quote the
// offending value, which may be a megabyte long.
const MaxProblemLength = 300

// Shorten elides the middle of a problem longer than MaxProblemLength,
// keeping its start (the field) and its end (what was wrong, in the
// validators' messages), cutting at character boundaries.
func Shorten(problem string) string {
	if len(problem) <= MaxProblemLength {
		return problem
	}
	head, tail := MaxProblemLength*2/3, len(problem)-MaxProblemLength/3
	for head > 0 && !utf8.RuneStart(problem[head]) {
		head--
	}
	for tail < len(problem) && !utf8.RuneStart(problem[tail]) {
		tail++
	}
	return problem[:head] + "…" + problem[tail:]
}
