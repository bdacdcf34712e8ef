package signals

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// RowMean is the mean of the non-NaN values of each row across the columns (pandas
// mean(axis=1, skipna=True)): NaN when every value of the row is NaN.
func RowMean(columns [][]float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		sum, cnt := 0.0, 0
		for _, c := range columns {
			if v := c[i]; v == v {
				sum += v
				cnt++
			}
		}
		out[i] = math.NaN()
		if cnt > 0 {
			out[i] = sum / float64(cnt)
		}
	}
	return out
}

// AtLeast gives 1 where x >= threshold and 0 elsewhere, NaN included.
func AtLeast(x []float64, threshold float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		if v >= threshold {
			out[i] = 1
		}
	}
	return out
}

// RollingMean is pandas rolling(window, min_periods=minPeriods).mean(): the mean of the
// non-NaN values among the last window rows, NaN when fewer than max(minPeriods, 1) of them
// are valid; when those values are all equal the mean is that value, as in pandas. Each
// window is summed afresh in row order rather than with pandas' running sum, so a value
// depends only on its window (a bounded computation gives the batch value exactly); the two
// differ at most in the last bits, far below the files' 6 decimals.
func RollingMean(x []float64, window, minPeriods int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		sum, k, same := 0.0, 0, true
		first := math.NaN()
		for _, v := range x[max(0, i-window+1) : i+1] {
			if v != v {
				continue
			}
			if k == 0 {
				first = v
			}
			same = same && v == first
			sum += v
			k++
		}
		switch {
		case k == 0 || k < minPeriods:
			out[i] = math.NaN()
		case same:
			out[i] = first
		default:
			out[i] = sum / float64(k)
		}
	}
	return out
}

// EWMMean is pandas ewm(span=span, min_periods=minPeriods, adjust=False).mean() with
// ignore_na=False: alpha = 2/(span+1); a NaN row keeps the previous mean but still decays
// its weight; rows before max(minPeriods, 1) valid values are NaN.
func EWMMean(x []float64, span float64, minPeriods int) []float64 {
	out := make([]float64, len(x))
	if len(x) == 0 {
		return out
	}
	minp := max(minPeriods, 1)
	com := (span - 1) / 2
	alpha := 1 / (1 + com)
	oldFactor := 1 - alpha
	weighted := x[0]
	nobs := 0
	if weighted == weighted {
		nobs = 1
	}
	emit := func(i int) {
		out[i] = math.NaN()
		if nobs >= minp {
			out[i] = weighted
		}
	}
	emit(0)
	oldWt := 1.0
	for i := 1; i < len(x); i++ {
		cur := x[i]
		obs := cur == cur
		if obs {
			nobs++
		}
		if weighted == weighted {
			oldWt *= oldFactor
			if obs && weighted != cur {
				weighted = oldWt*weighted + alpha*cur
				weighted /= oldWt + alpha
			}
			if obs {
				oldWt = 1
			}
		} else if obs {
			weighted = cur
		}
		emit(i)
	}
	return out
}

// smoothenGen is the smoothen generator.
type smoothenGen struct {
	columns   []string
	name      string
	threshold float64 // applied when non-zero
	window    int     // rolling mean window (0: none)
	span      float64 // EWM span (0: none)
}

// newSmoothen builds smoothen from {columns, names, point_threshold, window}
// (itb-behaviour §6.2): the row mean of columns (a string or a list), then, when
// point_threshold is non-zero (ITB skips 0), 1/0 for mean >= point_threshold, then a
// rolling mean when window is an integer (min_periods window/2) or an EWM with span window
// when it is a number with a fraction or exponent, e.g. 5.0 (min_periods floor(window/2)).
// Without window and with a threshold, the output is a boolean column.
func newSmoothen(raw json.RawMessage) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "columns", "names", "point_threshold", "window")
	if err != nil {
		return nil, err
	}
	g := &smoothenGen{}
	if g.columns, err = c.Strs("columns", true); err != nil {
		return nil, err
	}
	if len(g.columns) == 0 {
		return nil, gen.ConfigErrorf("key \"columns\": empty list")
	}
	for _, n := range g.columns {
		if n == "" {
			return nil, gen.ConfigErrorf("key \"columns\": empty column name")
		}
	}
	if g.name, err = outName(c); err != nil {
		return nil, err
	}
	if g.threshold, err = optNum(c, "point_threshold"); err != nil {
		return nil, err
	}
	if c.Has("window") {
		w, err := c.Num("window")
		if err != nil {
			return nil, err
		}
		if isIntLiteral(c["window"]) {
			if w < 1 || w > math.MaxInt32 {
				return nil, gen.ConfigErrorf("key \"window\": want a rolling window >= 1 row, got %v", gen.Show(c["window"]))
			}
			g.window = int(w)
		} else {
			if !(w >= 1) || math.IsInf(w, 0) {
				return nil, gen.ConfigErrorf("key \"window\": want an EWM span >= 1, got %v", gen.Show(c["window"]))
			}
			g.span = w
		}
	}
	return g, nil
}

// isIntLiteral reports whether a JSON number is written without a fraction or exponent,
// which Python's json module reads as an int.
func isIntLiteral(raw json.RawMessage) bool {
	return !bytes.ContainsAny(bytes.TrimSpace(raw), ".eE")
}

// Inputs lists the averaged columns.
func (g *smoothenGen) Inputs() []string { return append([]string(nil), g.columns...) }

// Outputs lists the smoothed column.
func (g *smoothenGen) Outputs() []string { return []string{g.name} }

// Window is the rolling window, or the EWM span rounded up.
func (g *smoothenGen) Window() int {
	if g.span > 0 {
		return int(math.Ceil(g.span))
	}
	return g.window
}

// Lookback is window-1 for a rolling mean, -1 (every earlier row) for an EWM, 0 otherwise.
func (g *smoothenGen) Lookback() int {
	switch {
	case g.span > 0:
		return -1
	case g.window > 0:
		return g.window - 1
	}
	return 0
}

// Generate computes the smoothed column.
func (g *smoothenGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := cols(in, g.columns...)
	if err != nil {
		return nil, err
	}
	out := RowMean(x, in.Len())
	kind := frame.Float
	if g.threshold != 0 {
		out = AtLeast(out, g.threshold)
		kind = frame.Bool
	}
	switch {
	case g.window > 0:
		out, kind = RollingMean(out, g.window, g.window/2), frame.Float
	case g.span > 0:
		out, kind = EWMMean(out, g.span, int(math.Floor(g.span/2))), frame.Float
	}
	return one(g.name, kind, out), nil
}
