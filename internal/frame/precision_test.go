package frame

import (
	"math"
	"testing"
)

func TestLosesDigits(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		prec int
		want bool
	}{
		{"prices keep every digit", []float64{27193.09, 27190.5, 28080}, 6, false},
		{"long prices keep 11 of 16", []float64{27193.091234567891, 27190.512345678912}, 6, false},
		{"returns near 1e-4 keep 3 of 16", []float64{0.00012345678912345, -0.00023456789123456}, 6, true},
		{"exact output never loses", []float64{0.00012345678912345}, -1, false},
		{"short decimals are exact", []float64{0.0001, 0.0002}, 6, false},
		{"mostly NaN and zero", []float64{math.NaN(), 0, 0, 1.5}, 6, false},
		{"half lossy is not more than half", []float64{0.00012345678912345, 27193.09}, 6, false},
	} {
		if got := LosesDigits(tc.x, tc.prec); got != tc.want {
			t.Errorf("%s: LosesDigits = %v, want %v", tc.name, got, tc.want)
		}
	}
}
