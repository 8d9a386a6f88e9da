package record

import "testing"

// skim finds the same extent as value for valid JSON, and the end of a
// container whose strings hold brackets, quotes and escapes.
func TestSkim_SameExtentAsValue(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":"}"}`, `{"a":"\"}"}`, `{"a":"\\"}`, `{"a":"\\\""}`, `[{"b":["]","["]},2]`,
		`{"a":{"b":{"c":[1,2,{"d":"x\\\\"}]}}}`, `"str"`, `12.5e3`, `null`, `true`, `{"é":"ü}"}`,
	} {
		for _, tail := range []string{"", `,"x":1}`, ` }`} {
			text := in + tail
			want, err := (&lexer{b: []byte(text)}).value(0)
			if err != nil {
				t.Fatalf("%s: value: %v", text, err)
			}
			got, serr := (&lexer{b: []byte(text)}).skim(0)
			if serr != nil || string(got) != string(want) {
				t.Errorf("%s: skim %q (%v), value %q", text, got, serr, want)
			}
		}
	}
}

// An unterminated container or string is an error, not a short read.
func TestSkim_Unterminated(t *testing.T) {
	for _, in := range []string{`{"a":1`, `{"a":"}`, `[[]`, `{"a":"\"}`} {
		if got, err := (&lexer{b: []byte(in)}).skim(0); err == nil {
			t.Errorf("%s: skim %q, want an error", in, got)
		}
	}
}
