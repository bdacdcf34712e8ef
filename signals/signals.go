// Package signals turns model scores into trade signals: the generators named in a config's
// signal_sets (itb-behaviour §6.1–6.3) and the batch step that applies them to the
// predictions file (predict or rolling output) and writes the signals file (§2.9).
//
// Generators and their config objects (signal_sets[].config):
//
//	combine         {columns: [up, down], names: "out", combine: "difference"|"relative"|"no_combine", coefficient, constant}
//	smoothen        {columns: "c"|["c1", ...], names: "out", point_threshold, window: int (rolling) | float (EWM span)}
//	threshold_rule  {columns: "score"|["score"], names: [buy, sell], parameters: {buy_signal_threshold, sell_signal_threshold}}
//	threshold_rule2 {columns: [s1, s2], names: [buy, sell], parameters: {buy_signal_threshold, buy_signal_threshold_2,
//	                 sell_signal_threshold, sell_signal_threshold_2}}
//
// NaN handling is ITB's: combine propagates NaN (its default mode gives -down when up is
// NaN, because NaN >= x is false); smoothen averages the non-NaN columns of a row and its
// rolling/EWM means skip NaN rows as pandas does; threshold rules give false for NaN.
// Infinite results (relative mode with up+down = 0 and up != 0) become NaN, as ITB replaces
// ±inf before writing. Where ITB accepts a config it then crashes on, or silently ignores a
// typo, these generators return an error wrapping gen.ErrConfig that names the key.
//
// Every generator is also available as a plain kernel over float64 slices (Combine,
// RowMean, RollingMean, EWMMean, Threshold, Threshold2) for callers that evaluate many
// parameter sets, such as the threshold grid of simulate.
package signals

import (
	"fmt"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// Default is the registry of signal generators.
var Default = gen.NewRegistry("signal")

func init() {
	Default.Register("combine", newCombine)
	Default.Register("smoothen", newSmoothen)
	Default.Register("threshold_rule", newThresholdRule)
	Default.Register("threshold_rule2", newThresholdRule2)
}

// one returns the single output column of a generator.
func one(name string, kind frame.Kind, data []float64) []frame.Column {
	return []frame.Column{{Name: name, Kind: kind, Data: data}}
}

// cols reads the named input columns of a generator.
func cols(in *frame.Frame, names ...string) ([][]float64, error) {
	out := make([][]float64, len(names))
	for i, n := range names {
		c, err := in.Col(n)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// outName reads a config's "names" key, which must be one non-empty string.
func outName(c gen.Config) (string, error) {
	s, err := c.Str("names")
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", gen.ConfigErrorf("key \"names\": empty name")
	}
	return s, nil
}

// optNum reads an optional number: 0 when the key is missing or null.
func optNum(c gen.Config, key string) (float64, error) {
	if !c.Has(key) {
		return 0, nil
	}
	return c.Num(key)
}

// wrapKey prefixes a nested config error with its parent key.
func wrapKey(key string, err error) error {
	return fmt.Errorf("key %q: %w", key, err)
}
