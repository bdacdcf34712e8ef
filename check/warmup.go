package check

import (
	"fmt"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// WarmupOptions tune Warmup.
type WarmupOptions struct {
	// Rows is the number of last rows compared (default 20): a history h passes when all of
	// them equal the values computed over every row of the frame.
	Rows int
	// Tolerance is the relative tolerance (default DefaultTolerance).
	Tolerance float64
	// Horizon is the history the caller keeps (config features_horizon); it sets Covered.
	Horizon int
}

// ColumnWarmup is the warm-up of one created column.
type ColumnWarmup struct {
	Column, Step string
	// Declared is the look-back its step declares (Generator.Lookback of the whole set) plus
	// that of the steps creating its inputs; -1 when one of them depends on every earlier row.
	Declared int
	// History is the smallest number of rows before a row that reproduces the value computed
	// over the whole frame, for each of the compared rows and every longer history tried.
	History int
	// Stable is false when only the whole frame reproduces the values: the column needs more
	// history than MaxHistory (a cumulative sum never becomes stable).
	Stable bool
	// MaxHistory is the longest history available: the frame's rows minus the compared rows.
	MaxHistory int
	// Covered reports History <= Horizon (and Stable).
	Covered bool
}

// Warmup measures, for every column the steps create, how many rows of history a value
// needs to equal (within the tolerance) the value computed over all rows of f. It computes
// the last Rows rows over histories 0, 1, 2, 4, ... up to all rows, then bisects between the
// longest failing and the shortest passing history of each column. The result is exact when
// agreement is monotonic in the history (it is for windows and decaying recursions).
//
// It serves any caller that keeps a bounded window of rows: steps are built from a config's
// feature_sets (gen.Build(..., features.Default)), f holds the input columns (data.csv).
func Warmup(f *frame.Frame, steps []gen.Step, opt WarmupOptions) ([]ColumnWarmup, error) {
	if opt.Rows <= 0 {
		opt.Rows = 20
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = DefaultTolerance
	}
	n, k := f.Len(), opt.Rows
	if n <= k {
		return nil, fmt.Errorf("warmup: %w: %d rows, need more than the %d compared", ErrTooFewRows, n, k)
	}
	maxH := n - k
	ref, err := compute(f, steps, 0, n)
	if err != nil {
		return nil, fmt.Errorf("warmup: %w", err)
	}
	names, keys := columns(steps)
	cache := map[int]map[string]bool{}
	stable := func(h int) (map[string]bool, error) {
		if r, ok := cache[h]; ok {
			return r, nil
		}
		got, err := compute(f, steps, n-k-h, n)
		if err != nil {
			return nil, fmt.Errorf("warmup: history %d: %w", h, err)
		}
		r := make(map[string]bool, len(names))
		for _, name := range names {
			r[name] = agree(ref[name][n-k:], got[name][h:], opt.Tolerance)
		}
		cache[h] = r
		return r, nil
	}
	ladder := []int{0}
	for h := 1; h < maxH; h *= 2 {
		ladder = append(ladder, h)
	}
	ladder = append(ladder, maxH)
	for _, h := range ladder {
		if _, err := stable(h); err != nil {
			return nil, err
		}
	}
	declared := declaredLookback(steps)
	out := make([]ColumnWarmup, 0, len(names))
	for c, name := range names {
		lo := -1 // longest failing history on the ladder
		for i := len(ladder) - 1; i >= 0; i-- {
			if !cache[ladder[i]][name] {
				lo = i
				break
			}
		}
		hist := 0
		if lo >= 0 {
			a, b := ladder[lo], ladder[lo+1] // a fails, b passes (the whole frame always passes)
			for b-a > 1 {
				mid := a + (b-a)/2
				r, err := stable(mid)
				if err != nil {
					return nil, err
				}
				if r[name] {
					b = mid
				} else {
					a = mid
				}
			}
			hist = b
		}
		w := ColumnWarmup{Column: name, Step: keys[c], Declared: declared[name], History: hist, MaxHistory: maxH}
		w.Stable = hist < maxH || maxH == 0
		w.Covered = w.Stable && hist <= opt.Horizon
		out = append(out, w)
	}
	return out, nil
}

// agree reports whether every value of got equals ref within tol.
func agree(ref, got []float64, tol float64) bool {
	for i, v := range ref {
		if !Equal(v, got[i], tol) {
			return false
		}
	}
	return true
}

// declaredLookback is each created column's declared look-back: its step's own plus the
// largest of the columns it reads that earlier steps create (-1 is unbounded).
func declaredLookback(steps []gen.Step) map[string]int {
	out := map[string]int{}
	for _, s := range steps {
		own := s.Gen.Lookback()
		d := own
		for _, in := range s.Inputs() {
			if v, ok := out[in]; ok && d >= 0 {
				if v < 0 {
					d = -1
				} else {
					d = max(d, own+v)
				}
			}
		}
		for _, name := range s.Outputs() {
			out[name] = d
		}
	}
	return out
}

// RequiredHistory is the history a bounded window must keep before its first valid row for
// every column to equal its batch value: the largest History, or -1 when a column is not
// Stable (no bounded window reproduces it).
func RequiredHistory(ws []ColumnWarmup) int {
	need := 0
	for _, w := range ws {
		if !w.Stable {
			return -1
		}
		need = max(need, w.History)
	}
	return need
}
