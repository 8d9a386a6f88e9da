package record

import (
	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"

	"time"
)

const timestampExpected = "an RFC 3339 date-time string, a number of epoch seconds, or null"

// maxTimestampMillis is 9999-12-31T23:59:59.999Z: the last instant RFC 3339
// can write, and far inside Kafka's int64 milliseconds.
const maxTimestampMillis = 253402300799999

// timestamp reads the timestamp field: an RFC 3339 string, a JSON number of
// epoch seconds (a fraction gives milliseconds), or null (zero Time). The
// result is UTC, truncated to milliseconds, and not before 1970: Kafka treats
// negative timestamps as "none".
func (p *parser) timestamp() (time.Time, *apierror.Error) {
	if null, err := p.isNull(); null || err != nil {
		return time.Time{}, err
	}
	v, err := p.value(1)
	if err != nil {
		return time.Time{}, err
	}
	var ms int64
	switch c := v[0]; {
	case c == '"':
		t, perr := time.Parse(time.RFC3339, string(stringValue(v, hasEscape(v))))
		if perr != nil {
			return time.Time{}, invalid("timestamp", timestampExpected, v)
		}
		ms = t.UnixMilli()
		if t.Before(time.Unix(0, 0)) {
			ms = -1
		}
	case c == '-' || (c >= '0' && c <= '9'):
		var ok bool
		if ms, ok = epochSecondsToMillis(v); !ok {
			return time.Time{}, invalid("timestamp", timestampExpected+" up to year 9999", v)
		}
	default:
		return time.Time{}, invalid("timestamp", timestampExpected, v)
	}
	if ms < 0 {
		return time.Time{}, apierror.Detailf(apierror.InvalidRecord, "Invalid field \"timestamp\": %s is before 1970-01-01T00:00:00Z.", truncate(v, 64))
	}
	return time.UnixMilli(ms).UTC(), nil
}

// epochSecondsToMillis converts the valid JSON number v, in seconds, to whole
// milliseconds, truncating. It works on the decimal digits, so that 1.844
// gives 1844 (float64 would give 1843). Any negative non-zero value returns -1;
// ok is false above maxTimestampMillis.
func epochSecondsToMillis(v []byte) (ms int64, ok bool) {
	neg := v[0] == '-'
	if neg {
		v = v[1:]
	}
	// Split into significant digits and a decimal exponent: value = digits × 10^exp.
	var digits [24]byte
	nd, exp, nonZero := 0, 0, false
	i := 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		nonZero, nd, exp = addDigit(&digits, nd, exp, v[i], nonZero, false)
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			nonZero, nd, exp = addDigit(&digits, nd, exp, v[i], nonZero, true)
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		expNeg := v[i] == '-'
		if v[i] == '-' || v[i] == '+' {
			i++
		}
		e := 0
		for ; i < len(v); i++ {
			if e < 1_000_000 {
				e = e*10 + int(v[i]-'0')
			}
		}
		if expNeg {
			e = -e
		}
		exp += e
	}
	if !nonZero {
		return 0, true
	}
	if neg {
		return -1, true
	}
	exp += 3 // seconds to milliseconds
	// Keep the integer part of digits × 10^exp.
	intDigits := nd + exp
	if intDigits <= 0 {
		return 0, true
	}
	if intDigits > 15 {
		return 0, false
	}
	for k := 0; k < intDigits; k++ {
		d := int64(0)
		if k < nd {
			d = int64(digits[k] - '0')
		}
		ms = ms*10 + d
	}
	return ms, ms <= maxTimestampMillis
}

// addDigit appends one digit to the significant digits of a decimal number.
// Leading zeros are dropped; digits beyond the buffer only matter for their
// position, so they shift the exponent. Fraction digits lower the exponent.
func addDigit(digits *[24]byte, nd, exp int, c byte, nonZero, fraction bool) (bool, int, int) {
	if c == '0' && !nonZero {
		if fraction {
			exp--
		}
		return false, nd, exp
	}
	if nd < len(digits) {
		digits[nd] = c
		nd++
		if fraction {
			exp--
		}
	} else if !fraction {
		exp++
	}
	return true, nd, exp
}
