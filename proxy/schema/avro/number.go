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

// shortInteger reads, in one pass, the common integer at d[i:]: up to 18
// digits, no fraction or exponent, no leading zero. It returns the value
// and where it ends; for anything else, false, for numberToken and
// wholeNumber to read.
func shortInteger(d []byte, i int) (v int64, end int, ok bool) {
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	end, digits := digitRun(d, i)
	switch n := end - i; {
	case uint(n-1) >= 18 || (n > 1 && d[i] == '0'):
		return 0, 0, false // no digits, too many, or a leading zero
	case end < len(d) && (d[end] == '.' || d[end]|0x20 == 'e'):
		return 0, 0, false // a fraction or an exponent (e or E)
	}
	if neg {
		return -int64(digits), end, true
	}
	return int64(digits), end, true
}

// digitRun reads the decimal digits at d[i:] and returns where they end
// and, when there are at most 19 of them, their value (for more, the
// value is meaningless). Reading eight digits at a time (SWAR) was tried:
// for the numbers records hold, mostly short, it was slower.
func digitRun(d []byte, i int) (end int, v uint64) {
	for ; i < len(d) && d[i]-'0' <= 9; i++ {
		v = v*10 + uint64(d[i]-'0')
	}
	return i, v
}

// powersOfTen are the powers of ten a uint64 holds.
var powersOfTen = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// exactPowers are the powers of ten a float64 holds exactly.
var exactPowers = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDigits is up to how many digits a float64 holds every integer of.
const exactDigits = 15

// exactDouble reads, in one pass, the common double at d[i:], written
// with few digits and no exponent, like 19.99: when its digits as an
// integer and the power of ten that scales them are both exact in a
// float64, one division rounds correctly (Clinger's fast path), as
// strconv would, only sooner. It returns the value and where it ends;
// for anything else, false, for numberToken and strconv to read.
func exactDouble(d []byte, i int) (v float64, end int, ok bool) {
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	end, mantissa := digitRun(d, i)
	digits, scale := end-i, 0
	if digits == 0 || (digits > 1 && d[i] == '0') {
		return 0, 0, false
	}
	if end < len(d) && d[end] == '.' {
		fracEnd, fraction := digitRun(d, end+1)
		scale = fracEnd - end - 1
		if scale == 0 || digits+scale > exactDigits {
			return 0, 0, false
		}
		digits += scale
		mantissa = mantissa*powersOfTen[scale] + fraction
		end = fracEnd
	}
	if digits > exactDigits || (end < len(d) && d[end]|0x20 == 'e') {
		return 0, 0, false // too many digits, or an exponent (e or E)
	}
	v = float64(mantissa) / exactPowers[scale]
	if neg {
		v = -v
	}
	return v, end, true
}
