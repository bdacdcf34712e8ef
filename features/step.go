package features

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tradectl/tradectl/internal/frame"
)

// FileOptions describe one file-to-file step (features: data.csv -> features.csv; labels:
// features.csv -> matrix.csv).
type FileOptions struct {
	In, Out    string
	TimeColumn string
	// Window keeps only the last Window input rows (ITB's row window); 0 keeps all.
	Window int
	// Incremental appends only the rows that Out lacks when Out already covers a
	// contiguous run of the input ending before the input's end (see RunFile).
	Incremental bool
	// Precision for Float columns in Out (6 = ITB's "%.6f").
	Precision int
	Steps     []Step
	Logger    *slog.Logger
}

// Result reports what a step did.
type Result struct {
	Mode    string // "full", "incremental" or "up to date"
	Rows    int    // rows in Out
	NewRows int    // rows computed and written by this run
	Created []string
	NaN     map[string]int // NaN count per created column among the written rows
	// Dropped counts the oldest input rows left out by the row window.
	Dropped int
}

// RunFile reads In, applies the steps and writes Out atomically; it also appends the list
// of created columns to Out's .txt sibling, as ITB does.
//
// Incremental mode: when Out exists, has the expected columns, and its rows are input rows
// [a, k) with the last row's input values unchanged, only rows [k, n) are computed — over
// the rows from max(a, k-lookback) (from a when a generator has unbounded memory) — and
// appended. The result equals a full computation over the input rows from a onward; the
// head of Out is not trimmed to Window (every later step applies its own window).
func RunFile(opt FileOptions) (Result, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.TimeColumn == "" {
		opt.TimeColumn = frame.DefaultTimeColumn
	}
	// CSV to CSV: load only the columns the generators read and stream the others from In
	// while writing, so memory holds the computed columns only.
	stream := isCSV(opt.In) && isCSV(opt.Out) && !strings.HasSuffix(opt.In, ".gz")
	needed := Inputs(opt.Steps)
	checkInputs := func(names []string) error {
		for _, n := range needed {
			if !slices.Contains(names, n) {
				return fmt.Errorf("%s: %w %q needed by the generators (columns: %s)", opt.In, frame.ErrMissingColumn, n, describe(names))
			}
		}
		return nil
	}
	var inNames []string
	ropt := frame.ReadOptions{TimeColumn: opt.TimeColumn}
	if stream {
		h, err := frame.ReadCSVHeader(opt.In)
		if err != nil {
			return Result{}, err
		}
		for _, n := range h {
			if n != opt.TimeColumn {
				inNames = append(inNames, n)
			}
		}
		if err := checkInputs(inNames); err != nil {
			return Result{}, err
		}
		ropt.Columns = needed
	}
	in, err := frame.ReadFile(opt.In, ropt)
	if err != nil {
		return Result{}, err
	}
	if !stream {
		inNames = in.Names()
		if err := checkInputs(inNames); err != nil {
			return Result{}, err
		}
	}
	if in.Len() == 0 {
		return Result{}, fmt.Errorf("%s: %w: no rows", opt.In, frame.ErrEmpty)
	}
	if opt.Incremental {
		res, done, err := runIncremental(in, inNames, stream, opt, log)
		if err != nil || done {
			return res, err
		}
	}
	f := in.Tail(opt.Window)
	skip := in.Len() - f.Len()
	created, err := Apply(f, opt.Steps)
	if err != nil {
		return Result{}, err
	}
	wopt := frame.WriteOptions{TimeColumn: opt.TimeColumn, Precision: opt.Precision}
	if stream {
		header := append([]string{opt.TimeColumn}, expectedHeader(inNames, opt.Steps)...)
		err = frame.WriteAtomic(opt.Out, func(w io.Writer) error { return frame.JoinCSV(w, opt.In, f, skip, header, wopt) })
	} else {
		err = frame.WriteFile(opt.Out, f, wopt)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Mode: "full", Rows: f.Len(), NewRows: f.Len(), Created: created, NaN: nanCounts(f, created, 0), Dropped: skip}
	return res, appendColumnList(opt.Out, created)
}

func isCSV(path string) bool { return strings.HasSuffix(path, ".csv") }

// expectedHeader is the column order a full run produces.
func expectedHeader(inNames []string, steps []Step) []string {
	names := slices.Clone(inNames)
	for _, s := range steps {
		out := s.Outputs()
		names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(out, n) })
		names = append(names, out...)
	}
	return names
}

func runIncremental(in *frame.Frame, inNames []string, stream bool, opt FileOptions, log *slog.Logger) (Result, bool, error) {
	full := func(why string) (Result, bool, error) {
		log.Info("full recompute", "file", opt.Out, "reason", why)
		return Result{}, false, nil
	}
	if _, err := os.Stat(opt.Out); errors.Is(err, os.ErrNotExist) {
		return full("no previous output")
	}
	want := append([]string{opt.TimeColumn}, expectedHeader(inNames, opt.Steps)...)
	var (
		first    int64
		last     int64
		rows     int
		lastLine string
	)
	if stream {
		s, err := frame.SummarizeCSV(opt.Out, opt.TimeColumn)
		if err != nil {
			return full(err.Error())
		}
		if !slices.Equal(s.Header, want) {
			return full("columns changed")
		}
		if s.Rows == 0 {
			return full("previous output is empty")
		}
		rows, first, last, lastLine = s.Rows, s.First, s.Last, strings.Join(s.LastCells, ",")
	} else {
		s, err := frame.Summarize(opt.Out, opt.TimeColumn)
		if err != nil {
			return full(err.Error())
		}
		if !slices.Equal(s.Header, want) {
			return full("columns changed")
		}
		if s.Rows == 0 {
			return full("previous output is empty")
		}
		rows, first, last = s.Rows, s.First, s.Last
	}
	a, okA := slices.BinarySearch(in.Time, first)
	k1, okK := slices.BinarySearch(in.Time, last)
	if !okA || !okK || k1-a+1 != rows {
		return full("previous output is not a contiguous run of the input rows")
	}
	k := k1 + 1
	if k == in.Len() {
		log.Info("up to date", "file", opt.Out, "rows", rows)
		return Result{Mode: "up to date", Rows: rows}, true, nil
	}
	// Recompute from the look-back of the last stored row, so that row can be checked too.
	start := a
	if lb := Lookback(opt.Steps); lb >= 0 {
		start = max(a, k1-lb)
	}
	// Generators fill gaps from the last valid value: the computation must start at a row
	// where every input is present, or a value from before the slice would be missing.
	var inputs [][]float64
	for _, n := range Inputs(opt.Steps) {
		c, _ := in.Col(n)
		inputs = append(inputs, c)
	}
	for start > a && anyNaN(inputs, start) {
		start--
	}
	f := in.Slice(start, in.Len())
	created, err := Apply(f, opt.Steps)
	if err != nil {
		return Result{}, true, err
	}
	from := k - start
	wopt := frame.WriteOptions{TimeColumn: opt.TimeColumn, Precision: opt.Precision}
	if stream {
		// Rows k1..n-1 as they would be written; the first must equal the stored last line,
		// which proves the inputs and the computation of the stored rows are unchanged.
		var buf bytes.Buffer
		if err := frame.JoinCSV(&buf, opt.In, f.Slice(from-1, f.Len()), k1, want, wopt); err != nil {
			return Result{}, true, err
		}
		text := buf.Bytes()
		text = text[bytes.IndexByte(text, '\n')+1:] // header
		nl := bytes.IndexByte(text, '\n')
		if string(text[:nl]) != lastLine {
			return full(fmt.Sprintf("the last stored row (%s) differs from a recomputation: the input or the generators changed", frame.FormatTime(last)))
		}
		if err := frame.AppendCSVText(opt.Out, text[nl+1:]); err != nil {
			return Result{}, true, err
		}
	} else if err := frame.AppendRows(opt.Out, f.Slice(from, f.Len()), wopt); err != nil {
		return Result{}, true, err
	}
	res := Result{Mode: "incremental", Rows: rows + f.Len() - from, NewRows: f.Len() - from, Created: created, NaN: nanCounts(f, created, from)}
	return res, true, appendColumnList(opt.Out, created)
}

func nanCounts(f *frame.Frame, names []string, from int) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		d, _ := f.Col(n)
		c := 0
		for _, v := range d[from:] {
			if math.IsNaN(v) {
				c++
			}
		}
		out[n] = c
	}
	return out
}

// appendColumnList appends ITB's `"a", "b"` line and a blank line to the output's .txt sibling.
func appendColumnList(out string, names []string) error {
	txt := strings.TrimSuffix(strings.TrimSuffix(out, filepath.Ext(out)), ".csv") + ".txt"
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	fh, err := os.OpenFile(txt, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(strings.Join(q, ", ") + "\n\n"); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// NaNSummary formats the columns with NaN values, most first, for logs.
func (r Result) NaNSummary() string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range r.NaN {
		if v > 0 {
			list = append(list, kv{k, v})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || list[i].v == list[j].v && list[i].k < list[j].k })
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = fmt.Sprintf("%s=%d", e.k, e.v)
	}
	return strings.Join(parts, " ")
}

func anyNaN(cols [][]float64, i int) bool {
	for _, c := range cols {
		if c[i] != c[i] {
			return true
		}
	}
	return false
}
