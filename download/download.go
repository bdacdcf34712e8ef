package download

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
)

// DefaultStart is where a download starts when no klines.csv exists (ITB: 2017-01-01).
var DefaultStart = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultOverlap is how many stored rows are re-fetched and overwritten (ITB re-downloads
// from the 5th-from-last row).
const DefaultOverlap = 5

// Options configures Run.
type Options struct {
	// DataFolder is ITB's data_folder; the file is <DataFolder>/<Symbol>/klines.csv.
	DataFolder string
	// Symbol is the exchange symbol, e.g. "BTCUSDT".
	Symbol string
	// Interval is a Binance interval ("1m") or a pandas freq ("1min"), converted with
	// exchange.BinanceInterval.
	Interval string
	// Futures selects USDⓈ-M futures page sizes (1500 instead of 1000). Source must serve the
	// same market; a source with a Futures() bool method is checked.
	Futures bool
	// MaxRows keeps only the newest MaxRows rows (download_max_rows); 0 keeps all.
	MaxRows int
	// Start is where to begin when klines.csv does not exist; zero means DefaultStart.
	Start time.Time
	// PageLimit is the bars requested per page; 0 means 1000 (spot) or 1500 (futures).
	PageLimit int
	// Overlap is how many stored rows are re-fetched; 0 means DefaultOverlap.
	Overlap int
	// Source serves the klines (exchange.NewBinance, or a fake in tests). Required.
	Source exchange.KlineSource
	// Clock decides which bars are closed; nil means clock.System.
	Clock clock.Clock
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// Progress, if set, is called after every page has been durably written.
	Progress func(Progress)
	// OpenAppend opens klines.csv for appending pages; nil opens the real file. Tests inject
	// a file that fails part-way (disk full).
	OpenAppend func(path string) (AppendFile, error)
}

// AppendFile is what Run needs of klines.csv to append a page and, when a write fails
// part-way, cut the file back to its last complete row.
type AppendFile interface {
	io.Writer
	Sync() error
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
	Close() error
}

func openAppend(path string) (AppendFile, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
}

// Progress reports a durably written page.
type Progress struct {
	Page  int       // 1-based page number of this run
	Added int       // rows added by this run so far
	Rows  int       // rows in the file
	Last  time.Time // open time of the newest stored bar
}

// Result summarises a run.
type Result struct {
	Path        string
	Rows        int       // rows in the file at the end
	Added       int       // rows that were not stored before
	Replaced    int       // stored rows overwritten with different values
	Trimmed     int       // rows dropped to honour MaxRows
	Pages       int       // pages requested from the source
	Repaired    bool      // a torn last line (crashed run) was removed
	First, Last time.Time // open times of the first and last stored bars (zero when empty)
}

type tailRow struct {
	ms, closeMs int64
	off         int64
	line        []byte
}

// store is klines.csv as the run sees it: its stats, its last rows and an append handle.
type store struct {
	path string
	st   fileStats
	has  bool // the file exists
	tail []tailRow
	f    AppendFile
	buf  []byte
	// openAppend opens the file for appending (Options.OpenAppend).
	openAppend func(path string) (AppendFile, error)
}

// Run downloads Options.Symbol's klines into klines.csv, incrementally (see the package doc).
// On error the file holds every row stored before plus every page already written, and the
// returned Result describes it.
func Run(ctx context.Context, o Options) (res Result, err error) {
	iv, ivDur, limit, err := o.check()
	if err != nil {
		return res, err
	}
	clk, log := o.Clock, o.Logger
	if clk == nil {
		clk = clock.System{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	overlap := o.Overlap
	if overlap == 0 {
		overlap = DefaultOverlap
	}
	var s *store
	summarize := func() {
		if s != nil && s.st.rows > 0 {
			res.Rows = s.st.rows
			res.First, res.Last = time.UnixMilli(s.st.first).UTC(), time.UnixMilli(s.st.last).UTC()
		}
	}
	fail := func(err error) (Result, error) {
		summarize() // what the file holds despite the error
		return res, fmt.Errorf("download %s %s: %w", o.Symbol, iv, err)
	}
	dir := filepath.Join(o.DataFolder, o.Symbol)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	s = &store{path: filepath.Join(dir, FileName), openAppend: o.OpenAppend}
	res.Path = s.path
	removeStaleTemps(s.path)
	if err := s.open(overlap); errors.Is(err, ErrEmptyFile) {
		log.Warn("klines.csv holds no header (empty or torn at creation); starting afresh", "file", s.path)
		s = &store{path: s.path, openAppend: o.OpenAppend}
	} else if err != nil {
		return fail(err)
	}
	defer s.close()
	if s.st.torn {
		if err := s.repair(); err != nil {
			return fail(err)
		}
		res.Repaired = true
		log.Warn("removed a torn last line left by an interrupted run", "file", s.path, "line", s.st.tornLine)
	}
	if err := checkSpacing(s.tail, ivDur, s.path); err != nil {
		return fail(err)
	}

	start := o.Start
	if start.IsZero() {
		start = DefaultStart
	}
	next := start.UnixMilli()
	if len(s.tail) > 0 {
		next = s.tail[0].ms
	}
	log.Info("downloading klines", "file", s.path, "symbol", o.Symbol, "interval", iv, "rows", s.st.rows, "from", FormatTimestamp(next))
	overlapping := len(s.tail) > 0
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		nowMs := clk.Now().UnixMilli()
		page, err := o.Source.Klines(ctx, o.Symbol, iv, time.UnixMilli(next).UTC(), limit)
		if err != nil {
			return fail(err)
		}
		res.Pages++
		if err := checkPage(page, next, ivDur); err != nil {
			return fail(err)
		}
		closed, open, err := dropOpen(page, nowMs)
		if err != nil {
			return fail(err)
		}
		var added, replaced int
		if overlapping {
			added, replaced, err = s.mergeOverlap(closed)
			overlapping = false
		} else {
			added, err = s.appendRows(closed)
		}
		if err != nil {
			return fail(err)
		}
		res.Added += added
		res.Replaced += replaced
		if len(closed) > 0 {
			log.Debug("page stored", "page", res.Pages, "rows", len(closed), "last", FormatTimestamp(s.st.last))
			if o.Progress != nil {
				o.Progress(Progress{Page: res.Pages, Added: res.Added, Rows: s.st.rows, Last: time.UnixMilli(s.st.last).UTC()})
			}
		}
		if len(page) == 0 || open {
			break
		}
		n, err := nextOpen(page[len(page)-1].OpenTime, iv)
		if err != nil {
			return fail(err)
		}
		next = n
		if after, err := nextOpen(next, iv); err != nil || after-1 >= nowMs {
			break // the next bar would not be closed yet
		}
	}
	if o.MaxRows > 0 && s.st.rows > o.MaxRows {
		s.close()
		if err := trimToTail(s.path, s.st, o.MaxRows); err != nil {
			return fail(err)
		}
		res.Trimmed = s.st.rows - o.MaxRows
		s.st.rows = o.MaxRows
		if s.st.first, err = firstRowTime(s.path); err != nil {
			return fail(err)
		}
	}
	summarize()
	log.Info("klines downloaded", "file", s.path, "rows", res.Rows, "added", res.Added, "replaced", res.Replaced, "trimmed", res.Trimmed, "pages", res.Pages)
	return res, nil
}

func (o *Options) check() (iv string, ivDur time.Duration, limit int, err error) {
	if o.Source == nil {
		return "", 0, 0, errors.New("download: no kline source")
	}
	if err := checkSymbol(o.Symbol); err != nil {
		return "", 0, 0, err
	}
	if o.DataFolder == "" {
		return "", 0, 0, errors.New("download: data folder is empty")
	}
	if iv, err = exchange.BinanceInterval(o.Interval); err != nil {
		return "", 0, 0, fmt.Errorf("download: %w", err)
	}
	ivDur, _ = exchange.IntervalDuration(iv) // 0 for 1M
	if f, ok := o.Source.(interface{ Futures() bool }); ok && f.Futures() != o.Futures {
		return "", 0, 0, fmt.Errorf("download: the kline source serves futures=%v but futures=%v was asked", f.Futures(), o.Futures)
	}
	if o.MaxRows < 0 || o.Overlap < 0 || o.PageLimit < 0 {
		return "", 0, 0, errors.New("download: negative max rows, overlap or page limit")
	}
	limit = o.PageLimit
	if limit == 0 {
		limit = exchange.SpotMaxLimit
		if o.Futures {
			limit = exchange.FuturesMaxLimit
		}
	}
	return iv, ivDur, limit, nil
}

// checkSymbol keeps the symbol a single, harmless path element.
func checkSymbol(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\:`) || strings.HasPrefix(s, ".") {
		return fmt.Errorf("download: invalid symbol %q", s)
	}
	return nil
}

func nextOpen(ms int64, iv string) (int64, error) {
	t, err := exchange.AddInterval(time.UnixMilli(ms), iv, 1)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}

// checkPage enforces the KlineSource contract: ascending, at or after start, interval apart.
func checkPage(page []exchange.Kline, start int64, ivDur time.Duration) error {
	for i, k := range page {
		if k.OpenTime < start {
			return fmt.Errorf("%w: bar %s is before the requested start %s", ErrBadPage, FormatTimestamp(k.OpenTime), FormatTimestamp(start))
		}
		if i > 0 && k.OpenTime-page[i-1].OpenTime < ivDur.Milliseconds() {
			return fmt.Errorf("%w: bar %s follows %s, closer than the interval or out of order", ErrBadPage, FormatTimestamp(k.OpenTime), FormatTimestamp(page[i-1].OpenTime))
		}
	}
	return nil
}

// dropOpen cuts the page at the first bar still open at now (close_time >= now).
func dropOpen(page []exchange.Kline, nowMs int64) ([]exchange.Kline, bool, error) {
	for i, k := range page {
		ct, err := k.CloseTime()
		if err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrBadPage, err)
		}
		if ct >= nowMs {
			return page[:i], true, nil
		}
	}
	return page, false, nil
}

// checkSpacing refuses to continue a file whose newest rows are bars of another size (e.g. a
// 1m file downloaded with freq 5min), which would mix bar sizes in one file: rows closer than
// the interval, or bars longer than it (close_time - open_time + 1 > interval).
func checkSpacing(tail []tailRow, ivDur time.Duration, path string) error {
	want := ivDur.Milliseconds()
	if want <= 0 {
		return nil
	}
	for i, t := range tail {
		if i > 0 && t.ms-tail[i-1].ms < want {
			return &FileError{path, 0, fmt.Errorf("%w: rows %s and %s are closer than the interval %s", ErrIntervalMismatch, FormatTimestamp(tail[i-1].ms), FormatTimestamp(t.ms), ivDur)}
		}
		if t.closeMs-t.ms+1 > want {
			return &FileError{path, 0, fmt.Errorf("%w: the bar at %s lasts longer than the interval %s", ErrIntervalMismatch, FormatTimestamp(t.ms), ivDur)}
		}
	}
	return nil
}

// open scans an existing klines.csv, remembering its last n rows.
func (s *store) open(n int) error {
	fh, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	s.has = true
	ring := make([]tailRow, n)
	count := 0
	s.st, err = scanFile(fh, s.path, func(ms int64, line []byte, f *[12][]byte, off int64) error {
		r := &ring[count%n]
		r.ms, r.off, r.line = ms, off, append(r.line[:0], line...)
		r.closeMs = parseIntPrefix(f[7])
		count++
		return nil
	})
	if err != nil {
		return err
	}
	for i := max(0, count-n); i < count; i++ {
		s.tail = append(s.tail, ring[i%n])
	}
	return nil
}

// repair truncates the torn last line.
func (s *store) repair() error {
	fh, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := fh.Truncate(s.st.validEnd); err != nil {
		return err
	}
	s.st.torn = false
	return fh.Sync()
}

func (s *store) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// appendRows writes rows (all newer than the stored ones) in one write and fsyncs. A missing
// file is created atomically instead.
func (s *store) appendRows(rows []exchange.Kline) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if s.st.rows > 0 && rows[0].OpenTime <= s.st.last {
		return 0, fmt.Errorf("%w: bar %s is not after the stored %s", ErrBadPage, FormatTimestamp(rows[0].OpenTime), FormatTimestamp(s.st.last))
	}
	b := s.buf[:0]
	if s.has && !s.st.lastNL {
		b = append(b, '\n')
	}
	var err error
	for _, k := range rows {
		if b, err = appendRow(b, k); err != nil {
			return 0, err
		}
		b = append(b, '\n')
	}
	s.buf = b
	if !s.has {
		if err := writeAtomic(s.path, func(w *bufio.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return 0, err
		}
		s.has = true
		s.st = fileStats{headerEnd: int64(len(Header) + 1), first: rows[0].OpenTime}
	} else {
		if err := s.appendBytes(b); err != nil {
			return 0, err
		}
		if s.st.rows == 0 {
			s.st.first = rows[0].OpenTime
		}
	}
	s.st.rows += len(rows)
	s.st.last = rows[len(rows)-1].OpenTime
	s.st.lastNL = true
	return len(rows), nil
}

// appendBytes appends complete lines and fsyncs. When the write or the sync fails (a full
// disk writes part of the page) the file is cut back to its size before the write, so it
// holds exactly the rows s.st counts; if even that fails, the error says the next run repairs it.
func (s *store) appendBytes(b []byte) error {
	if s.f == nil {
		open := s.openAppend
		if open == nil {
			open = openAppend
		}
		f, err := open(s.path)
		if err != nil {
			return err
		}
		s.f = f
	}
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	_, err = s.f.Write(b)
	if err == nil {
		err = s.f.Sync()
	}
	if err == nil {
		return nil
	}
	if terr := s.f.Truncate(size); terr != nil {
		return fmt.Errorf("%w; cutting the file back to its last complete row also failed (%v): the next run repairs it", err, terr)
	}
	if serr := s.f.Sync(); serr != nil {
		return fmt.Errorf("%w; syncing the cut-back file also failed: %v", err, serr)
	}
	return fmt.Errorf("%w (the partly written page was removed)", err)
}

// mergeOverlap stores the first page, which overlaps the stored tail. The page wins on equal
// timestamps; stored rows the page lacks are kept. If the overlap is unchanged (the usual case)
// the new rows are just appended, otherwise the file is rewritten atomically.
func (s *store) mergeOverlap(page []exchange.Kline) (added, replaced int, err error) {
	type row struct {
		ms   int64
		line []byte
	}
	var merged []row
	same := true
	i := 0
	for _, t := range s.tail {
		for i < len(page) && page[i].OpenTime < t.ms {
			line, err := appendRow(nil, page[i])
			if err != nil {
				return 0, 0, err
			}
			merged = append(merged, row{page[i].OpenTime, line})
			same = false
			added++
			i++
		}
		if i < len(page) && page[i].OpenTime == t.ms {
			line, err := appendRow(nil, page[i])
			if err != nil {
				return 0, 0, err
			}
			if !bytes.Equal(line, t.line) {
				same = false
				replaced++
			}
			merged = append(merged, row{t.ms, line})
			i++
			continue
		}
		if i < len(page) {
			same = false // the page skips a stored bar: keep it, but the file must be rewritten
		}
		merged = append(merged, row{t.ms, t.line})
	}
	if same {
		n, err := s.appendRows(page[i:])
		return n, 0, err
	}
	rest := page[i:]
	for _, k := range rest {
		line, err := appendRow(nil, k)
		if err != nil {
			return 0, 0, err
		}
		merged = append(merged, row{k.OpenTime, line})
	}
	added += len(rest)
	s.close()
	cut := s.tail[0].off
	err = writeAtomic(s.path, func(w *bufio.Writer) error {
		if err := copyRange(w, s.path, s.st.headerEnd, cut); err != nil {
			return err
		}
		for _, r := range merged {
			w.Write(r.line)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	s.st.headerEnd = int64(len(Header) + 1)
	s.st.rows += added
	s.st.last = merged[len(merged)-1].ms
	s.st.first = min(s.st.first, merged[0].ms)
	s.st.lastNL = true
	return added, replaced, nil
}

// parseIntPrefix reads the integer part of a validated number ("1640995259999" or "1.6e12" ->
// 1), enough for the close_time sanity check; it never fails.
func parseIntPrefix(b []byte) int64 {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// firstRowTime returns the open time of the first data row of a valid klines.csv.
func firstRowTime(path string) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	lr := newLineReader(fh, path)
	if _, _, err := lr.line(); err != nil {
		return 0, err
	}
	b, _, err := lr.line()
	if err == io.EOF {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var f [12][]byte
	return parseRow(b, &f)
}
