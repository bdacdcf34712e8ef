// Package check proves properties of a config's generators on real data, what freqtrade
// offers as lookahead-analysis and recursive-analysis:
//
//   - Lookahead recomputes the generator sets on the data cut at several rows and reports
//     every column whose value at a row before a cut changes: such a generator reads rows
//     after the one it computes (a look-ahead leak that makes backtests lie).
//   - Warmup recomputes the last rows with increasing history and reports, per column, how
//     many rows of history give values equal to the computation over all rows (to a relative
//     tolerance). Recursive indicators (EMA, RSI, ATR, ADX, ...) depend on where they start;
//     the signal service uses this to prove that its bounded window reproduces batch values.
//
// Both take built generator steps (gen.Build over feature_sets or signal_sets) and a frame
// holding their input columns; they never modify the frame.
package check

import (
	"fmt"
	"math"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// DefaultTolerance is the relative tolerance of both checks.
const DefaultTolerance = 1e-9

// Equal reports whether a and b agree to the relative tolerance tol: both NaN, or
// |a-b| <= tol*max(|a|,|b|). A NaN against a number is a difference.
func Equal(a, b, tol float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// inputs copies rows [i, j) of the columns the steps read from f into a new frame, so a
// generator that writes into its input cannot change f or another run.
func inputs(f *frame.Frame, steps []gen.Step, i, j int) (*frame.Frame, error) {
	out := frame.New(append([]int64(nil), f.Time[i:j]...))
	for _, n := range gen.Inputs(steps) {
		c, err := f.Col(n)
		if err != nil {
			return nil, fmt.Errorf("%w needed by the generators", err)
		}
		if err := out.Set(n, f.Kind(n), append([]float64(nil), c[i:j]...)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// compute applies the steps to rows [i, j) of f and returns the created columns by name.
func compute(f *frame.Frame, steps []gen.Step, i, j int) (map[string][]float64, error) {
	in, err := inputs(f, steps, i, j)
	if err != nil {
		return nil, err
	}
	created, err := gen.Apply(in, steps)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]float64, len(created))
	for _, n := range created {
		out[n], _ = in.Col(n)
	}
	return out, nil
}

// columns lists the created columns in order with the key of the step that creates each.
func columns(steps []gen.Step) (names, keys []string) {
	seen := map[string]int{}
	for _, s := range steps {
		for _, n := range s.Outputs() {
			if k, ok := seen[n]; ok {
				keys[k] = s.Key // a later step replaces the column
				continue
			}
			seen[n] = len(names)
			names, keys = append(names, n), append(keys, s.Key)
		}
	}
	return names, keys
}
