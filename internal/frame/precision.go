package frame

import (
	"math"
	"strconv"
	"strings"
)

// LosesDigits reports whether writing x with prec decimals (ITB's "%.6f" is 6) loses more than
// half of the significant digits of its typical value: it looks at up to 1000 finite non-zero
// values spread over x and answers true when more than half of them keep fewer than half of the
// digits of their shortest exact representation. A negative prec (exact output) never loses.
func LosesDigits(x []float64, prec int) bool {
	if prec < 0 {
		return false
	}
	step := max(1, len(x)/1000)
	lossy, seen := 0, 0
	for i := 0; i < len(x); i += step {
		v := x[i]
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		seen++
		exact := significantDigits(v)
		kept := min(max(prec+int(math.Floor(math.Log10(math.Abs(v))))+1, 0), exact)
		if 2*kept < exact {
			lossy++
		}
	}
	return 2*lossy > seen
}

// significantDigits counts the digits of v's shortest exact decimal representation.
func significantDigits(v float64) int {
	s := strconv.FormatFloat(math.Abs(v), 'e', -1, 64) // d.ddddde±xx
	mant, _, _ := strings.Cut(s, "e")
	return len(strings.Replace(mant, ".", "", 1))
}
