package avro

import (
	"math"
	"math/bits"
	"strconv"
)

// wholeNumber returns the integer a JSON number token stands for. Like
// Avro's JsonDecoder it accepts a whole number written with a fraction or
// an exponent (2.0, 2e3) where an int or a long is expected; unlike Java
// it works on the decimal digits, so that no large value is rounded. whole
// is false for a number with a fractional part, fits false for a whole
// number outside int64.
func wholeNumber(tok []byte) (v int64, whole, fits bool) {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	intEnd := digitsEnd(tok, 0)
	if intEnd == len(tok) && intEnd <= 18 {
		for _, c := range tok {
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, true, true
	}
	intPart, frac, exp := splitNumber(tok, intEnd)
	mantissa, scale, ok := decimalMantissa(intPart, frac, exp)
	if !ok {
		return 0, true, true // all digits are zero
	}
	if scale < 0 {
		return 0, false, false
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; scale > 0; scale-- {
		hi, lo := bits.Mul64(mantissa, 10)
		if hi != 0 {
			return 0, true, false
		}
		mantissa = lo
	}
	if mantissa > limit {
		return 0, true, false
	}
	if neg {
		return -int64(mantissa), true, true
	}
	return int64(mantissa), true, true
}

// splitNumber splits an unsigned JSON number token into its integer
// digits, fraction digits and exponent (saturated far beyond any int64).
func splitNumber(tok []byte, intEnd int) (intPart, frac []byte, exp int) {
	intPart, rest := tok[:intEnd], tok[intEnd:]
	if len(rest) > 0 && rest[0] == '.' {
		end := digitsEnd(rest, 1)
		frac, rest = rest[1:end], rest[end:]
	}
	if len(rest) == 0 {
		return intPart, frac, 0
	}
	rest = rest[1:] // 'e' or 'E'
	negExp := rest[0] == '-'
	if rest[0] == '-' || rest[0] == '+' {
		rest = rest[1:]
	}
	for _, c := range rest {
		if exp < 1e6 {
			exp = exp*10 + int(c-'0')
		}
	}
	if negExp {
		exp = -exp
	}
	return intPart, frac, exp
}

// decimalMantissa returns the digits of intPart.frac without trailing
// zeros, as a number (saturated above int64), and the power of ten that
// scales it; ok is false when every digit is zero.
func decimalMantissa(intPart, frac []byte, exp int) (mantissa uint64, scale int, ok bool) {
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	last := len(intPart) + len(frac) - 1
	for last >= 0 && digit(last) == '0' {
		last--
	}
	if last < 0 {
		return 0, 0, false
	}
	scale = exp - len(frac) + (len(intPart) + len(frac) - 1 - last)
	const saturated = 1 << 63 // above every int64 magnitude but MinInt64's
	for k := 0; k <= last; k++ {
		hi, lo := bits.Mul64(mantissa, 10)
		lo += uint64(digit(k) - '0')
		if hi != 0 || lo > saturated+1 {
			return saturated + 1, scale, true
		}
		mantissa = lo
	}
	return mantissa, scale, true
}

// parseFloat parses a JSON number token as a float of bitSize bits; ok
// is false when it is too large for that size. Java would store infinity.
func parseFloat(tok []byte, bitSize int) (float64, bool) {
	if bitSize == 64 {
		if v, ok := exactDouble(tok); ok {
			return v, true
		}
	}
	v, err := strconv.ParseFloat(string(tok), bitSize)
	if err != nil && math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// specialFloat is the value of the strings Avro's JsonDecoder reads as a
// float or double that JSON has no number for.
func specialFloat(text []byte) (float64, bool) {
	switch string(text) {
	case "NaN":
		return math.NaN(), true
	case "Infinity", "INF":
		return math.Inf(1), true
	case "-Infinity", "-INF":
		return math.Inf(-1), true
	}
	return 0, false
}

// shortInteger reads, in one pass, the common integer: up to 18 digits,
// no fraction or exponent, no leading zero. For anything else it returns
// false and leaves the read position for numberToken and wholeNumber.
func (st *state) shortInteger() (int64, bool) {
	d := st.data[st.pos:]
	first := 0
	if len(d) > 0 && d[0] == '-' {
		first = 1
	}
	i, end := first, min(len(d), first+18)
	var v int64
	for ; i < end; i++ {
		digit := d[i] - '0'
		if digit > 9 {
			break
		}
		v = v*10 + int64(digit)
	}
	switch {
	case i == first, d[first] == '0' && i-first > 1:
		return 0, false
	case i < len(d) && (d[i]-'0' <= 9 || d[i] == '.' || d[i] == 'e' || d[i] == 'E'):
		return 0, false
	}
	st.pos += i
	if first == 1 {
		v = -v
	}
	return v, true
}

// exactPowers are the powers of ten a float64 holds exactly.
var exactPowers = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDouble is the common double written with few digits, like 19.99:
// when the digits as an integer and the power of ten that scales them
// are both exact in a float64, one division rounds correctly (Clinger's
// fast path), as strconv would, only sooner. It declines the rest.
func exactDouble(tok []byte) (float64, bool) {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var mantissa uint64
	digits, scale, i := 0, 0, 0
	for ; i < len(tok) && (tok[i]-'0' <= 9 || tok[i] == '.'); i++ {
		if tok[i] == '.' {
			scale = len(tok) - i - 1
			continue
		}
		mantissa = mantissa*10 + uint64(tok[i]-'0')
		digits++
	}
	if i < len(tok) || digits > 15 || scale >= len(exactPowers) {
		return 0, false // an exponent, or more digits than a float64 holds exactly
	}
	v := float64(mantissa) / exactPowers[scale]
	if neg {
		v = -v
	}
	return v, true
}
