package labels

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// HighLow2 computes one highlow2 label (ITB generate_labels_highlow2): 1 where, within the next
// horizon rows i+1..i+horizon (row i itself excluded), the price reaches the target before it
// reaches the stop, 0 otherwise.
//
// With p = ref[i] and T = |threshold| (percent):
//   - function "high": target up[j] > p*(1+T/100), stop down[j] < p*(1+tol/100), tol = round(-T*tolerance, 6);
//   - function "low": target down[j] < p*(1-T/100), stop up[j] > p*(1+tol/100), tol = round(T*tolerance, 6).
//
// Comparisons are strict. The label is 1 if the target is crossed at an earlier or the same
// row as the stop (a tie in one bar counts as target first), or crossed with no stop; it is 0
// if the target is never crossed. NaN prices never cross. The last horizon rows are 0 because
// their future is incomplete (as in ITB, where they come out False rather than NaN).
//
// Deliberate difference from ITB: a row whose reference price is NaN (e.g. inside an exchange
// halt gap) is always 0, where ITB's window function returns index 0 for both crossings and
// can mark it True. Likewise a NaN at the first future row counts as "not crossed" here, where
// ITB's argmax check treats it as a crossing. ITB also yields False when fewer than horizon/2 values
// in a window are non-NaN; HighLow2 has no such minimum and labels from the prices present.
//
// It keeps a stack of running maxima per price column and runs in about O(n*sqrt(horizon)) on
// price data rather than O(n*horizon).
//
// Errors (wrapping gen.ErrConfig or frame.ErrLength) report a bad function, a zero or
// non-finite threshold, a negative tolerance, horizon < 1 or slices of different lengths.
func HighLow2(ref, up, down []float64, function string, threshold, tolerance float64, horizon int) ([]float64, error) {
	if len(up) != len(ref) || len(down) != len(ref) {
		return nil, fmt.Errorf("highlow2: %w: ref has %d rows, up %d, down %d", frame.ErrLength, len(ref), len(up), len(down))
	}
	if err := checkHighLow2(function, threshold, tolerance, horizon); err != nil {
		return nil, fmt.Errorf("highlow2: %w", err)
	}
	out := make([]float64, len(ref))
	T := math.Abs(threshold)
	if function == "high" {
		target := 1 + T/100
		stop := 1 + tolThreshold(T, tolerance)/100
		recordCross(out, ref, up, down, 1, target, stop, horizon)
	} else {
		T = -T
		target := 1 + T/100
		stop := 1 + tolThreshold(T, tolerance)/100
		recordCross(out, ref, down, up, -1, target, stop, horizon)
	}
	return out, nil
}

func checkHighLow2(function string, threshold, tolerance float64, horizon int) error {
	switch {
	case function != "high" && function != "low":
		return gen.ConfigErrorf("function: want \"high\" or \"low\", got %q", function)
	case threshold == 0 || math.IsNaN(threshold) || math.IsInf(threshold, 0):
		return gen.ConfigErrorf("threshold: want a non-zero finite percentage, got %v", threshold)
	case !(tolerance >= 0) || math.IsInf(tolerance, 0):
		return gen.ConfigErrorf("tolerance: want a finite fraction >= 0, got %v", tolerance)
	case horizon < 1:
		return gen.ConfigErrorf("horizon: want >= 1 row, got %d", horizon)
	}
	return nil
}

// tolThreshold is ITB's stop threshold round(-T*tolerance, 6) in percent, with Python's
// correctly rounded round-half-even on the exact binary value (strconv rounds the same way).
func tolThreshold(T, tolerance float64) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(-T*tolerance, 'f', 6, 64), 64)
	if err != nil { // unreachable for finite inputs
		return -T * tolerance
	}
	return v
}

// highLow2 is the highlow2 generator: one boolean label per threshold.
type highLow2 struct {
	columns    [3]string // ref, up, down
	function   string
	thresholds []float64
	tolerance  float64
	horizon    int
	names      []string
}

// newHighLow2 builds highlow2 from {columns:[ref,up,down], function:"high"|"low",
// thresholds:[pct...] (or one number), tolerance, horizon, names:[...] (one per threshold)}.
func newHighLow2(raw json.RawMessage) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "columns", "function", "thresholds", "tolerance", "horizon", "names")
	if err != nil {
		return nil, err
	}
	g := &highLow2{}
	cols, err := c.Strs("columns", false)
	if err != nil {
		return nil, err
	}
	if len(cols) != 3 {
		return nil, gen.ConfigErrorf("key \"columns\": want 3 column names [ref, up, down], got %d", len(cols))
	}
	copy(g.columns[:], cols)
	if g.function, err = c.Enum("function", "high", "low"); err != nil {
		return nil, err
	}
	if g.thresholds, err = c.Nums("thresholds"); err != nil {
		return nil, err
	}
	if len(g.thresholds) == 0 {
		return nil, gen.ConfigErrorf("key \"thresholds\": empty list")
	}
	for _, t := range g.thresholds {
		if t == 0 {
			return nil, gen.ConfigErrorf("key \"thresholds\": a threshold is 0, want non-zero percentages")
		}
	}
	if g.tolerance, err = c.Num("tolerance"); err != nil {
		return nil, err
	}
	if g.tolerance < 0 {
		return nil, gen.ConfigErrorf("key \"tolerance\": want >= 0, got %v", g.tolerance)
	}
	if g.horizon, err = c.PositiveInt("horizon"); err != nil {
		return nil, err
	}
	if g.names, err = c.Strs("names", true); err != nil {
		return nil, err
	}
	if err := gen.CheckNames("names", g.names, len(g.thresholds), "thresholds"); err != nil {
		return nil, err
	}
	return g, nil
}

// Inputs returns the ref, up and down columns.
func (g *highLow2) Inputs() []string { return g.columns[:] }

// Outputs returns the label names, one per threshold.
func (g *highLow2) Outputs() []string { return append([]string(nil), g.names...) }

// Window is 0: labels read no past rows.
func (g *highLow2) Window() int { return 0 }

// Lookback is -1: a label is not a past-window feature and is only computed in batch.
func (g *highLow2) Lookback() int { return -1 }

// Horizon is the number of future rows read.
func (g *highLow2) Horizon() int { return g.horizon }

// Generate computes one frame.Bool column per threshold.
func (g *highLow2) Generate(in *frame.Frame) ([]frame.Column, error) {
	var cols [3][]float64
	for i, name := range g.columns {
		c, err := in.Col(name)
		if err != nil {
			return nil, fmt.Errorf("highlow2: %w", err)
		}
		cols[i] = c
	}
	out := make([]frame.Column, len(g.thresholds))
	for i, t := range g.thresholds {
		data, err := HighLow2(cols[0], cols[1], cols[2], g.function, t, g.tolerance, g.horizon)
		if err != nil {
			return nil, err
		}
		out[i] = frame.Column{Name: g.names[i], Kind: frame.Bool, Data: data}
	}
	return out, nil
}

// record is one entry of a running-maxima stack: a row index and its value s*x[j].
type record struct {
	v float64
	j int
}

// firstAbove returns the first index j <= limit with value > t in a running-maxima stack
// (nearest row on top, values rising towards the bottom), or -1.
func firstAbove(st []record, t float64, limit int) int {
	for k := len(st) - 1; k >= 0; k-- {
		r := st[k]
		if r.j > limit {
			return -1
		}
		if r.v > t {
			return r.j
		}
	}
	return -1
}

// recordCross labels one highlow2 column, visiting rows from the last to the first.
//
// Multiplying by s = ±1 is exact, so s*x > s*t means x > t for s = 1 and x < t for s = -1:
// sT = +1 targets up > level (high), -1 down < level (low); the stop column uses -sT.
// For row i a stack holds the rows j > i whose value exceeds that of every row between i and j
// (the running maxima seen from i, nearest on top; NaN never enters). The first row crossing a
// level is the first stack entry above it, so each row walks only the running maxima inside its
// window (about sqrt(horizon) of them for a random walk) instead of up to horizon rows.
func recordCross(out, ref, tcol, scol []float64, sT, target, stop float64, horizon int) {
	n := len(ref)
	sS := -sT
	tst := make([]record, 0, 256)
	sst := make([]record, 0, 256)
	for i := n - 1; i >= 0; i-- {
		if j := i + 1; j < n {
			if v := sT * tcol[j]; v == v {
				k := len(tst)
				for k > 0 && tst[k-1].v <= v {
					k--
				}
				tst = append(tst[:k], record{v, j})
			}
			if v := sS * scol[j]; v == v {
				k := len(sst)
				for k > 0 && sst[k-1].v <= v {
					k--
				}
				sst = append(sst[:k], record{v, j})
			}
		}
		p := ref[i]
		if i+horizon >= n || p != p {
			continue
		}
		f := firstAbove(tst, sT*(p*target), i+horizon)
		// A stop in the target's own bar is a tie, which counts as target first.
		if f >= 0 && firstAbove(sst, sS*(p*stop), f-1) < 0 {
			out[i] = 1
		}
	}
}
