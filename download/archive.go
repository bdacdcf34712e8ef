package download

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tradectl/tradectl/internal/exchange"
)

// ImportOptions configures ImportArchives.
type ImportOptions struct {
	// DataFolder and Symbol locate klines.csv as for Run.
	DataFolder, Symbol string
	// Interval (Binance interval or pandas freq), if set, rejects rows of another bar size:
	// rows closer than the interval or bars lasting longer (close_time - open_time + 1).
	Interval string
	// MaxRows keeps only the newest MaxRows rows (download_max_rows); 0 keeps all.
	MaxRows int
	// Force imports a dump file whose name states another symbol or interval (Binance names
	// them SYMBOL-INTERVAL-YYYY-MM[-DD]); without it such a file is ErrArchiveMismatch.
	Force bool
	// Logger receives a summary; nil discards it.
	Logger *slog.Logger
}

// ImportResult summarises an import.
type ImportResult struct {
	Path      string
	Rows      int // rows in klines.csv afterwards
	Added     int // imported rows whose timestamp was not stored
	Replaced  int // stored rows overwritten by a different imported row
	Unchanged int // imported rows identical to the stored row
	Trimmed   int // rows dropped to honour MaxRows
	Sources   int // csv streams read (each zip member counts)
}

// ImportArchives merges Binance's public kline dump files (data.binance.vision monthly or
// daily files: .zip holding one or more .csv members, .csv, or .csv.gz; 12 columns, no
// header, though a leading "open_time,..." header line is skipped) into klines.csv.
//
//   - The result is the union by open time, sorted. On a timestamp both stored and imported,
//     the imported row wins (the dumps are the exchange's final record, like a fresh
//     download); between archives, the one later in files wins.
//   - Newer spot dumps use microsecond timestamps: an open_time or close_time above 1e14 is
//     divided by 1000 (close_time 1735689659999999 becomes 1735689659999, the value the REST
//     API reports), so every stored row uses milliseconds. An open_time in microseconds must
//     be a whole millisecond.
//   - Each input must be strictly increasing by open time; any defect is a *FileError naming
//     the file (archive.zip:member.csv for zip members) and line, and klines.csv is left
//     unchanged: the merged file is written to a temp file and renamed over it only on success.
//
// Inputs are streamed and merged lazily (an input is opened when the merge reaches its first
// timestamp), so memory stays small whatever the number and size of the archives.
func ImportArchives(ctx context.Context, o ImportOptions, files []string) (res ImportResult, err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fail := func(err error) (ImportResult, error) {
		return res, fmt.Errorf("import %s: %w", o.Symbol, err)
	}
	if err := checkSymbol(o.Symbol); err != nil {
		return fail(err)
	}
	if o.DataFolder == "" || o.MaxRows < 0 {
		return fail(errors.New("empty data folder or negative max rows"))
	}
	if len(files) == 0 {
		return fail(errors.New("no archive files given"))
	}
	var want int64
	if o.Interval != "" {
		iv, err := exchange.BinanceInterval(o.Interval)
		if err != nil {
			return fail(err)
		}
		d, _ := exchange.IntervalDuration(iv)
		want = d.Milliseconds()
	}
	if err := checkDumpNames(files, o); err != nil {
		return fail(err)
	}
	srcs, err := listSources(files, log)
	if err != nil {
		return fail(err)
	}
	res.Sources = len(srcs)
	m := &merger{}
	defer m.closeAll()
	for _, s := range srcs {
		if err := s.peek(); err != nil {
			return fail(err)
		}
		if s.done {
			log.Warn("archive holds no rows", "file", s.name)
			continue
		}
		m.pending = append(m.pending, s)
	}
	sort.SliceStable(m.pending, func(i, j int) bool { return m.pending[i].first < m.pending[j].first })

	dir := filepath.Join(o.DataFolder, o.Symbol)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	path := filepath.Join(dir, FileName)
	res.Path = path
	removeStaleTemps(path)

	existing, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		existing = nil
	} else if err != nil {
		return fail(err)
	} else {
		defer existing.Close()
	}

	var prev int64
	rows := 0
	emit := func(w *bufio.Writer, ms int64, line []byte, closeMs int64, from string) error {
		if want > 0 {
			if want <= 86_400_000 && ms%want != 0 {
				return fmt.Errorf("%w: %s: row %s is not on the %s grid", ErrIntervalMismatch, from, FormatTimestamp(ms), time.Duration(want)*time.Millisecond)
			}
			if rows > 0 && (ms-prev < want || (ms-prev)%want != 0) {
				return fmt.Errorf("%w: %s: row %s is %s after %s, not a multiple of %s", ErrIntervalMismatch, from, FormatTimestamp(ms),
					time.Duration(ms-prev)*time.Millisecond, FormatTimestamp(prev), time.Duration(want)*time.Millisecond)
			}
			if closeMs-ms+1 > want {
				return fmt.Errorf("%w: %s: the bar at %s lasts longer than %s", ErrIntervalMismatch, from, FormatTimestamp(ms), time.Duration(want)*time.Millisecond)
			}
		}
		rows++
		prev = ms
		if rows&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		w.Write(line)
		return w.WriteByte('\n')
	}
	// takeArchive writes the archive row at the head of the merge.
	takeArchive := func(w *bufio.Writer) error {
		h := m.winner()
		if err := emit(w, h.ms, h.line, h.closeMs, h.name); err != nil {
			return err
		}
		return m.advance()
	}
	var st fileStats
	err = writeAtomic(path, func(w *bufio.Writer) error {
		if existing != nil {
			var err error
			st, err = scanFile(existing, path, func(ms int64, line []byte, f *[12][]byte, _ int64) error {
				for {
					h, err := m.head()
					if err != nil {
						return err
					}
					if h == nil || h.ms > ms {
						break
					}
					if h.ms == ms {
						if bytes.Equal(m.winner().line, line) {
							res.Unchanged++
						} else {
							res.Replaced++
						}
						return takeArchive(w)
					}
					res.Added++
					if err := takeArchive(w); err != nil {
						return err
					}
				}
				return emit(w, ms, line, parseIntPrefix(f[7]), path)
			})
			if errors.Is(err, ErrEmptyFile) {
				log.Warn("klines.csv holds no header; it is replaced", "file", path)
			} else if err != nil {
				return err
			}
			if st.torn {
				log.Warn("dropped a torn last line of klines.csv", "file", path, "line", st.tornLine)
			}
		}
		for {
			h, err := m.head()
			if err != nil {
				return err
			}
			if h == nil {
				return nil
			}
			res.Added++
			if err := takeArchive(w); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return fail(err)
	}
	res.Rows = rows
	if o.MaxRows > 0 && rows > o.MaxRows {
		if err := trimToTail(path, fileStats{rows: rows, headerEnd: int64(len(Header) + 1)}, o.MaxRows); err != nil {
			return fail(err)
		}
		res.Trimmed, res.Rows = rows-o.MaxRows, o.MaxRows
	}
	log.Info("archives imported", "file", path, "sources", res.Sources, "rows", res.Rows, "added", res.Added, "replaced", res.Replaced, "unchanged", res.Unchanged, "trimmed", res.Trimmed)
	return res, nil
}

// source is one csv stream of a dump file (a zip member, a .csv or a .csv.gz).
type source struct {
	name    string
	prio    int // position in the file list: a later file wins on equal timestamps
	open    func() (io.ReadCloser, error)
	first   int64
	rc      io.ReadCloser
	lr      *lineReader
	ms      int64
	closeMs int64
	line    []byte // the current row, formatted for klines.csv
	rows    int
	done    bool
	f       [12][]byte
}

// listSources expands the file list into csv streams.
func listSources(files []string, log *slog.Logger) ([]*source, error) {
	var out []*source
	for i, path := range files {
		lower := strings.ToLower(path)
		switch {
		case strings.HasSuffix(lower, ".zip"):
			zr, err := zip.OpenReader(path)
			if err != nil {
				return nil, &FileError{path, 0, err}
			}
			n := 0
			for j, f := range zr.File {
				if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
					continue
				}
				n++
				out = append(out, &source{name: path + ":" + f.Name, prio: i, open: zipMember(path, j)})
			}
			zr.Close()
			if n == 0 {
				return nil, &FileError{path, 0, fmt.Errorf("%w: no .csv member", ErrUnsupportedArchive)}
			}
			if n > 1 {
				log.Warn("zip holds several csv files: importing all of them", "file", path, "csv_files", n)
			}
		case strings.HasSuffix(lower, ".csv.gz"), strings.HasSuffix(lower, ".gz"):
			out = append(out, &source{name: path, prio: i, open: gzipFile(path)})
		case strings.HasSuffix(lower, ".csv"):
			out = append(out, &source{name: path, prio: i, open: func() (io.ReadCloser, error) { return os.Open(path) }})
		default:
			return nil, &FileError{path, 0, fmt.Errorf("%w: want .zip, .csv or .csv.gz", ErrUnsupportedArchive)}
		}
	}
	return out, nil
}

type closers struct {
	io.Reader
	cs []io.Closer
}

// Close closes every underlying closer.
func (c *closers) Close() error {
	var err error
	for _, x := range c.cs {
		err = errors.Join(err, x.Close())
	}
	return err
}

// zipMember reopens the archive when the member is needed, so only active inputs hold files.
func zipMember(path string, j int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, err
		}
		if j >= len(zr.File) {
			zr.Close()
			return nil, errors.New("zip member vanished")
		}
		rc, err := zr.File[j].Open()
		if err != nil {
			zr.Close()
			return nil, err
		}
		return &closers{rc, []io.Closer{rc, zr}}, nil
	}
}

func gzipFile(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
		if err != nil {
			f.Close()
			return nil, err
		}
		return &closers{zr, []io.Closer{zr, f}}, nil
	}
}

func (s *source) activate() error {
	rc, err := s.open()
	if err != nil {
		return &FileError{s.name, 0, err}
	}
	s.rc, s.lr, s.rows, s.done = rc, newLineReader(rc, s.name), 0, false
	return s.next()
}

func (s *source) close() {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
}

// peek reads the first row's open time, then closes the input.
func (s *source) peek() error {
	defer s.close()
	if err := s.activate(); err != nil {
		return err
	}
	s.first = s.ms
	return nil
}

// next reads and converts the next row; done is set at the end.
func (s *source) next() error {
	for {
		b, _, err := s.lr.line()
		if err == io.EOF {
			s.done = true
			s.close()
			return nil
		}
		if err != nil {
			return err
		}
		if s.lr.n == 1 && len(b) > 0 && (b[0] < '0' || b[0] > '9') {
			// Newer dumps carry a header line; a wrong one would put values in the wrong column.
			if p := headerProblem(string(bytes.TrimSpace(b)), DumpHeader); p != "" {
				return &FileError{s.name, 1, fmt.Errorf("%w: %s (want %q)", ErrBadHeader, p, DumpHeader)}
			}
			continue
		}
		ms, closeMs, line, err := convertDumpRow(b, s.line[:0], &s.f)
		if err != nil {
			return &FileError{s.name, s.lr.n, err}
		}
		if s.rows > 0 && ms <= s.ms {
			e := ErrUnsorted
			if ms == s.ms {
				e = ErrDuplicate
			}
			return &FileError{s.name, s.lr.n, fmt.Errorf("%w: %s after %s", e, FormatTimestamp(ms), FormatTimestamp(s.ms))}
		}
		s.ms, s.closeMs, s.line = ms, closeMs, line
		s.rows++
		return nil
	}
}

const microsThreshold = 100_000_000_000_000 // 1e14: as ms that is year 5138, as µs 1973

// convertDumpRow validates a dump line and formats it as a klines.csv line into dst.
func convertDumpRow(b, dst []byte, f *[12][]byte) (ms, closeMs int64, line []byte, err error) {
	if err := splitRow(b, f); err != nil {
		return 0, 0, nil, err
	}
	ms, err = strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || ms < 0 {
		return 0, 0, nil, fmt.Errorf("%w: open_time %q is not an integer", ErrMalformed, f[0])
	}
	if ms > microsThreshold {
		if ms%1000 != 0 {
			return 0, 0, nil, fmt.Errorf("%w: open_time %d µs is not a whole millisecond", ErrMalformed, ms)
		}
		ms /= 1000
	}
	closeMs, err = strconv.ParseInt(string(f[6]), 10, 64)
	if err != nil || closeMs < 0 {
		return 0, 0, nil, fmt.Errorf("%w: close_time %q is not an integer", ErrMalformed, f[6])
	}
	micros := closeMs > microsThreshold
	if micros {
		closeMs /= 1000
	}
	for j := 1; j < 12; j++ {
		if !validNumber(f[j]) {
			return 0, 0, nil, fmt.Errorf("%w: %s %q is not a number", ErrMalformed, exchange.FieldNames[j-1], f[j])
		}
	}
	if err := checkBar(f); err != nil {
		return 0, 0, nil, err
	}
	line = AppendTimestamp(dst, ms)
	if !micros {
		return ms, closeMs, append(line, b[len(f[0]):]...), nil // the 11 fields verbatim
	}
	for j := 1; j < 12; j++ {
		line = append(line, ',')
		if j == 6 {
			line = strconv.AppendInt(line, closeMs, 10)
		} else {
			line = append(line, f[j]...)
		}
	}
	return ms, closeMs, line, nil
}

// merger merges the archive inputs lazily by open time.
type merger struct {
	pending []*source // not opened yet, by first open time
	active  []*source
}

// head returns an active input holding the smallest open time (nil when all are done),
// opening pending inputs that start at or before it.
func (m *merger) head() (*source, error) {
	for {
		var best *source
		for _, s := range m.active {
			if best == nil || s.ms < best.ms {
				best = s
			}
		}
		if len(m.pending) > 0 && (best == nil || m.pending[0].first <= best.ms) {
			s := m.pending[0]
			m.pending = m.pending[1:]
			if err := s.activate(); err != nil {
				return nil, err
			}
			if !s.done {
				m.active = append(m.active, s)
			}
			continue
		}
		return best, nil
	}
}

// winner returns, among the active inputs at the smallest open time, the latest in the file
// list. head must have been called.
func (m *merger) winner() *source {
	var w *source
	for _, s := range m.active {
		if w == nil || s.ms < w.ms || (s.ms == w.ms && s.prio >= w.prio) {
			w = s
		}
	}
	return w
}

// advance moves every active input at the smallest open time to its next row.
func (m *merger) advance() error {
	w := m.winner()
	ms := w.ms
	kept := m.active[:0]
	for _, s := range m.active {
		if s.ms == ms {
			if err := s.next(); err != nil {
				return err
			}
		}
		if !s.done {
			kept = append(kept, s)
		}
	}
	m.active = kept
	return nil
}

func (m *merger) closeAll() {
	for _, s := range m.active {
		s.close()
	}
}

// checkBar refuses a dump row whose open, high, low, close and volume (fields 1..5, already
// valid numbers) cannot be real (exchange.CheckBar).
func checkBar(f *[12][]byte) error {
	var v [5]float64
	for j := range v {
		b := f[j+1] // non-empty: validNumber passed
		x, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
		if err != nil {
			return fmt.Errorf("%w: %s %q is not a number", ErrMalformed, exchange.FieldNames[j], f[j+1])
		}
		v[j] = x
	}
	if err := exchange.CheckBar(v[0], v[1], v[2], v[3], v[4]); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}
