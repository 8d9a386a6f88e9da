package protobuf

import (
	"strings"
	"testing"
)

func TestPathAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		// at is the text the offset points to: its first occurrence.
		at   string
		want string
	}{
		{`{"id": 1}`, `1`, "id"},
		{`{"id": 1}`, `"id"`, "id"},
		{`{"a": {"b": {"c": true}}}`, `true`, "a.b.c"},
		{`{"a": {"b": 1}, "c": 2}`, `2`, "c"},
		{`{"items": [10, 20, 30]}`, `30`, "items[2]"},
		{`{"items": [[1], [2, 3]]}`, `3`, "items[1][1]"},
		{`{"lines": [{"x": 1}, {"y": 2}]}`, `"y"`, "lines[1].y"},
		{`{"m": {"a b": 1}}`, `1`, `m["a b"]`},
		{`{"m": {"a\"b": 1}}`, `1`, `m["a\"b"]`},
		{`{"s": "x,y:[", "t": 1}`, `1`, "t"},
		{`{"s": "\\", "t": 1}`, `1`, "t"},
		{`[1, 2]`, `2`, "[1]"},
		{`{"a": 1, }`, `}`, ""},
		{`7`, `7`, ""},
		{`{"a": [1, 2`, `2`, "a[1]"},
		{`{"unterminated`, `{`, ""},
	}
	for _, tt := range tests {
		offset := strings.Index(tt.data, tt.at)
		if got := pathAt([]byte(tt.data), offset); got != tt.want {
			t.Errorf("pathAt(%s, at %q) = %q, want %q", tt.data, tt.at, got, tt.want)
		}
	}
}

func TestPathAtNeverFails(t *testing.T) {
	t.Parallel()
	for _, data := range []string{``, `"`, `\`, `{"a`, `}}]]`, `{"a":"\`, `[[[[`} {
		for offset := 0; offset <= len(data)+1; offset++ {
			_ = pathAt([]byte(data), offset)
		}
	}
}

func TestOffsetOf(t *testing.T) {
	t.Parallel()
	data := []byte("{\n  \"é\": 1,\n  \"x\": 2\n}")
	tests := []struct{ line, column, want int }{
		{1, 1, 0},
		{2, 3, 4},
		{2, 8, strings.Index(string(data), "1")},
		{3, 8, strings.Index(string(data), "2")},
		{9, 1, len(data)},
	}
	for _, tt := range tests {
		if got := offsetOf(data, tt.line, tt.column); got != tt.want {
			t.Errorf("offsetOf(line %d, column %d) = %d, want %d", tt.line, tt.column, got, tt.want)
		}
	}
}
