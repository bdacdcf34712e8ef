package features

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tradectl/tradectl/internal/frame"
)

// statFunc computes one statistic over the valid values of a window.
type statFunc func(x []float64, bias bool) float64

var itbStatFuncs = map[string]statFunc{
	"scipy_skew":      scipySkew,
	"pandas_skew":     func(x []float64, _ bool) float64 { return pandasSkew(x) },
	"scipy_kurtosis":  scipyKurtosis,
	"pandas_kurtosis": func(x []float64, _ bool) float64 { return pandasKurtosis(x) },
	"lsbm":            func(x []float64, _ bool) float64 { return longestStrikeBelowMean(x) },
	"fmax":            func(x []float64, _ bool) float64 { return firstLocationOfMaximum(x) },
	"mean":            func(x []float64, _ bool) float64 { return mean(x) },
	"std":             func(x []float64, _ bool) float64 { return popStd(x) },
	"area":            func(x []float64, _ bool) float64 { return areaFn(x, false) },
	"slope":           func(x []float64, _ bool) float64 { return olsSlope(x) },
}

type itbstatsGen struct {
	column  string
	fnNames []string // as written in the config
	fns     []statFunc
	windows []int
	bias    bool
	post    postProc
	fill    fillMode
	outputs []string
}

func init() { Default.Register("itbstats", NewItbstats) }

// NewItbstats builds the itbstats generator (ITB generate_features_itbstats,
// itb-behaviour §3.2) from its config: rolling statistics of one column.
//
// Config keys:
//   - columns: a string or a list (the first column is used).
//   - functions: a list of scipy_skew, pandas_skew, scipy_kurtosis, pandas_kurtosis, lsbm,
//     fmax, mean, std, area, slope (case-insensitive; the name is used as written).
//   - windows: an int or a list of ints.
//   - parameters: optional {bias, rel_base, rel_func, percentage, log, fill}; bias (default
//     false) is passed to scipy_skew and scipy_kurtosis, fill is as for talib (default "ffill",
//     "linear" is ITB's look-ahead interpolation), the rest is talib's post-processing.
//
// Each function runs over rolling windows with min_periods = max(1, w/2): the value at row t
// uses rows max(0, t-w+1)..t and is NaN unless at least min_periods of them are valid, so
// partial windows at the start do produce values. Functions see the valid values of the
// window only (after filling, NaN can only lead the series). Outputs are named
// {column}_{function}_{w}. Lookback is the largest window minus one.
func NewItbstats(cfg json.RawMessage) (Generator, error) {
	m, err := decodeObject(cfg, "itbstats config")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "itbstats config", "columns", "functions", "windows", "parameters"); err != nil {
		return nil, err
	}
	g := &itbstatsGen{}
	if g.column, err = firstColumn(m); err != nil {
		return nil, err
	}

	raw, ok := m["functions"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("functions: missing")
	}
	if g.fnNames, _, err = decodeStrings(raw); err != nil {
		return nil, ConfigErrorf("functions: %v", err)
	}
	if len(g.fnNames) == 0 {
		return nil, ConfigErrorf("functions: empty list")
	}
	for _, name := range g.fnNames {
		f, ok := itbStatFuncs[strings.ToLower(name)]
		if !ok {
			return nil, ConfigErrorf("functions: unknown itbstats function %q", name)
		}
		g.fns = append(g.fns, f)
	}

	raw, ok = m["windows"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("windows: missing")
	}
	if g.windows, err = decodeWindows(raw); err != nil {
		return nil, err
	}
	if len(g.windows) == 0 {
		return nil, ConfigErrorf("windows: empty list")
	}

	params := map[string]json.RawMessage{}
	if raw, ok := m["parameters"]; ok && !isNull(raw) {
		if params, err = decodeObject(raw, "parameters"); err != nil {
			return nil, err
		}
	}
	if g.post, err = parsePost(params); err != nil {
		return nil, err
	}
	if raw, ok := params["fill"]; ok {
		delete(params, "fill")
		if g.fill, err = parseFill(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := params["bias"]; ok {
		delete(params, "bias")
		if g.bias, err = decodeBool(raw); err != nil {
			return nil, ConfigErrorf("parameters.bias: %v", err)
		}
	}
	if err := checkKeys(params, "parameters", "bias", "rel_base", "rel_func", "percentage", "log", "fill"); err != nil {
		return nil, err
	}

	seen := map[string]bool{}
	for _, fn := range g.fnNames {
		for _, w := range g.windows {
			name := g.column + "_" + fn + "_" + strconv.Itoa(w)
			if seen[name] {
				return nil, ConfigErrorf("duplicate output column %q", name)
			}
			seen[name] = true
			g.outputs = append(g.outputs, name)
		}
	}
	return g, nil
}

// Inputs lists the one input column.
func (g *itbstatsGen) Inputs() []string { return []string{g.column} }

// Outputs lists {column}_{function}_{w}, function by function.
func (g *itbstatsGen) Outputs() []string { return append([]string(nil), g.outputs...) }

// Window is the largest window.
func (g *itbstatsGen) Window() int { return maxInt(g.windows) }

// Lookback is the largest window minus one.
func (g *itbstatsGen) Lookback() int { return maxInt(g.windows) - 1 }

// Generate computes the output columns.
func (g *itbstatsGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	raw, err := in.Col(g.column)
	if err != nil {
		return nil, fmt.Errorf("itbstats: %w", err)
	}
	x := fillSeries(raw, g.fill)
	n := len(x)
	results := make([][]float64, len(g.fns)*len(g.windows))
	var tasks []func() error
	for fi, f := range g.fns {
		for wi, w := range g.windows {
			out := make([]float64, n)
			results[fi*len(g.windows)+wi] = out
			for lo := 0; lo < n; lo += nativeChunk {
				lo, hi := lo, min(lo+nativeChunk, n)
				tasks = append(tasks, func() error {
					rollingApply(x, w, minPeriods(w), func(v []float64) float64 { return f(v, g.bias) }, out, lo, hi)
					return nil
				})
			}
		}
	}
	if err := runTasks(tasks); err != nil {
		return nil, err
	}
	cols := make([]frame.Column, 0, len(results))
	for fi := range g.fns {
		outs := results[fi*len(g.windows) : (fi+1)*len(g.windows)]
		g.post.apply(outs)
		for wi := range g.windows {
			cols = append(cols, frame.Column{Name: g.outputs[fi*len(g.windows)+wi], Kind: frame.Float, Data: outs[wi]})
		}
	}
	return cols, nil
}

// minPeriods is ITB's rolling min_periods for window w: max(1, w/2).
func minPeriods(w int) int { return max(1, w/2) }

func maxInt(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// rollingApply sets out[t], for t in [lo, hi), to f of the valid values of x[max(0,t-w+1)..t]
// when there are at least minp of them, and to NaN otherwise (pandas rolling(w, min_periods).apply).
func rollingApply(x []float64, w, minp int, f func([]float64) float64, out []float64, lo, hi int) {
	buf := make([]float64, 0, w)
	for t := lo; t < hi; t++ {
		buf = buf[:0]
		for _, v := range x[max(0, t-w+1) : t+1] {
			if !math.IsNaN(v) {
				buf = append(buf, v)
			}
		}
		if len(buf) < minp || len(buf) == 0 {
			out[t] = math.NaN()
			continue
		}
		out[t] = f(buf)
	}
}

// rollingMean is rollingApply with f = mean, without copying the window: the valid values
// are summed in the same order, so the result is bit-identical.
func rollingMean(x []float64, w, minp int, out []float64, lo, hi int) {
	for t := lo; t < hi; t++ {
		s, k := 0.0, 0
		for _, v := range x[max(0, t-w+1) : t+1] {
			if v == v { // not NaN
				s += v
				k++
			}
		}
		if k < minp || k == 0 {
			out[t] = math.NaN()
			continue
		}
		out[t] = s / float64(k)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// popStd is numpy's nanstd with ddof=0 (two-pass).
func popStd(x []float64) float64 {
	m := mean(x)
	ss := 0.0
	for _, v := range x {
		d := v - m
		ss += float64(d * d)
	}
	return math.Sqrt(ss / float64(len(x)))
}

// centralMoments returns the mean and the 2nd, 3rd and 4th central moments (divided by n).
func centralMoments(x []float64) (m, m2, m3, m4 float64) {
	m = mean(x)
	for _, v := range x {
		d := v - m
		d2 := d * d
		m2 += d2
		m3 += d2 * d
		m4 += d2 * d2
	}
	n := float64(len(x))
	return m, m2 / n, m3 / n, m4 / n
}

// scipyZero is scipy.stats' test for a (numerically) constant sample: m2 <= (1e-15·mean)².
func scipyZero(m, m2 float64) bool {
	r := 1e-15 * m
	return m2 <= r*r
}

// scipySkew is scipy.stats.skew(x, 0, bias): NaN for a constant sample; without bias the
// adjusted Fisher-Pearson coefficient when n > 2.
func scipySkew(x []float64, bias bool) float64 {
	m, m2, m3, _ := centralMoments(x)
	if scipyZero(m, m2) {
		return math.NaN()
	}
	v := m3 / math.Pow(m2, 1.5)
	n := float64(len(x))
	if !bias && n > 2 {
		v = math.Sqrt((n-1)*n) / (n - 2) * v
	}
	return v
}

// scipyKurtosis is scipy.stats.kurtosis(x, 0, fisher=True, bias): NaN for a constant
// sample; without bias the corrected estimator when n > 3.
func scipyKurtosis(x []float64, bias bool) float64 {
	m, m2, _, m4 := centralMoments(x)
	if scipyZero(m, m2) {
		return math.NaN()
	}
	v := m4 / (m2 * m2)
	n := float64(len(x))
	if !bias && n > 3 {
		v = 1.0/(n-2)/(n-3)*((n*n-1.0)*m4/(m2*m2)-3*(n-1)*(n-1)) + 3.0
	}
	return v - 3
}

func zeroOutFPErr(v float64) float64 {
	if math.Abs(v) < 1e-14 {
		return 0
	}
	return v
}

// pandasSkew is pandas' Series.skew (nanops.nanskew): NaN below 3 values, 0 when constant.
func pandasSkew(x []float64) float64 {
	n := float64(len(x))
	if n < 3 {
		return math.NaN()
	}
	m := mean(x)
	var m2, m3 float64
	for _, v := range x {
		d := v - m
		m2 += d * d
		m3 += d * d * d
	}
	m2, m3 = zeroOutFPErr(m2), zeroOutFPErr(m3)
	if m2 == 0 {
		return 0
	}
	return (n * math.Sqrt(n-1) / (n - 2)) * (m3 / math.Pow(m2, 1.5))
}

// pandasKurtosis is pandas' Series.kurt (nanops.nankurt, Fisher, unbiased): NaN below 4
// values, 0 when constant.
func pandasKurtosis(x []float64) float64 {
	n := float64(len(x))
	if n < 4 {
		return math.NaN()
	}
	m := mean(x)
	var m2, m4 float64
	for _, v := range x {
		d := v - m
		d2 := d * d
		m2 += d2
		m4 += d2 * d2
	}
	adj := 3 * (n - 1) * (n - 1) / ((n - 2) * (n - 3))
	num := zeroOutFPErr(n * (n + 1) * (n - 1) * m4)
	den := zeroOutFPErr((n - 2) * (n - 3) * m2 * m2)
	if den == 0 {
		return 0
	}
	return num/den - adj
}

// longestStrikeBelowMean is tsfresh's longest_strike_below_mean: the longest run of values
// below the mean (0 when there is none).
func longestStrikeBelowMean(x []float64) float64 {
	m := mean(x)
	best, run := 0, 0
	for _, v := range x {
		if v < m {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return float64(best)
}

// firstLocationOfMaximum is tsfresh's first_location_of_maximum: argmax/len.
func firstLocationOfMaximum(x []float64) float64 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return float64(best) / float64(len(x))
}

// areaFn is ITB's area_fn: with level the last value (past) or the first (future),
// a = Σ(x-level), b = Σ|x-level|, it returns 2·((b+a)/2)/b - 1 (= a/b, in [-1, 1]); NaN
// when all values equal the level.
func areaFn(x []float64, future bool) float64 {
	level := x[len(x)-1]
	if future {
		level = x[0]
	}
	var a, b float64
	for _, v := range x {
		d := v - level
		a += d
		b += math.Abs(d)
	}
	pos := (b + a) / 2
	ratio := pos / b
	return ratio*2 - 1
}

// olsSlope is the least-squares slope of x against 0..n-1; NaN for fewer than 2 values.
func olsSlope(y []float64) float64 {
	n := len(y)
	if n < 2 {
		return math.NaN()
	}
	xm := float64(n-1) / 2
	ym := mean(y)
	var sxy, sxx float64
	for i, v := range y {
		dx := float64(i) - xm
		sxy += float64(dx * (v - ym))
		sxx += float64(dx * dx)
	}
	return sxy / sxx
}
