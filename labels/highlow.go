package labels

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// highLowLabel is one fixed threshold label of the legacy highlow generator.
type highLowLabel struct {
	name  string
	low   bool    // compares low_min_H instead of high_max_H
	level float64 // percent; |level| >= 0.75 means "crosses", smaller means "stays within"
}

// highLowLabels lists ITB's fixed highlow labels in output order.
var highLowLabels = []highLowLabel{
	{"high_10", false, 1.0}, {"high_15", false, 1.5}, {"high_20", false, 2.0}, {"high_25", false, 2.5}, {"high_30", false, 3.0},
	{"high_01", false, 0.1}, {"high_02", false, 0.2}, {"high_03", false, 0.3}, {"high_04", false, 0.4}, {"high_05", false, 0.5},
	{"low_01", true, -0.1}, {"low_02", true, -0.2}, {"low_03", true, -0.3}, {"low_04", true, -0.4}, {"low_05", true, -0.5},
	{"low_10", true, -1.0}, {"low_15", true, -1.5}, {"low_20", true, -2.0}, {"low_25", true, -2.5}, {"low_30", true, -3.0},
}

// HighLowNames returns the output column names of HighLow for a horizon H, in order:
// high_max_H, low_min_H, high_to_low_H, then the 20 boolean labels high_10..high_30,
// high_01..high_05, low_01..low_05, low_10..low_30.
func HighLowNames(horizon int) []string {
	h := strconv.Itoa(horizon)
	out := []string{"high_max_" + h, "low_min_" + h, "high_to_low_" + h}
	for _, l := range highLowLabels {
		out = append(out, l.name)
	}
	return out
}

// HighLow computes the legacy highlow labels (ITB generate_labels_highlow) for horizon H:
//   - high_max_H = 100*(max(high[i+1..i+H]) - close[i])/close[i], clipped to >= 0;
//   - low_min_H = 100*(min(low[i+1..i+H]) - close[i])/close[i], clipped to <= 0;
//   - high_to_low_H = 2*hm/(hm+lm) - 1 with hm = high_max_H, lm = -low_min_H (NaN when both are 0);
//   - high_10..30 = high_max_H >= 1.0..3.0, high_01..05 = high_max_H <= 0.1..0.5,
//     low_01..05 = low_min_H >= -0.1..-0.5, low_10..30 = low_min_H <= -1.0..-3.0 (0/1, NaN gives 0).
//
// The aggregates skip NaN prices and are NaN when fewer than max(H/2, 1) of the H future prices
// are present (pandas min_periods), when close[i] is NaN, and on the last H rows. Clipping does
// not change any label. The columns are returned in HighLowNames order; the first three are
// frame.Float, the rest frame.Bool.
func HighLow(close, high, low []float64, horizon int) ([]frame.Column, error) {
	if len(high) != len(close) || len(low) != len(close) {
		return nil, fmt.Errorf("highlow: %w: close has %d rows, high %d, low %d", frame.ErrLength, len(close), len(high), len(low))
	}
	if horizon < 1 {
		return nil, fmt.Errorf("highlow: %w", gen.ConfigErrorf("horizon: want >= 1 row, got %d", horizon))
	}
	n := len(close)
	hmax := futureExtreme(high, horizon, true)
	lmin := futureExtreme(low, horizon, false)
	ratio := make([]float64, n)
	for i, c := range close {
		hm := 100 * (hmax[i] - c) / c
		lm := 100 * (lmin[i] - c) / c
		hm = math.Max(hm, 0) // NaN stays NaN
		lm = math.Min(lm, 0)
		hmax[i], lmin[i] = hm, lm
		ratio[i] = 2*hm/(hm+(-lm)) - 1
	}
	frame.FiniteOrNaN(ratio)
	names := HighLowNames(horizon)
	out := []frame.Column{
		{Name: names[0], Kind: frame.Float, Data: hmax},
		{Name: names[1], Kind: frame.Float, Data: lmin},
		{Name: names[2], Kind: frame.Float, Data: ratio},
	}
	for _, l := range highLowLabels {
		src := hmax
		if l.low {
			src = lmin
		}
		data := make([]float64, n)
		for i, v := range src {
			var hit bool
			switch {
			case l.level > 0 && math.Abs(l.level) >= 0.75:
				hit = v >= l.level // at least one high crosses
			case l.level > 0:
				hit = v <= l.level // all highs stay within
			case math.Abs(l.level) >= 0.75:
				hit = v <= l.level // at least one low crosses
			default:
				hit = v >= l.level // all lows stay within
			}
			if hit {
				data[i] = 1
			}
		}
		out = append(out, frame.Column{Name: l.name, Kind: frame.Bool, Data: data})
	}
	return out, nil
}

// futureExtreme returns max (or min) of x[i+1..i+h], skipping NaN, or NaN when fewer than
// max(h/2, 1) values are present or i+h is past the end. It runs in O(n) with a monotonic deque.
func futureExtreme(x []float64, h int, isMax bool) []float64 {
	n := len(x)
	out := make([]float64, n)
	minp := max(h/2, 1)
	dq := make([]int, 0, h+1) // indices of candidate extremes, values monotone from front
	head, count := 0, 0
	// Row i aggregates the window (i, i+h]; slide its right end j = i+h over the series.
	for j := 0; j < n; j++ {
		if v := x[j]; v == v {
			count++
			for len(dq) > head {
				b := x[dq[len(dq)-1]]
				if (isMax && b > v) || (!isMax && b < v) {
					break
				}
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, j)
		}
		if k := j - h; k >= 0 && x[k] == x[k] {
			count--
		}
		for head < len(dq) && dq[head] <= j-h {
			head++
		}
		if head > h && head*2 > len(dq) { // compact the consumed front
			dq = append(dq[:0], dq[head:]...)
			head = 0
		}
		if i := j - h; i >= 0 {
			if count >= minp && head < len(dq) {
				out[i] = x[dq[head]]
			} else {
				out[i] = math.NaN()
			}
		}
	}
	for i := max(n-h, 0); i < n; i++ {
		out[i] = math.NaN()
	}
	return out
}

// highLow is the legacy highlow generator; only config.horizon is read.
type highLow struct{ horizon int }

// newHighLow builds highlow from {horizon}; its inputs are always close, high and low.
func newHighLow(raw json.RawMessage) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "horizon")
	if err != nil {
		return nil, err
	}
	h, err := c.PositiveInt("horizon")
	if err != nil {
		return nil, err
	}
	return &highLow{horizon: h}, nil
}

// Inputs returns close, high and low.
func (g *highLow) Inputs() []string { return []string{"close", "high", "low"} }

// Outputs returns HighLowNames(horizon).
func (g *highLow) Outputs() []string { return HighLowNames(g.horizon) }

// Window is 0: labels read no past rows.
func (g *highLow) Window() int { return 0 }

// Lookback is -1: a label is not a past-window feature and is only computed in batch.
func (g *highLow) Lookback() int { return -1 }

// Horizon is the number of future rows read.
func (g *highLow) Horizon() int { return g.horizon }

// Generate computes the three aggregate columns and the 20 labels.
func (g *highLow) Generate(in *frame.Frame) ([]frame.Column, error) {
	var cols [3][]float64
	for i, name := range g.Inputs() {
		c, err := in.Col(name)
		if err != nil {
			return nil, fmt.Errorf("highlow: %w", err)
		}
		cols[i] = c
	}
	return HighLow(cols[0], cols[1], cols[2], g.horizon)
}
