package labels

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// TopBot2 computes one topbot2 label (ITB generate_labels_topbot2, find_all_extremums): 1 on the
// rows near an accepted top (function "top") or bottom ("bot") of values, 0 elsewhere.
//
// Extremes are found by iterative interval splitting, starting with the whole series:
//  1. take the interval's max (top) or min (bot), the first occurrence winning and NaN skipped;
//  2. level = e - |level|*|e| for a top (e + ... for a bottom), tol = e ∓ |level|*tolerance*|e|;
//  3. the left level index is the last index in [start, extremum] whose value is < level
//     (> for bot), the right one the first such index in [extremum, end];
//  4. the extremum is accepted only if both sides reach the level; the label is 1 on the rows
//     strictly between the left and right tolerance indexes (found the same way with tol);
//  5. [start, left level] and [right level, end] (both inclusive) are examined next when that
//     level index exists and is not the interval's own end point, even if the extremum was
//     rejected; a side without a level index is never examined again.
//
// The label uses the whole series, past and future (non-causal by design), so any row may change
// when rows are appended. Deliberate difference from ITB: rows whose value is NaN are 0 even
// inside a labelled span. An interval holding only NaN yields no extremum.
//
// level must be non-zero (its sign is ignored; function decides the direction) and tolerance,
// a fraction of the level, in [0, 1] so the tolerance indexes always exist. It runs in
// O(n log n): a segment tree answers the arg-extremum queries and the level scans never overlap.
func TopBot2(values []float64, function string, level, tolerance float64) ([]float64, error) {
	out, err := topBot2(values, function, level, []float64{tolerance})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func checkTopBot2(function string, level float64, tolerances []float64) error {
	if function != "top" && function != "bot" {
		return gen.ConfigErrorf("function: want \"top\" or \"bot\", got %q", function)
	}
	if level == 0 || math.IsNaN(level) || math.IsInf(level, 0) {
		return gen.ConfigErrorf("level: want a non-zero finite fraction, got %v", level)
	}
	for _, t := range tolerances {
		if !(t >= 0 && t <= 1) {
			return gen.ConfigErrorf("tolerance: want a fraction of the level in [0, 1], got %v", t)
		}
	}
	return nil
}

// extremum is one accepted top or bottom: left level index, extremum index, right level index.
type extremum struct{ left, at, right int }

// topBot2 finds the accepted extremes once and derives one label per tolerance.
func topBot2(values []float64, function string, level float64, tolerances []float64) ([][]float64, error) {
	if err := checkTopBot2(function, level, tolerances); err != nil {
		return nil, fmt.Errorf("topbot2: %w", err)
	}
	isMax := function == "top"
	level = math.Abs(level)
	n := len(values)
	// crosses reports whether v is past the threshold t, away from the extremum (NaN never is).
	crosses := func(v, t float64) bool {
		if isMax {
			return v < t
		}
		return v > t
	}
	away := func(e, frac float64) float64 {
		if isMax {
			return e - math.Abs(e*frac)
		}
		return e + math.Abs(e*frac)
	}
	var accepted []extremum
	if n > 0 {
		tree := newArgTree(values, isMax)
		type interval struct{ start, end int }
		stack := []interval{{0, n - 1}}
		for len(stack) > 0 {
			iv := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x := tree.query(iv.start, iv.end)
			if x < 0 {
				continue // only NaN
			}
			lv := away(values[x], level)
			left, right := -1, -1
			for j := x; j >= iv.start; j-- {
				if crosses(values[j], lv) {
					left = j
					break
				}
			}
			for j := x; j <= iv.end; j++ {
				if crosses(values[j], lv) {
					right = j
					break
				}
			}
			if left >= 0 && right >= 0 {
				accepted = append(accepted, extremum{left, x, right})
			}
			if left >= 0 && iv.start < left {
				stack = append(stack, interval{iv.start, left})
			}
			if right >= 0 && right < iv.end {
				stack = append(stack, interval{right, iv.end})
			}
		}
	}
	out := make([][]float64, len(tolerances))
	for t, tol := range tolerances {
		lab := make([]float64, n)
		for _, e := range accepted {
			tv := away(values[e.at], level*tol)
			// tolerance <= 1 puts tv between the extremum and the level, so the tolerance
			// index lies in [left, at] (and [at, right]); the fallbacks are never used.
			lt, rt := e.left, e.right
			for j := e.at; j >= e.left; j-- {
				if crosses(values[j], tv) {
					lt = j
					break
				}
			}
			for j := e.at; j <= e.right; j++ {
				if crosses(values[j], tv) {
					rt = j
					break
				}
			}
			for j := lt + 1; j < rt; j++ {
				if values[j] == values[j] {
					lab[j] = 1
				}
			}
		}
		out[t] = lab
	}
	return out, nil
}

// argTree is a segment tree answering "index of the first maximum (or minimum) in [l, r]",
// NaN skipped.
type argTree struct {
	v     []float64
	isMax bool
	size  int
	t     []int32 // -1: no value
}

func newArgTree(v []float64, isMax bool) *argTree {
	size := 1
	for size < len(v) {
		size <<= 1
	}
	a := &argTree{v: v, isMax: isMax, size: size, t: make([]int32, 2*size)}
	for i := range size {
		a.t[size+i] = -1
		if i < len(v) && v[i] == v[i] {
			a.t[size+i] = int32(i)
		}
	}
	for i := size - 1; i >= 1; i-- {
		a.t[i] = a.pick(a.t[2*i], a.t[2*i+1])
	}
	return a
}

// pick combines a result for a left range with one for the range right of it; ties keep the left.
func (a *argTree) pick(l, r int32) int32 {
	if l < 0 {
		return r
	}
	if r < 0 {
		return l
	}
	if a.isMax {
		if a.v[r] > a.v[l] {
			return r
		}
	} else if a.v[r] < a.v[l] {
		return r
	}
	return l
}

// query returns the index of the first extremum in [l, r], or -1 if all are NaN.
func (a *argTree) query(l, r int) int {
	resL, resR := int32(-1), int32(-1)
	for l, r = l+a.size, r+a.size+1; l < r; l, r = l>>1, r>>1 {
		if l&1 == 1 {
			resL = a.pick(resL, a.t[l])
			l++
		}
		if r&1 == 1 {
			r--
			resR = a.pick(a.t[r], resR)
		}
	}
	return int(a.pick(resL, resR))
}

// topBot2Gen is the topbot2 generator: one boolean label per tolerance.
type topBot2Gen struct {
	column     string
	function   string
	level      float64
	tolerances []float64
	names      []string
}

// newTopBot2 builds topbot2 from {columns:"close", function:"top"|"bot", level (fraction),
// tolerances:[fractions of the level] (or one number), names:[...] (one per tolerance)}.
func newTopBot2(raw json.RawMessage) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "columns", "function", "level", "tolerances", "names")
	if err != nil {
		return nil, err
	}
	g := &topBot2Gen{}
	if g.column, err = c.Str("columns"); err != nil {
		return nil, err
	}
	if g.column == "" {
		return nil, gen.ConfigErrorf("key \"columns\": empty column name")
	}
	if g.function, err = c.Enum("function", "top", "bot"); err != nil {
		return nil, err
	}
	if g.level, err = c.Num("level"); err != nil {
		return nil, err
	}
	if g.level == 0 {
		return nil, gen.ConfigErrorf("key \"level\": want a non-zero fraction, got 0")
	}
	if g.tolerances, err = c.Nums("tolerances"); err != nil {
		return nil, err
	}
	if len(g.tolerances) == 0 {
		return nil, gen.ConfigErrorf("key \"tolerances\": empty list")
	}
	for _, t := range g.tolerances {
		if t < 0 || t > 1 {
			return nil, gen.ConfigErrorf("key \"tolerances\": want fractions of the level in [0, 1], got %v", t)
		}
	}
	if g.names, err = c.Strs("names", true); err != nil {
		return nil, err
	}
	if err := gen.CheckNames("names", g.names, len(g.tolerances), "tolerances"); err != nil {
		return nil, err
	}
	return g, nil
}

// Inputs returns the one value column.
func (g *topBot2Gen) Inputs() []string { return []string{g.column} }

// Outputs returns the label names, one per tolerance.
func (g *topBot2Gen) Outputs() []string { return append([]string(nil), g.names...) }

// Window is 0: the label is not a past-window feature.
func (g *topBot2Gen) Window() int { return 0 }

// Lookback is -1: every row of the series matters.
func (g *topBot2Gen) Lookback() int { return -1 }

// Horizon is -1: topbot2 reads the whole series, past and future, so no finite label_horizon
// covers it; its labels near the end of the data may change as rows are appended.
func (g *topBot2Gen) Horizon() int { return -1 }

// Generate computes one frame.Bool column per tolerance.
func (g *topBot2Gen) Generate(in *frame.Frame) ([]frame.Column, error) {
	v, err := in.Col(g.column)
	if err != nil {
		return nil, fmt.Errorf("topbot2: %w", err)
	}
	labs, err := topBot2(v, g.function, g.level, g.tolerances)
	if err != nil {
		return nil, err
	}
	out := make([]frame.Column, len(labs))
	for i, d := range labs {
		out[i] = frame.Column{Name: g.names[i], Kind: frame.Bool, Data: d}
	}
	return out, nil
}
