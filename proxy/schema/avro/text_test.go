package avro

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStringsAgainstEncodingJSON puts each kind of character that ends a
// plain run (escapes, non-ASCII) at every position of strings up to 24
// bytes, across the scanner's 8-byte words, and compares what the
// encoding decodes to with encoding/json's reading of the same string.
func TestStringsAgainstEncodingJSON(t *testing.T) {
	t.Parallel()
	specials := []string{`\"`, `\\`, `\n`, `\u00e9`, `\ud83d\ude00`, "é", "😀", `\/`}
	c, err := Compile(`"string"`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for length := 0; length <= 24; length++ {
		for at := 0; at <= length; at++ {
			for _, special := range specials {
				text := strings.Repeat("a", at) + special + strings.Repeat("b", length-at)
				data := `"` + text + `"`
				var want string
				if err := json.Unmarshal([]byte(data), &want); err != nil {
					t.Fatalf("encoding/json cannot read %s: %v", data, err)
				}
				out, err := c.Append(nil, []byte(data))
				if err != nil {
					t.Fatalf("Append(%s): %v", data, err)
				}
				if got := decodeWithGoavro(t, `"string"`, out); got != want {
					t.Fatalf("%s decodes to %q, want %q", data, got, want)
				}
			}
		}
	}
}

func TestStringTokenRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	for at := 0; at < 20; at++ {
		data := `"` + strings.Repeat("a", at) + "\x01" + strings.Repeat("b", 20-at) + `"`
		st := &state{data: []byte(data)}
		if _, _, err := st.stringToken(); err == nil {
			t.Errorf("stringToken(%q) took a raw control character at %d", data, at)
		}
	}
}
