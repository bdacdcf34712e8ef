// Package merge puts one or more kline sources onto one regular UTC time grid (ITB's
// merge step, itb-behaviour.md §2.3): column prefixes, optional linear interpolation and a
// gap report (rows missing from the grid, runs of zero-volume bars, stale sources).
package merge

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
)

// ErrNoData is returned when a source has no rows.
var ErrNoData = errors.New("source has no rows")

// ErrCollision is returned when two sources would produce the same column name.
var ErrCollision = errors.New("column name collision")

// ErrBadPrice is returned when a source holds an infinite or NaN price.
var ErrBadPrice = errors.New("bad price")

// Source is one input table and the prefix its columns get.
type Source struct {
	// Name identifies the source in reports (e.g. its folder).
	Name string
	// Path is the file the rows came from, named in errors.
	Path string
	// Frame holds the source rows.
	Frame *frame.Frame
	// Prefix, if set, renames every column to prefix_col (unless it already starts with prefix_).
	Prefix string
	// Klines marks a klines file: its columns (CheckKlinesColumns) and bars (CheckKlinesRows) are checked.
	Klines bool
	// Skipped is the number of the file's rows before Frame's first row (the row window), so
	// errors give the file's line numbers.
	Skipped int
}

// Options control the merge.
type Options struct {
	// Freq is the grid step.
	Freq time.Duration
	// Interpolate fills interior gaps linearly and trailing gaps with the last value (ITB's
	// merge_interpolate). It looks ahead inside gaps; features computed later are not causal there.
	Interpolate bool
	// ZeroVolumeMin is the shortest run of zero-volume bars the report lists (default 3).
	ZeroVolumeMin int
}

// Run is a run of consecutive grid rows.
type Run struct {
	Start, End int64 // open times of the first and last row, ms
	Rows       int
}

// SourceReport describes one source on the grid.
type SourceReport struct {
	Name        string
	Rows        int   // rows in the source
	First, Last int64 // first and last open time, ms
	Missing     int   // grid rows the source has no row for (between its first and last row)
	Gaps        []Run // runs of missing rows
	ZeroVolume  []Run // runs of bars with zero volume (exchange halts, dead markets)
	OffGrid     int   // source rows whose time is not on the grid (dropped)
	StaleRows   int   // grid rows after the source's last row (it ends before the grid does)
	LeadRows    int   // grid rows before the source's first row
}

// Report is the result of a merge besides the frame.
type Report struct {
	Start, End int64 // grid bounds (open times), ms
	Rows       int
	Freq       time.Duration
	Sources    []SourceReport
}

// Merge builds the grid from the earliest first row to the latest last row of all sources
// (ITB ends at the earliest last row, silently truncating everything to the stalest source;
// tradectl keeps every row and reports the stale source instead) and left-joins each source.
// Source frames are consumed: their column slices are released as they are copied.
func Merge(sources []Source, opt Options) (*frame.Frame, Report, error) {
	rep := Report{Freq: opt.Freq}
	if len(sources) == 0 {
		return nil, rep, fmt.Errorf("merge: no data sources")
	}
	if opt.Freq <= 0 {
		return nil, rep, fmt.Errorf("merge: freq must be positive")
	}
	if opt.ZeroVolumeMin <= 0 {
		opt.ZeroVolumeMin = 3
	}
	step := opt.Freq.Milliseconds()
	start, end := int64(math.MaxInt64), int64(math.MinInt64)
	for _, s := range sources {
		if s.Frame == nil || s.Frame.Len() == 0 {
			return nil, rep, fmt.Errorf("merge: source %q (%s): %w", s.Name, s.Path, ErrNoData)
		}
		if s.Klines {
			if err := CheckKlinesColumns(s.Path, s.Frame.Names()); err != nil {
				return nil, rep, fmt.Errorf("merge: source %q: %w", s.Name, err)
			}
			if err := CheckKlinesRows(s.Path, s.Frame, s.Skipped); err != nil {
				return nil, rep, fmt.Errorf("merge: source %q: %w", s.Name, err)
			}
		}
		start = min(start, s.Frame.Time[0])
		end = max(end, s.Frame.Time[s.Frame.Len()-1])
	}
	n := int((end-start)/step) + 1
	grid := make([]int64, n)
	for i := range grid {
		grid[i] = start + int64(i)*step
	}
	out := frame.New(grid)
	rep.Start, rep.End, rep.Rows = start, grid[n-1], n
	owner := map[string]string{}
	for _, s := range sources {
		sr := SourceReport{Name: s.Name, Rows: s.Frame.Len(), First: s.Frame.Time[0], Last: s.Frame.Time[s.Frame.Len()-1]}
		// Position of each source row on the grid (-1: off the grid).
		pos := make([]int32, s.Frame.Len())
		for i, t := range s.Frame.Time {
			d := t - start
			if d%step != 0 {
				pos[i] = -1
				sr.OffGrid++
				continue
			}
			pos[i] = int32(d / step)
		}
		present := make([]bool, n)
		for _, p := range pos {
			if p >= 0 {
				present[p] = true
			}
		}
		firstRow, lastRow := int((sr.First-start)/step), int((sr.Last-start)/step)
		sr.LeadRows, sr.StaleRows = firstRow, n-1-lastRow
		sr.Gaps = runs(grid, firstRow, lastRow, func(i int) bool { return !present[i] })
		for _, g := range sr.Gaps {
			sr.Missing += g.Rows
		}
		for _, colName := range s.Frame.Names() {
			d, _ := s.Frame.Col(colName)
			c := frame.Column{Name: colName, Kind: s.Frame.Kind(colName), Data: d}
			name := c.Name
			if s.Prefix != "" && !strings.HasPrefix(name, s.Prefix+"_") {
				name = s.Prefix + "_" + name
			}
			if prev, taken := owner[name]; taken {
				return nil, rep, fmt.Errorf("merge: %w: column %q comes from source %q and from %q (give them different column_prefix)", ErrCollision, name, prev, s.Name)
			}
			owner[name] = s.Name
			if isPrice(c.Name) {
				for i, v := range c.Data {
					if math.IsInf(v, 0) || math.IsNaN(v) {
						return nil, rep, fmt.Errorf("merge: source %q (%s): %w: %s is %v at %s", s.Name, s.Path, ErrBadPrice, c.Name, v, frame.FormatTime(s.Frame.Time[i]))
					}
				}
			}
			var data []float64
			switch {
			case sr.OffGrid == 0 && s.Frame.Len() == n:
				data = c.Data // the source is the grid: no copy
			case sr.OffGrid == 0:
				data = spreadInPlace(c.Data, pos, n)
			default:
				data = frame.NaNs(n)
				for i, p := range pos {
					if p >= 0 {
						data[p] = c.Data[i]
					}
				}
			}
			if opt.Interpolate {
				Interpolate(data)
			}
			if err := out.Set(name, c.Kind, data); err != nil {
				return nil, rep, err
			}
			s.Frame.Drop(c.Name) // release the source column: peak memory stays near one copy
			if c.Name == "volume" {
				sr.ZeroVolume = zeroRuns(grid, data, opt.ZeroVolumeMin)
			}
		}
		rep.Sources = append(rep.Sources, sr)
	}
	return out, rep, nil
}

func isPrice(name string) bool {
	switch name {
	case "open", "high", "low", "close":
		return true
	}
	return false
}

// spreadInPlace moves src[i] to row pos[i] of an n-row column with NaN elsewhere, reusing
// src's array when its capacity allows. pos must be strictly increasing with pos[i] >= i
// (no row off the grid), so walking backwards never overwrites a value not yet moved.
func spreadInPlace(src []float64, pos []int32, n int) []float64 {
	m := len(src)
	var data []float64
	if cap(src) >= n {
		data = src[:n]
	} else {
		data = append(src, make([]float64, n-m)...)
	}
	next := n
	for i := m - 1; i >= 0; i-- {
		p := int(pos[i])
		v := data[i]
		for k := p + 1; k < next; k++ {
			data[k] = math.NaN()
		}
		data[p] = v
		next = p
	}
	for k := 0; k < next; k++ {
		data[k] = math.NaN()
	}
	return data
}

// runs returns the runs of rows in [from, to] where bad(i) holds.
func runs(grid []int64, from, to int, bad func(int) bool) []Run {
	var out []Run
	for i := from; i <= to; i++ {
		if !bad(i) {
			continue
		}
		j := i
		for j+1 <= to && bad(j+1) {
			j++
		}
		out = append(out, Run{Start: grid[i], End: grid[j], Rows: j - i + 1})
		i = j
	}
	return out
}

func zeroRuns(grid []int64, vol []float64, minRows int) []Run {
	var out []Run
	for _, r := range runs(grid, 0, len(grid)-1, func(i int) bool { return vol[i] == 0 }) {
		if r.Rows >= minRows {
			out = append(out, r)
		}
	}
	return out
}

// Interpolate fills NaN in place as pandas' Series.interpolate() does: linear between valid
// values, trailing NaN take the last valid value, leading NaN stay NaN.
func Interpolate(x []float64) {
	last := -1
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		if last >= 0 && i-last > 1 {
			a, b := x[last], v
			for k := last + 1; k < i; k++ {
				x[k] = a + (b-a)*float64(k-last)/float64(i-last)
			}
		}
		last = i
	}
	if last >= 0 {
		for k := last + 1; k < len(x); k++ {
			x[k] = x[last]
		}
	}
}

// WriteText prints the gap report: the grid, then per source its rows, gaps (largest first,
// at most maxList of them) and zero-volume runs, and a warning for a stale source.
func (r Report) WriteText(w io.Writer, maxList int) {
	fmt.Fprintf(w, "grid: %d rows at %v from %s to %s\n", r.Rows, r.Freq, frame.FormatTime(r.Start), frame.FormatTime(r.End))
	for _, s := range r.Sources {
		fmt.Fprintf(w, "source %s: %d rows, %s .. %s, %d missing rows in %d gaps, %d zero-volume runs\n",
			s.Name, s.Rows, frame.FormatTime(s.First), frame.FormatTime(s.Last), s.Missing, len(s.Gaps), len(s.ZeroVolume))
		list := func(what string, rs []Run) {
			sorted := append([]Run(nil), rs...)
			sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Rows > sorted[j].Rows })
			for i, g := range sorted {
				if i == maxList {
					fmt.Fprintf(w, "  ... %d more %s\n", len(sorted)-maxList, what)
					break
				}
				fmt.Fprintf(w, "  %s: %s .. %s (%d rows)\n", what, frame.FormatTime(g.Start), frame.FormatTime(g.End), g.Rows)
			}
		}
		list("gap", s.Gaps)
		list("zero volume", s.ZeroVolume)
		if s.OffGrid > 0 {
			fmt.Fprintf(w, "  warning: %d rows are not on the %v grid and were dropped\n", s.OffGrid, r.Freq)
		}
		if s.StaleRows > 0 {
			fmt.Fprintf(w, "  warning: source %s is stale: it ends %d rows (%v) before the grid; its columns are empty after %s\n",
				s.Name, s.StaleRows, time.Duration(s.StaleRows)*r.Freq, frame.FormatTime(s.Last))
		}
	}
}
