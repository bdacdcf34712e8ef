package merge

import (
	"errors"
	"fmt"
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
