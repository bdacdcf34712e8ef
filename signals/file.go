package signals

import (
	"fmt"
	"slices"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// FileOptions describe the signals step: predictions file in, signals file out.
type FileOptions struct {
	// In is the predictions file (predict or rolling output); Out the signals file.
	In, Out    string
	TimeColumn string
	// Window keeps only the last Window input rows (ITB's row window); 0 keeps all.
	Window int
	// Steps are the built signal_sets.
	Steps []gen.Step
	// Labels are the config's labels, carried into Out when In has them.
	Labels []string
	// Precision for Float columns in Out (6 = ITB's "%.6f").
	Precision int
}

// Result reports what the signals step did.
type Result struct {
	Rows    int      // rows written
	Dropped int      // oldest input rows left out by the row window
	Created []string // signal columns, in order
	Columns []string // every column written after the time column
	// True counts the rows where each created boolean column is true (every boolean column has an entry).
	True map[string]int
	// NaN counts the NaN values of each created column.
	NaN map[string]int
}

// BaseColumns are the price columns ITB's signals step copies from the predictions file.
var BaseColumns = []string{"open", "high", "low", "close"}

// RunFile reads opt.In, applies the signal sets and writes opt.Out atomically with ITB's
// columns: time, open, high, low, close, the config labels present in In, then the created
// signal columns (the score columns of In are not carried over, as in ITB).
func RunFile(opt FileOptions) (Result, error) {
	in, err := frame.ReadFile(opt.In, frame.ReadOptions{TimeColumn: opt.TimeColumn})
	if err != nil {
		return Result{}, err
	}
	if err := gen.CheckInputs(opt.In, in.Names(), opt.Steps); err != nil {
		return Result{}, err
	}
	if in.Len() == 0 {
		return Result{}, fmt.Errorf("%s: %w: no rows", opt.In, frame.ErrEmpty)
	}
	f := in.Tail(opt.Window)
	res := Result{Dropped: in.Len() - f.Len(), Rows: f.Len(), True: map[string]int{}, NaN: map[string]int{}}
	if res.Created, err = gen.Apply(f, opt.Steps); err != nil {
		return Result{}, err
	}
	res.Columns = OutputColumns(f.Names(), opt.Labels, res.Created)
	out, err := f.Select(res.Columns...)
	if err != nil {
		return Result{}, err
	}
	for _, name := range res.Created {
		data, _ := f.Col(name)
		if f.Kind(name) == frame.Bool {
			res.True[name] = 0
		}
		for _, v := range data {
			switch {
			case v != v:
				res.NaN[name]++
			case v != 0 && f.Kind(name) == frame.Bool:
				res.True[name]++
			}
		}
	}
	wopt := frame.WriteOptions{TimeColumn: opt.TimeColumn, Precision: opt.Precision}
	if err := frame.WriteFile(opt.Out, out, wopt); err != nil {
		return Result{}, err
	}
	return res, nil
}

// OutputColumns is ITB's signals.csv column list: open, high, low, close and the labels that
// are present, then the created columns, each once.
func OutputColumns(have, labels, created []string) []string {
	var out []string
	add := func(n string) {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, n := range append(append(slices.Clone(BaseColumns), labels...), created...) {
		if slices.Contains(have, n) {
			add(n)
		}
	}
	return out
}
