package merge

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
)

// ErrColumns is returned when a klines source lacks a required column or has one that is not
// a kline column (a misspelt or shifted header would put one quantity's values in another's column).
var ErrColumns = errors.New("bad klines columns")

// RequiredKlinesColumns are the columns every klines source must have.
var RequiredKlinesColumns = []string{"open", "high", "low", "close", "volume"}

// CheckKlinesColumns checks a klines source's column names (time column excluded): each
// appears once, the required ones are present and every other one is one of ITB's kline
// columns (exchange.FieldNames).
func CheckKlinesColumns(path string, names []string) error {
	if err := frame.CheckHeader(path, names); err != nil {
		return err
	}
	for _, n := range names {
		if !slices.Contains(exchange.FieldNames[:], n) {
			return fmt.Errorf("%s: %w: unknown column %q (a klines file has %v)", path, ErrColumns, n, exchange.FieldNames)
		}
	}
	for _, n := range RequiredKlinesColumns {
		if !slices.Contains(names, n) {
			return fmt.Errorf("%s: %w: missing column %q (a klines file has %v)", path, ErrColumns, n, exchange.FieldNames)
		}
	}
	return nil
}

// CheckKlinesRows checks every bar of a klines frame (which has the required columns) with
// exchange.CheckBar: a negative volume, high below low, or open or close outside the bar's
// range is an error naming the file, its line (skipped rows precede the frame) and the time.
// Non-finite prices are reported as ErrBadPrice.
func CheckKlinesRows(path string, f *frame.Frame, skipped int) error {
	var cols [5][]float64
	for j, n := range RequiredKlinesColumns {
		c, err := f.Col(n)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		cols[j] = c
	}
	for i := range f.Time {
		o, h, l, c, v := cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i]
		err := exchange.CheckBar(o, h, l, c, v)
		if err == nil {
			continue
		}
		where := fmt.Sprintf("line %d (%s)", skipped+i+2, frame.FormatTime(f.Time[i]))
		for j, x := range [...]float64{o, h, l, c} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%s: %w: %s is %v at %s", path, ErrBadPrice, RequiredKlinesColumns[j], x, where)
			}
		}
		return fmt.Errorf("%s: %s: %w", path, where, err)
	}
	return nil
}
