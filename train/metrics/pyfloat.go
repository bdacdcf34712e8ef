package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PyRound returns Python's round(x, ndigits) for ndigits >= 0: the float nearest to x correctly
// rounded to ndigits decimals, exact ties to even (round(0.0625, 3) = 0.062; round(2.675, 2) =
// 2.67 because 2.675 is stored as 2.67499...). NaN and ±Inf are returned unchanged.
func PyRound(x float64, ndigits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', ndigits, 64), 64)
	if err != nil { // unreachable: FormatFloat output always parses
		return x
	}
	return v
}

// PyRepr formats x as Python's repr(float): the shortest round-trip digits, with ".0" on whole
// numbers, scientific notation when the decimal exponent is below -4 or at least 16 (1e+16,
// 1e-05), and nan, inf, -inf, -0.0.
func PyRepr(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	s := strconv.FormatFloat(x, 'e', -1, 64) // [-]d[.ddd]e±dd
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, expPart, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expPart)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		return fmt.Sprintf("%s%se%+03d", sign, m, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// regressionJSON mirrors Regression with nullable floats, so that NaN (for example R² of a
// single row) is written as null instead of failing encoding/json.
type regressionJSON struct {
	MAE     *float64       `json:"mae"`
	MAPE    *float64       `json:"mape"`
	R2      *float64       `json:"r2"`
	Sign    Classification `json:"sign"`
	N       int            `json:"n"`
	Dropped int            `json:"dropped"`
}

func nullable(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN scores as null.
func (r Regression) MarshalJSON() ([]byte, error) {
	return json.Marshal(regressionJSON{nullable(r.MAE), nullable(r.MAPE), nullable(r.R2), r.Sign, r.N, r.Dropped})
}

// UnmarshalJSON reads null scores back as NaN.
func (r *Regression) UnmarshalJSON(b []byte) error {
	var j regressionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Regression{fromNullable(j.MAE), fromNullable(j.MAPE), fromNullable(j.R2), j.Sign, j.N, j.Dropped}
	return nil
}
