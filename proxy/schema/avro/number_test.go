package avro

import (
	"math"
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
