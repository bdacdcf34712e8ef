// Package frame is tradectl's column table: one row per time slot, a time column of Unix
// milliseconds (UTC, kline open time) and named float64 columns, NaN for missing values.
// Every pipeline step reads a frame, adds columns and writes it; batch steps and the
// signal service share this one representation.
package frame

import (
	"errors"
	"fmt"
	"math"
)

// Kind says how a column's values are written to text files.
type Kind uint8

const (
	// Float columns hold real numbers.
	Float Kind = iota
	// Int columns hold whole numbers (close_time, trades) and are written without decimals.
	Int
	// Bool columns hold 0/1 and are written True/False (labels, signals).
	Bool
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Bool:
		return "bool"
	default:
		return "float"
	}
}

// Sentinel errors callers branch on.
var (
	// ErrMissingColumn is returned when a named column is not in the frame or file.
	ErrMissingColumn = errors.New("missing column")
	// ErrLength is returned when a column's length differs from the frame's.
	ErrLength = errors.New("column length mismatch")
)

// Column is one named series.
type Column struct {
	Name string
	Kind Kind
	Data []float64
}

// Frame is the column table. The zero value is an empty frame.
type Frame struct {
	// Time holds the row times as Unix milliseconds, ascending.
	Time []int64
	cols []Column
	idx  map[string]int
}

// New returns a frame over the given row times (not copied).
func New(time []int64) *Frame {
	return &Frame{Time: time, idx: map[string]int{}}
}

// Len is the number of rows.
func (f *Frame) Len() int { return len(f.Time) }

// Names lists the column names in order (the time column is not included).
func (f *Frame) Names() []string {
	out := make([]string, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.Name
	}
	return out
}

// Columns returns the columns in order; the slice must not be modified.
func (f *Frame) Columns() []Column { return f.cols }

// Has reports whether the column exists.
func (f *Frame) Has(name string) bool {
	_, ok := f.idx[name]
	return ok
}

// Col returns a column's values (shared, not copied) or an error wrapping ErrMissingColumn.
func (f *Frame) Col(name string) ([]float64, error) {
	i, ok := f.idx[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrMissingColumn, name)
	}
	return f.cols[i].Data, nil
}

// Kind returns a column's kind (Float when the column does not exist).
func (f *Frame) Kind(name string) Kind {
	if i, ok := f.idx[name]; ok {
		return f.cols[i].Kind
	}
	return Float
}

// Set adds a column, or replaces the values and kind of an existing one in place.
func (f *Frame) Set(name string, kind Kind, data []float64) error {
	if len(data) != len(f.Time) {
		return fmt.Errorf("%w: column %q has %d rows, frame has %d", ErrLength, name, len(data), len(f.Time))
	}
	if f.idx == nil {
		f.idx = map[string]int{}
	}
	if i, ok := f.idx[name]; ok {
		f.cols[i] = Column{Name: name, Kind: kind, Data: data}
		return nil
	}
	f.idx[name] = len(f.cols)
	f.cols = append(f.cols, Column{Name: name, Kind: kind, Data: data})
	return nil
}

// Drop removes the named columns; names that do not exist are ignored.
func (f *Frame) Drop(names ...string) {
	drop := map[string]bool{}
	for _, n := range names {
		drop[n] = true
	}
	kept := f.cols[:0:0]
	for _, c := range f.cols {
		if !drop[c.Name] {
			kept = append(kept, c)
		}
	}
	f.cols = kept
	f.reindex()
}

// Rename changes a column's name; it fails if the new name is taken.
func (f *Frame) Rename(from, to string) error {
	i, ok := f.idx[from]
	if !ok {
		return fmt.Errorf("%w %q", ErrMissingColumn, from)
	}
	if from == to {
		return nil
	}
	if _, taken := f.idx[to]; taken {
		return fmt.Errorf("rename %q: column %q already exists", from, to)
	}
	f.cols[i].Name = to
	f.reindex()
	return nil
}

func (f *Frame) reindex() {
	f.idx = make(map[string]int, len(f.cols))
	for i, c := range f.cols {
		f.idx[c.Name] = i
	}
}

// Slice returns rows [i, j) as a frame sharing memory with f. A slice that ends at f's last
// row keeps the columns' spare capacity (nothing lies beyond it); others are capped at j so
// an append can never overwrite f's rows.
func (f *Frame) Slice(i, j int) *Frame {
	cut := func(d []float64) []float64 {
		if j == len(f.Time) {
			return d[i:j:max(j, cap(d))]
		}
		return d[i:j:j]
	}
	out := &Frame{Time: f.Time[i:j:j], cols: make([]Column, len(f.cols)), idx: make(map[string]int, len(f.cols))}
	for k, c := range f.cols {
		out.cols[k] = Column{Name: c.Name, Kind: c.Kind, Data: cut(c.Data)}
		out.idx[c.Name] = k
	}
	return out
}

// Tail returns the last n rows (all rows when n <= 0 or n >= Len), sharing memory.
func (f *Frame) Tail(n int) *Frame {
	if n <= 0 || n >= f.Len() {
		return f.Slice(0, f.Len())
	}
	return f.Slice(f.Len()-n, f.Len())
}

// Select returns a frame with only the named columns (shared), or an error naming the first missing one.
func (f *Frame) Select(names ...string) (*Frame, error) {
	out := New(f.Time)
	for _, n := range names {
		i, ok := f.idx[n]
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrMissingColumn, n)
		}
		c := f.cols[i]
		if err := out.Set(c.Name, c.Kind, c.Data); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FiniteOrNaN replaces ±Inf with NaN in place, as every step does before writing.
func FiniteOrNaN(x []float64) {
	for i, v := range x {
		if math.IsInf(v, 0) {
			x[i] = math.NaN()
		}
	}
}

// NaNs returns a new slice of n NaN values.
func NaNs(n int) []float64 {
	out := MakeFloats(n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

// MakeFloats returns a new zeroed slice of n values for a large column: where the system
// allows, its memory is backed by huge pages (far fewer page faults when it is first written).
func MakeFloats(n int) []float64 { return makeHuge(n) }
