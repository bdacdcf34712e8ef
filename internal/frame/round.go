package frame

import (
	"math"
	"strconv"
)

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// RoundDecimals returns the value that reading v back from its text with prec decimals gives:
// strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64)), without formatting in the common
// case. prec < 0, NaN and ±Inf return v unchanged.
func RoundDecimals(v float64, prec int) float64 {
	if prec < 0 || v != v || math.IsInf(v, 0) {
		return v
	}
	if prec < len(pow10) {
		p := pow10[prec]
		n := math.Round(v * p)
		if math.Abs(n) < 1<<52 {
			// r is v*p-n with one rounding; only a value within a hair of a tie is unclear.
			r := math.FMA(v, p, -n)
			switch {
			case math.Abs(math.Abs(r)-0.5) < 1e-6:
				// near a tie: let strconv decide below
			case r > 0.5:
				return (n + 1) / p
			case r < -0.5:
				return (n - 1) / p
			default:
				if n == 0 && math.Signbit(v) {
					return math.Copysign(0, -1)
				}
				return n / p
			}
		}
	}
	var buf [64]byte
	b := strconv.AppendFloat(buf[:0], v, 'f', prec, 64)
	x, _ := strconv.ParseFloat(string(b), 64)
	return x
}
