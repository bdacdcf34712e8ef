package frame

import (
	"math"
	"strconv"
)

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// roundedDigits returns round(|v| * 10^prec) as an exact integer when it is below 2^52 and
// v*10^prec is not within a hair of a tie (then ok is false and strconv must decide).
func roundedDigits(v float64, prec int) (uint64, bool) {
	if prec < 0 || prec >= len(pow10) || v != v || math.IsInf(v, 0) {
		return 0, false
	}
	p := pow10[prec]
	v = math.Abs(v)
	n := math.Round(v * p)
	if n >= 1<<52 {
		return 0, false
	}
	// r is v*p-n with one rounding; only a value within a hair of a tie is unclear.
	r := math.FMA(v, p, -n)
	switch {
	case math.Abs(math.Abs(r)-0.5) < 1e-6:
		return 0, false
	case r > 0.5:
		n++
	case r < -0.5:
		n--
	}
	return uint64(n), true
}

// RoundDecimals returns the value that reading v back from its text with prec decimals gives:
// strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64)), without formatting in the common
// case. prec < 0, NaN and ±Inf return v unchanged.
func RoundDecimals(v float64, prec int) float64 {
	if prec < 0 || v != v || math.IsInf(v, 0) {
		return v
	}
	if n, ok := roundedDigits(v, prec); ok {
		// n and 10^prec are exact, so the division is the correctly rounded decimal.
		return math.Copysign(float64(n)/pow10[prec], v)
	}
	var buf [64]byte
	x, _ := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], v, 'f', prec, 64)), 64)
	return x
}

// appendFixed appends v with prec decimals, exactly as strconv.AppendFloat(buf, v, 'f', prec, 64).
func appendFixed(buf []byte, v float64, prec int) []byte {
	n, ok := roundedDigits(v, prec)
	if !ok {
		return strconv.AppendFloat(buf, v, 'f', prec, 64)
	}
	if math.Signbit(v) {
		buf = append(buf, '-')
	}
	scale := uint64(pow10[prec])
	buf = strconv.AppendUint(buf, n/scale, 10)
	if prec == 0 {
		return buf
	}
	buf = append(buf, '.')
	frac := n % scale
	start := len(buf)
	buf = strconv.AppendUint(buf, frac, 10)
	if pad := prec - (len(buf) - start); pad > 0 { // left-pad the fraction with zeros
		buf = append(buf, make([]byte, pad)...)
		copy(buf[start+pad:], buf[start:len(buf)-pad])
		for i := range pad {
			buf[start+i] = '0'
		}
	}
	return buf
}
