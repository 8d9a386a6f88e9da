package avro

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestWholeNumber(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tok         string
		want        int64
		whole, fits bool
	}{
		{"0", 0, true, true},
		{"-0", 0, true, true},
		{"123456789012345678", 123456789012345678, true, true},
		{"9223372036854775807", math.MaxInt64, true, true},
		{"-9223372036854775808", math.MinInt64, true, true},
		{"9223372036854775808", 0, true, false},
		{"-9223372036854775809", 0, true, false},
		{"99999999999999999999999", 0, true, false},
		{"2.0", 2, true, true},
		{"2.50", 0, false, false},
		{"0.5", 0, false, false},
		{"1e3", 1000, true, true},
		{"1E+3", 1000, true, true},
		{"12e-1", 0, false, false},
		{"1200e-2", 12, true, true},
		{"0.000e9999999", 0, true, true},
		{"1e19", 0, true, false},
		{"1e999999999999", 0, true, false},
		{"1e-999999999999", 0, false, false},
		{"9.223372036854775807e18", math.MaxInt64, true, true},
		{"-9.223372036854775808e18", math.MinInt64, true, true},
		{"0.00000000000000000000000000001e29", 1, true, true},
	}
	for _, tc := range cases {
		v, whole, fits := wholeNumber([]byte(tc.tok))
		if whole != tc.whole || fits != tc.fits || (fits && v != tc.want) {
			t.Errorf("wholeNumber(%s) = %d, %t, %t; want %d, %t, %t", tc.tok, v, whole, fits, tc.want, tc.whole, tc.fits)
		}
	}
}

func TestInsertCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		counts []blockCount // in the order blocks end
		want   string
	}{
		{"one byte", []blockCount{{at: 2, count: 63}}, "ab\x7ecdefgh"},
		{"two bytes", []blockCount{{at: 2, count: 64}}, "ab\x80\x01cdefgh"},
		{"three bytes", []blockCount{{at: 0, count: 10000}}, "\xa0\x9c\x01abcdefgh"},
		{"several", []blockCount{{at: 6, count: 2}, {at: 1, count: 3}, {at: 8, count: 4}}, "a\x06bcdef\x04gh\x08"},
		{"nested at one offset", []blockCount{{at: 3, count: 1}, {at: 3, count: 2}}, "abc\x04\x02defgh"},
	}
	for _, tc := range cases {
		st := &state{}
		for _, c := range tc.counts {
			st.noteCount(c.at, c.count)
		}
		if got := st.insertCounts([]byte("abcdefgh")); string(got) != tc.want {
			t.Errorf("%s: insertCounts = %q, want %q", tc.name, got, tc.want)
		}
		if len(st.spare.counts) != 0 {
			t.Errorf("%s: %d counts left noted", tc.name, len(st.spare.counts))
		}
	}
}

// TestDigitRun compares digitRun with strconv over digit runs of every
// length up to 20, followed by each kind of byte or by the end.
func TestDigitRun(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	for length := 0; length <= 20; length++ {
		for range 50 {
			run := randomDigits(r, length)
			for _, after := range []string{"", ",", "}", ".5", "e3", " ", "/", ":", "\xff"} {
				text := "x" + run + after
				end, v := digitRun([]byte(text), 1)
				if end != 1+length {
					t.Fatalf("digitRun(%q) ends at %d, want %d", text, end, 1+length)
				}
				if want, err := strconv.ParseUint(run, 10, 64); err == nil && length <= 19 && v != want {
					t.Fatalf("digitRun(%q) = %d, want %d", text, v, want)
				}
			}
		}
	}
}

// TestNumbersAgainstStrconv encodes many random JSON numbers as int,
// long, float and double, and checks what is written against strconv's
// reading of the same text: the fast paths for short integers and for
// decimals a float64 holds exactly must round as strconv does, and the
// rest must take strconv's value or be refused.
func TestNumbersAgainstStrconv(t *testing.T) {
	t.Parallel()
	codecs := map[string]*Codec{}
	for _, typ := range []string{"int", "long", "float", "double"} {
		c, err := Compile(`"`+typ+`"`, nil)
		if err != nil {
			t.Fatal(err)
		}
		codecs[typ] = c
	}
	r := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		tok := randomNumber(r)
		for typ, c := range codecs {
			out, err := c.Append(nil, []byte(tok))
			if msg := checkNumber(typ, tok, out, err); msg != "" {
				t.Fatalf("%s %s: %s", typ, tok, msg)
			}
		}
	}
}

// checkNumber says how the encoding of tok as typ differs from strconv's
// reading of it, or "".
func checkNumber(typ, tok string, out []byte, err error) string {
	switch typ {
	case "int", "long":
		bits := map[string]int{"int": 32, "long": 64}[typ]
		want, parseErr := strconv.ParseInt(tok, 10, bits)
		if parseErr != nil || err != nil {
			if plain := !strings.ContainsAny(tok, ".eE"); plain && (parseErr == nil) != (err == nil) {
				return "refused by one of strconv (" + errText(parseErr) + ") and Append (" + errText(err) + ")"
			}
			return "" // whole numbers with fraction or exponent: TestWholeNumber
		}
		if got, n := binary.Varint(out); n != len(out) || got != want {
			return "encoded as " + strconv.FormatInt(got, 10)
		}
	case "float", "double":
		bits := map[string]int{"float": 32, "double": 64}[typ]
		want, parseErr := strconv.ParseFloat(tok, bits)
		if (parseErr == nil) != (err == nil) {
			return "refused by one of strconv (" + errText(parseErr) + ") and Append (" + errText(err) + ")"
		}
		if err != nil {
			return ""
		}
		var got float64
		if bits == 32 {
			got = float64(math.Float32frombits(binary.LittleEndian.Uint32(out)))
		} else {
			got = math.Float64frombits(binary.LittleEndian.Uint64(out))
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			return "encoded as " + strconv.FormatFloat(got, 'g', -1, 64) + ", strconv reads " + strconv.FormatFloat(want, 'g', -1, 64)
		}
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// randomNumber is a JSON number: integers of any length and decimals
// with up to 20 digits each side, some with exponents, some negative.
func randomNumber(r *rand.Rand) string {
	var tok string
	switch r.IntN(4) {
	case 0:
		tok = strconv.FormatInt(r.Int64()>>r.IntN(64), 10)
	case 1:
		tok = strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(30)-10)), 'f', -1, 64)
	default:
		tok = strings.TrimLeft(randomDigits(r, 1+r.IntN(20)), "0")
		if tok == "" {
			tok = "0"
		}
		if r.IntN(2) == 0 {
			tok += "." + randomDigits(r, 1+r.IntN(20))
		}
		if r.IntN(5) == 0 {
			tok += "e" + strconv.Itoa(r.IntN(40)-20)
		}
	}
	if r.IntN(3) == 0 && tok[0] != '-' {
		tok = "-" + tok
	}
	return tok
}

func randomDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}
