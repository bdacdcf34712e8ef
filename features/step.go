package features

import (
	"bufio"
	"bytes"
	"context"
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
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// FileOptions describe one file-to-file step (features: data.csv -> features.csv; labels:
// features.csv -> matrix.csv).
type FileOptions struct {
	In, Out    string
	TimeColumn string
	// Window keeps only the last Window input rows (ITB's row window); 0 keeps all.
	Window int
	// Incremental recomputes only the rows from the first input row that changed since Out
	// was written, found with the input checksums kept beside Out (see RunFile), and keeps
	// those checksums up to date.
	Incremental bool
	// Full, with Incremental, recomputes every row (and records the checksums).
	Full bool
	// Precision for Float columns in Out (6 = ITB's "%.6f").
	Precision int
	Steps     []Step
	Logger    *slog.Logger
}

// warnLostDigits warns once per created Float column that the output precision cuts to fewer
// than half of its significant digits (see frame.LosesDigits).
func warnLostDigits(log *slog.Logger, opt FileOptions, f *frame.Frame, created []string) {
	for _, name := range created {
		if x, err := f.Col(name); err == nil && f.Kind(name) == frame.Float && frame.LosesDigits(x, opt.Precision) {
			log.Warn("column loses more than half of its significant digits at this precision; set \"float_precision\": \"exact\" to keep them",
				"file", opt.Out, "column", name, "decimals", opt.Precision)
		}
	}
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
// Incremental mode keeps, beside Out, a checksum per block of input rows it was computed
// from (SidecarPath: the time and every input column's values). A later run finds the first
// input row c that differs (a value changed, rows inserted, deleted or appended) and
// recomputes only rows [c, n) — over the rows from max(a, c-1-lookback), a being Out's first
// row (from a when a generator has unbounded memory) — keeping Out's rows before c. The
// result equals a full computation over the input rows from a onward; the head of Out is not
// trimmed to Window (every later step applies its own window). A missing or unreadable
// sidecar, an edited Out, rows added before a or a changed first block mean a full run.
func RunFile(opt FileOptions) (Result, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.TimeColumn == "" {
		opt.TimeColumn = frame.DefaultTimeColumn
	}
	frame.RemoveStaleTemps(opt.Out) // left by a killed run; an incremental run may only append
	// CSV to CSV: load only the columns the generators read and stream the others from In
	// while writing, so memory holds the computed columns only. Parquet to Parquet likewise
	// (In's column chunks are copied, not decoded, where frame.JoinParquet can), except in
	// incremental mode, whose input checksums cover every input column.
	csvStream := isCSV(opt.In) && isCSV(opt.Out) && !strings.HasSuffix(opt.In, ".gz")
	stream := csvStream || frame.IsParquet(opt.In) && frame.IsParquet(opt.Out) && !opt.Incremental
	checkInputs := func(names []string) error { return gen.CheckInputs(opt.In, names, opt.Steps) }
	var inNames []string
	ropt := frame.ReadOptions{TimeColumn: opt.TimeColumn}
	if stream {
		h, err := frame.ReadHeader(opt.In)
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
		ropt.Columns = Inputs(opt.Steps)
	}
	t0 := time.Now()
	in, err := frame.ReadFile(opt.In, ropt)
	if err != nil {
		return Result{}, err
	}
	log.Debug("read input", "file", opt.In, "rows", in.Len(), "columns_loaded", len(in.Names()), "seconds", seconds(t0))
	if !stream {
		inNames = in.Names()
		if err := checkInputs(inNames); err != nil {
			return Result{}, err
		}
	}
	if in.Len() == 0 {
		return Result{}, fmt.Errorf("%s: %w: no rows", opt.In, frame.ErrEmpty)
	}
	var sums []uint64
	columns := append([]string{opt.TimeColumn}, inNames...)
	basis := "values"
	if opt.Incremental {
		if stream {
			// The columns not loaded are checksummed through the text of each line.
			basis = "csv-lines"
			if sums, err = csvLineSums(opt.In, in.Len()); err != nil {
				return Result{}, err
			}
		} else {
			sums = rowSums(in)
		}
		if !opt.Full {
			res, done, err := runIncremental(in, inNames, columns, basis, sums, stream, opt, log)
			if err != nil || done {
				return res, err
			}
		}
		if err := removeSidecar(opt.Out); err != nil {
			return Result{}, err
		}
	}
	f := in.Tail(opt.Window)
	skip := in.Len() - f.Len()
	created, err := gen.ApplyLogged(f, opt.Steps, log)
	if err != nil {
		return Result{}, err
	}
	warnLostDigits(log, opt, f, created)
	wopt := frame.WriteOptions{TimeColumn: opt.TimeColumn, Precision: opt.Precision}
	if stream {
		header := append([]string{opt.TimeColumn}, expectedHeader(inNames, opt.Steps)...)
		join := frame.JoinParquet
		if csvStream {
			join = frame.JoinCSV
		}
		err = frame.WriteAtomic(opt.Out, func(w io.Writer) error { return join(w, opt.In, f, skip, header, wopt) })
	} else {
		err = frame.WriteFile(opt.Out, f, wopt)
	}
	if err != nil {
		return Result{}, err
	}
	if opt.Incremental {
		if err := writeSidecar(opt.Out, newSidecar(columns, basis, in.Time, sums, skip, in.Len())); err != nil {
			return Result{}, err
		}
	}
	logNaN(log, opt.Out, f, created, 0)
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

// errStale says a recomputed stored row differs from the stored one: the generators changed.
var errStale = errors.New("a stored row differs from its recomputation: the generators changed")

func runIncremental(in *frame.Frame, inNames, columns []string, basis string, sums []uint64, stream bool, opt FileOptions, log *slog.Logger) (Result, bool, error) {
	full := func(why string) (Result, bool, error) {
		log.Info("full recompute", "file", opt.Out, "reason", why)
		return Result{}, false, nil
	}
	if _, err := os.Stat(opt.Out); errors.Is(err, os.ErrNotExist) {
		return full("no previous output")
	}
	side, err := readSidecar(opt.Out)
	if errors.Is(err, os.ErrNotExist) {
		return full("no input checksums beside the previous output (" + SidecarPath(opt.Out) + ")")
	}
	if err != nil {
		return full(err.Error())
	}
	if err := side.matches(opt.Out, columns, basis); err != nil {
		return full(err.Error())
	}
	want := append([]string{opt.TimeColumn}, expectedHeader(inNames, opt.Steps)...)
	if stream {
		h, err := frame.ReadCSVHeader(opt.Out)
		if err != nil {
			return full(err.Error())
		}
		if !slices.Equal(h, want) {
			return full("columns changed")
		}
	} else {
		s, err := frame.Summarize(opt.Out, opt.TimeColumn)
		if err != nil {
			return full(err.Error())
		}
		if !slices.Equal(s.Header, want) {
			return full("columns changed")
		}
		if s.Rows != side.Rows || s.Rows > 0 && s.First != side.First {
			return full("the previous output does not match its input checksums")
		}
	}
	n := in.Len()
	a, ok := slices.BinarySearch(in.Time, side.First)
	if !ok {
		return full(fmt.Sprintf("the first stored row (%s) is no longer in the input", frame.FormatTime(side.First)))
	}
	if opt.Window <= 0 && a > 0 || opt.Window > 0 && a > max(0, n-opt.Window) {
		return full("the input has rows before the first stored row that a full run would include")
	}
	k := a + side.Rows
	c := side.firstChange(sums, a)
	if c == a {
		return full("the input changed from the first stored row on")
	}
	if c == k && k == n {
		log.Info("up to date", "file", opt.Out, "rows", side.Rows)
		return Result{Mode: "up to date", Rows: side.Rows}, true, nil
	}
	if c < k {
		log.Info("input changed since the last run: recomputing from the first changed block", "file", opt.In, "from", frame.FormatTime(in.Time[c]), "stored_rows_kept", c-a)
	}
	// Recompute from the look-back of the last kept row, so that row can be checked too.
	start := a
	if lb := Lookback(opt.Steps); lb >= 0 {
		start = max(a, c-1-lb)
	}
	// Generators fill gaps from the last valid value: the computation must start at a row
	// where every input is present, or a value from before the slice would be missing.
	var inputs [][]float64
	for _, name := range Inputs(opt.Steps) {
		col, _ := in.Col(name)
		inputs = append(inputs, col)
	}
	for start > a && anyNaN(inputs, start) {
		start--
	}
	f := in.Slice(start, n)
	created, err := gen.ApplyLogged(f, opt.Steps, log)
	if err != nil {
		return Result{}, true, err
	}
	warnLostDigits(log, opt, f, created)
	from := c - start
	if err := removeSidecar(opt.Out); err != nil {
		return Result{}, true, err
	}
	wopt := frame.WriteOptions{TimeColumn: opt.TimeColumn, Precision: opt.Precision}
	if stream {
		err = rewriteCSV(opt, f.Slice(from-1, f.Len()), c-1, c-a, c == k, want, wopt)
	} else {
		err = rewriteTable(opt, f.Slice(from, f.Len()), c-a, c == k, wopt)
	}
	if errors.Is(err, errStale) {
		return full(fmt.Sprintf("the stored row %s %v", frame.FormatTime(in.Time[c-1]), err))
	}
	if err != nil {
		return Result{}, true, err
	}
	if err := writeSidecar(opt.Out, newSidecar(columns, basis, in.Time, sums, a, n)); err != nil {
		return Result{}, true, err
	}
	logNaN(log, opt.Out, f, created, from)
	res := Result{Mode: "incremental", Rows: c - a + f.Len() - from, NewRows: f.Len() - from, Created: created, NaN: nanCounts(f, created, from)}
	return res, true, appendColumnList(opt.Out, created)
}

// rewriteCSV writes the recomputed rows add (input rows from skip, the first of which is the
// last kept stored row, keep rows after Out's first) to Out. The stored row is checked
// against its recomputation (errStale). When every stored row is kept (appendOnly) the new
// rows are appended; otherwise Out is rewritten atomically from its first keep rows.
func rewriteCSV(opt FileOptions, add *frame.Frame, skip, keep int, appendOnly bool, header []string, wopt frame.WriteOptions) error {
	if appendOnly {
		last, err := lastLine(opt.Out)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := frame.JoinCSV(&recomputed{w: &buf, check: last, skip: 2}, opt.In, add, skip, header, wopt); err != nil {
			return err
		}
		return frame.AppendCSVText(opt.Out, buf.Bytes())
	}
	return frame.WriteAtomic(opt.Out, func(w io.Writer) error {
		last, err := copyLines(w, opt.Out, keep+1)
		if err != nil {
			return err
		}
		return frame.JoinCSV(&recomputed{w: w, check: last, skip: 2}, opt.In, add, skip, header, wopt)
	})
}

// rewriteTable writes the recomputed rows add to a non-streamed Out (Parquet, or CSV read
// whole), keeping Out's first keep rows. When every stored row is kept (appendOnly) the rows
// are appended, which copies a Parquet file's unchanged row groups without decoding them;
// otherwise Out's kept rows are read and the table is rewritten.
func rewriteTable(opt FileOptions, add *frame.Frame, keep int, appendOnly bool, wopt frame.WriteOptions) error {
	if appendOnly {
		return frame.AppendRows(opt.Out, add, wopt)
	}
	old, err := frame.ReadFile(opt.Out, frame.ReadOptions{TimeColumn: opt.TimeColumn})
	if err != nil {
		return err
	}
	merged, err := concatRows(old.Slice(0, keep), add, 0)
	if err != nil {
		return err
	}
	return frame.WriteFile(opt.Out, merged, wopt)
}

// recomputed passes a JoinCSV stream on to w without its header line and its first row,
// which must equal check (the stored row it recomputes), or Write fails with errStale.
type recomputed struct {
	w     io.Writer
	check []byte
	skip  int // lines still to drop
	line  []byte
}

func (r *recomputed) Write(p []byte) (int, error) {
	n := len(p)
	for r.skip > 0 && len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.line = append(r.line, p...)
			return n, nil
		}
		r.line = append(r.line, p[:i]...)
		p = p[i+1:]
		r.skip--
		if r.skip == 0 && !bytes.Equal(r.line, r.check) {
			return 0, errStale
		}
		r.line = r.line[:0]
	}
	if len(p) > 0 {
		if _, err := r.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// copyLines copies the first n lines of the file at path to w and returns the last of them
// (without its newline).
func copyLines(w io.Writer, path string, n int) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 1<<20)
	var last []byte
	for i := 0; i < n; i++ {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", path, i+1, err)
		}
		if _, err := w.Write(line); err != nil {
			return nil, err
		}
		last = line
	}
	return bytes.TrimRight(last, "\r\n"), nil
}

// lastLine returns the last line of a file ending with a newline, reading only its tail.
func lastLine(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	for n := int64(64 << 10); ; n *= 4 {
		n = min(n, st.Size())
		buf := make([]byte, n)
		if _, err := fh.ReadAt(buf, st.Size()-n); err != nil {
			return nil, err
		}
		body := bytes.TrimRight(buf, "\r\n")
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 || n == st.Size() {
			return body[i+1:], nil
		}
	}
}

func seconds(t0 time.Time) float64 { return math.Round(time.Since(t0).Seconds()*1000) / 1000 }

// logNaN gives --log-level debug the per-column detail of the rows written.
func logNaN(log *slog.Logger, out string, f *frame.Frame, created []string, from int) {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	counts := nanCounts(f, created, from)
	for _, name := range created {
		log.Debug("column written", "file", out, "column", name, "rows", f.Len()-from, "nan", counts[name])
	}
}

// concatRows returns old followed by rows [from, Len) of add (same columns).
func concatRows(old, add *frame.Frame, from int) (*frame.Frame, error) {
	times := append(slices.Clone(old.Time), add.Time[from:]...)
	out := frame.New(times)
	for _, c := range old.Columns() {
		d, err := add.Col(c.Name)
		if err != nil {
			return nil, err
		}
		if err := out.Set(c.Name, c.Kind, append(slices.Clone(c.Data), d[from:]...)); err != nil {
			return nil, err
		}
	}
	return out, nil
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
