package check

import (
	"errors"
	"fmt"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// ErrTooFewRows is returned when the frame is too short for a check.
var ErrTooFewRows = errors.New("too few rows")

// LookaheadOptions tune Lookahead.
type LookaheadOptions struct {
	// Cuts is the number of cut points, spread evenly over the rows (default 5).
	Cuts int
	// Tolerance is the relative tolerance (default DefaultTolerance).
	Tolerance float64
}

// Leak is a column whose value at a row before a cut changed when the rows from the cut on
// were removed.
type Leak struct {
	Column, Step string
	// Cut is the number of rows kept; Row (< Cut) is the first row whose value changed.
	Cut, Row int
	Time     int64
	// Full is the value computed over all rows, Truncated the value over the first Cut rows.
	Full, Truncated float64
	// Cuts counts the cut points at which the column changed.
	Cuts int
}

// LookaheadReport lists the columns checked, the cut points and the leaks found (one per
// column, at the first cut that shows it), in column order.
type LookaheadReport struct {
	Columns []string
	CutRows []int
	Leaks   []Leak
}

// CutPoints spreads n cut points over rows rows: rows*k/(n+1) for k = 1..n.
func CutPoints(rows, n int) []int {
	var out []int
	for k := 1; k <= n; k++ {
		if c := rows * k / (n + 1); c >= 2 && (len(out) == 0 || c > out[len(out)-1]) {
			out = append(out, c)
		}
	}
	return out
}

// Lookahead computes the steps over all rows of f and again over the first c rows for each
// cut point c, and reports every created column whose value at a row before c differs.
// A causal generator gives identical values; one that reads later rows (a negative shift, a
// centred window, a fill from the next valid value, a normalisation over the whole column)
// is reported with the first row it changed.
func Lookahead(f *frame.Frame, steps []gen.Step, opt LookaheadOptions) (LookaheadReport, error) {
	if opt.Cuts <= 0 {
		opt.Cuts = 5
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = DefaultTolerance
	}
	names, keys := columns(steps)
	rep := LookaheadReport{Columns: names, CutRows: CutPoints(f.Len(), opt.Cuts)}
	if len(rep.CutRows) == 0 {
		return rep, fmt.Errorf("lookahead: %w: %d rows", ErrTooFewRows, f.Len())
	}
	full, err := compute(f, steps, 0, f.Len())
	if err != nil {
		return rep, fmt.Errorf("lookahead: %w", err)
	}
	leaks := map[string]*Leak{}
	for _, c := range rep.CutRows {
		cut, err := compute(f, steps, 0, c)
		if err != nil {
			return rep, fmt.Errorf("lookahead: cut at row %d: %w", c, err)
		}
		for k, name := range names {
			a, b := full[name], cut[name]
			for i := 0; i < c; i++ {
				if Equal(a[i], b[i], opt.Tolerance) {
					continue
				}
				if l, ok := leaks[name]; ok {
					l.Cuts++
				} else {
					leaks[name] = &Leak{Column: name, Step: keys[k], Cut: c, Row: i, Time: f.Time[i], Full: a[i], Truncated: b[i], Cuts: 1}
				}
				break
			}
		}
	}
	for _, name := range names {
		if l, ok := leaks[name]; ok {
			rep.Leaks = append(rep.Leaks, *l)
		}
	}
	return rep, nil
}
