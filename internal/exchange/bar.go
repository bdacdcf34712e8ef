package exchange

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadBar is returned for a bar whose values cannot be real: a negative or non-finite
// price or volume, high below low, or open or close outside [low, high].
var ErrBadBar = errors.New("impossible bar")

// CheckBar checks one bar's OHLCV values; the error names the offending value.
func CheckBar(open, high, low, close, volume float64) error {
	for _, v := range [...]struct {
		name string
		v    float64
	}{{"open", open}, {"high", high}, {"low", low}, {"close", close}, {"volume", volume}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) || v.v < 0 {
			return fmt.Errorf("%w: %s is %v", ErrBadBar, v.name, v.v)
		}
	}
	switch {
	case high < low:
		return fmt.Errorf("%w: high %v is below low %v", ErrBadBar, high, low)
	case open < low || open > high:
		return fmt.Errorf("%w: open %v is outside low %v .. high %v", ErrBadBar, open, low, high)
	case close < low || close > high:
		return fmt.Errorf("%w: close %v is outside low %v .. high %v", ErrBadBar, close, low, high)
	}
	return nil
}
