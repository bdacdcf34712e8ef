package download

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tradectl/tradectl/internal/exchange"
)

// FileName is the klines file inside <data_folder>/<symbol>/, as in ITB.
const FileName = "klines.csv"

// Header is klines.csv's first line (ITB's 12 columns).
const Header = "timestamp,open,high,low,close,volume,close_time,quote_av,trades,tb_base_av,tb_quote_av,ignore"

// Sentinel errors callers branch on; file errors arrive wrapped in a *FileError.
var (
	// ErrEmptyFile: klines.csv has no complete header (no bytes, or a header cut short).
	ErrEmptyFile = errors.New("empty file")
	// ErrBadHeader: the first line is not Header.
	ErrBadHeader = errors.New("bad header")
	// ErrMalformed: a row with the wrong column count or a value that does not parse.
	ErrMalformed = errors.New("malformed row")
	// ErrUnsorted: a timestamp lower than the previous row's.
	ErrUnsorted = errors.New("timestamps not increasing")
	// ErrDuplicate: a timestamp equal to the previous row's.
	ErrDuplicate = errors.New("duplicate timestamp")
	// ErrIntervalMismatch: stored or imported rows are spaced unlike the requested interval.
	ErrIntervalMismatch = errors.New("rows do not match the interval")
	// ErrBadPage: the kline source returned rows that break its contract.
	ErrBadPage = errors.New("bad page from the kline source")
	// ErrUnsupportedArchive: an archive that is not .zip, .csv or .csv.gz, or a zip without csv.
	ErrUnsupportedArchive = errors.New("unsupported archive")
	// ErrLocked: another tradectl process is writing the same symbol folder.
	ErrLocked = errors.New("symbol folder is locked by another process")
)

// FileError locates an error in a file (Line 0 when it concerns the whole file). Path names the
// file; for a zip member it is "archive.zip:member.csv".
type FileError struct {
	Path string
	Line int
	Err  error
}

// Error formats "path line N: cause" (or "path: cause").
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the cause (one of the sentinels, usually).
func (e *FileError) Unwrap() error { return e.Err }

// Path returns <dataFolder>/<symbol>/klines.csv.
func Path(dataFolder, symbol string) string {
	return filepath.Join(dataFolder, symbol, FileName)
}

// ---- timestamps ---------------------------------------------------------------------------

// AppendTimestamp appends ms (Unix milliseconds) as ITB writes it: "2022-01-01 00:00:00+00:00"
// (pandas' form, with ".ffffff" only when there are milliseconds).
func AppendTimestamp(b []byte, ms int64) []byte {
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		return time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
	}
	b = append4(b, int(y))
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, ' ')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	if frac != 0 {
		b = append(b, '.')
		b = append2(b, int(frac/10))
		b = append(b, byte('0'+frac%10), '0', '0', '0')
	}
	return append(b, "+00:00"...)
}

// FormatTimestamp returns AppendTimestamp's text.
func FormatTimestamp(ms int64) string { return string(AppendTimestamp(nil, ms)) }

var tsLayouts = []string{
	"2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05Z07:00", // fractions are accepted after seconds
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
}

// ParseTimestamp parses an ISO 8601 timestamp (ITB's "2022-01-01 00:00:00+00:00" fast, other
// ISO forms too; a missing zone means UTC) into Unix milliseconds.
func ParseTimestamp(s []byte) (int64, error) {
	if ms, ok := parseFast(s); ok {
		return ms, nil
	}
	str := string(s)
	for _, l := range tsLayouts {
		if t, err := time.Parse(l, str); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("timestamp %q is not ISO 8601", s)
}

func parseFast(s []byte) (int64, bool) {
	if len(s) != 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || string(s[19:]) != "+00:00" {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	se, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59 {
		return 0, false
	}
	days := daysFromCivil(int64(y), mo, d)
	return ((days*24+int64(h))*60+int64(mi))*60000 + int64(se)*1000, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilFromDays and daysFromCivil are H. Hinnant's proleptic Gregorian conversions.
func civilFromDays(z int64) (int64, int, int) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if mp >= 10 {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := int64(m + 9)
	if m > 2 {
		mp = int64(m - 3)
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// ---- rows ---------------------------------------------------------------------------------

// validNumber accepts the decimal forms Binance and pandas write: -?digits[.digits][e±digits].
func validNumber(s []byte) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	nd := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, nd = i+1, nd+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, nd = i+1, nd+1
		}
	}
	if nd == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		ne := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, ne = i+1, ne+1
		}
		if ne == 0 {
			return false
		}
	}
	return i == len(s)
}

// splitRow splits a 12-column line into its fields (into dst, which must have room for 12).
func splitRow(line []byte, dst *[12][]byte) error {
	n := 0
	for {
		i := bytes.IndexByte(line, ',')
		if n == 11 {
			if i >= 0 {
				return fmt.Errorf("%w: more than 12 columns", ErrMalformed)
			}
			dst[11] = line
			return nil
		}
		if i < 0 {
			return fmt.Errorf("%w: %d columns, want 12", ErrMalformed, n+1)
		}
		dst[n], line = line[:i], line[i+1:]
		n++
	}
}

// parseRow validates a klines.csv data line and returns its open time and fields.
func parseRow(line []byte, f *[12][]byte) (int64, error) {
	if err := splitRow(line, f); err != nil {
		return 0, err
	}
	ms, err := ParseTimestamp(f[0])
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for j := 1; j < 12; j++ {
		if !validNumber(f[j]) {
			return 0, fmt.Errorf("%w: %s %q is not a number", ErrMalformed, exchange.FieldNames[j-1], f[j])
		}
	}
	return ms, nil
}

// appendRow formats k as a klines.csv line (without the newline), checking every value is a
// plain number so nothing the exchange sends can break the CSV.
func appendRow(b []byte, k exchange.Kline) ([]byte, error) {
	b = AppendTimestamp(b, k.OpenTime)
	for j, f := range k.Fields {
		if !validNumber([]byte(f)) {
			return b, fmt.Errorf("%w: bar %s: %s %q is not a number", ErrBadPage, FormatTimestamp(k.OpenTime), exchange.FieldNames[j], f)
		}
		b = append(b, ',')
		b = append(b, f...)
	}
	return b, nil
}

// ---- scanning -----------------------------------------------------------------------------

// lineReader yields lines with their offsets; a line's bytes are valid until the next call.
type lineReader struct {
	r    *bufio.Reader
	path string
	n    int   // number of the line last returned (1-based)
	off  int64 // offset of the line last returned
	next int64 // offset after it
}

const maxLine = 64 << 10

func newLineReader(r io.Reader, path string) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, maxLine), path: path}
}

// line returns the next line without "\n" or "\r\n"; nl is false for a last line lacking its
// newline. It returns io.EOF when no bytes are left.
func (l *lineReader) line() (b []byte, nl bool, err error) {
	b, err = l.r.ReadSlice('\n')
	l.n++
	l.off = l.next
	l.next += int64(len(b))
	switch {
	case err == bufio.ErrBufferFull:
		return nil, false, &FileError{l.path, l.n, fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxLine)}
	case err == io.EOF:
		if len(b) == 0 {
			return nil, false, io.EOF
		}
		return bytes.TrimSuffix(b, []byte("\r")), false, nil
	case err != nil:
		return nil, false, &FileError{l.path, l.n, err}
	}
	b = b[:len(b)-1]
	return bytes.TrimSuffix(b, []byte("\r")), true, nil
}

// fileStats describes a scanned klines.csv.
type fileStats struct {
	rows        int
	first, last int64 // open times of the first and last rows
	headerEnd   int64 // offset of the first data line
	validEnd    int64 // offset just after the last valid row (the torn line starts here)
	torn        bool  // the last line lacked its newline and did not parse: dropped
	tornLine    int
	lastNL      bool // the last valid line ends with a newline
}

// scanFile validates a klines.csv stream: the header, 12 numeric columns, ISO timestamps,
// strictly increasing. A last line without newline that does not parse is a torn write: it
// is reported in stats (torn) and not passed to fn; any other problem is a *FileError.
func scanFile(r io.Reader, path string, fn func(ms int64, line []byte, f *[12][]byte, off int64) error) (fileStats, error) {
	var st fileStats
	lr := newLineReader(r, path)
	h, nl, err := lr.line()
	if err == io.EOF {
		return st, &FileError{path, 0, ErrEmptyFile}
	}
	if err != nil {
		return st, err
	}
	if string(h) != Header {
		if !nl && len(h) < len(Header) && Header[:len(h)] == string(h) {
			return st, &FileError{path, 1, fmt.Errorf("%w: only a partial header %q", ErrEmptyFile, h)}
		}
		return st, &FileError{path, 1, fmt.Errorf("%w: %s (want %q)", ErrBadHeader, headerProblem(string(h), Header), Header)}
	}
	st.headerEnd, st.validEnd, st.lastNL = lr.next, lr.next, nl
	var f [12][]byte
	prev := int64(0)
	for {
		b, nl, err := lr.line()
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		ms, perr := parseRow(b, &f)
		if perr != nil {
			if !nl {
				st.torn, st.tornLine = true, lr.n
				return st, nil
			}
			return st, &FileError{path, lr.n, perr}
		}
		if st.rows > 0 && ms <= prev {
			e := ErrUnsorted
			if ms == prev {
				e = ErrDuplicate
			}
			return st, &FileError{path, lr.n, fmt.Errorf("%w: %s after %s", e, FormatTimestamp(ms), FormatTimestamp(prev))}
		}
		if fn != nil {
			if err := fn(ms, b, &f, lr.off); err != nil {
				return st, err
			}
		}
		if st.rows == 0 {
			st.first = ms
		}
		st.rows++
		prev, st.last, st.validEnd, st.lastNL = ms, ms, lr.next, nl
	}
}

// ReadFile reads and validates a klines.csv (see scanFile). A torn last line left by a crash
// is dropped; every other defect is a *FileError naming the file and line.
func ReadFile(path string) ([]exchange.Kline, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []exchange.Kline
	_, err = scanFile(fh, path, func(ms int64, line []byte, f *[12][]byte, _ int64) error {
		s := string(line) // one allocation per row; the fields are substrings of it
		k := exchange.Kline{OpenTime: ms}
		pos := len(f[0]) + 1
		for j := 1; j < 12; j++ {
			k.Fields[j-1] = s[pos : pos+len(f[j])]
			pos += len(f[j]) + 1
		}
		out = append(out, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WriteFile atomically replaces path (temp file, fsync, rename) with rows, which must be in
// strictly increasing open-time order with plain numeric fields.
func WriteFile(path string, rows []exchange.Kline) error {
	return writeAtomic(path, func(w *bufio.Writer) error {
		var b []byte
		for i, k := range rows {
			if i > 0 && k.OpenTime <= rows[i-1].OpenTime {
				return fmt.Errorf("%w: row %d (%s) not after the previous row", ErrUnsorted, i, FormatTimestamp(k.OpenTime))
			}
			var err error
			if b, err = appendRow(b[:0], k); err != nil {
				return err
			}
			b = append(b, '\n')
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeAtomic writes Header and fill's rows to a temp file beside path, syncs it and renames
// it over path, so readers see the old file or the new one, never a mix.
func writeAtomic(path string, fill func(w *bufio.Writer) error) (err error) {
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if _, err = w.WriteString(Header + "\n"); err != nil {
		return err
	}
	if err = fill(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func tempPrefix(path string) string { return "." + filepath.Base(path) + "." }

// removeStaleTemps deletes temp files a killed run left behind (callers hold the folder lock).
func removeStaleTemps(path string) {
	olds, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*.tmp"))
	for _, o := range olds {
		os.Remove(o)
	}
}

// copyRange copies [from, to) of the file at path to w (to < 0: to the end).
func copyRange(w io.Writer, path string, from, to int64) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var r io.Reader = io.NewSectionReader(fh, from, 1<<62)
	if to >= 0 {
		r = io.NewSectionReader(fh, from, to-from)
	}
	_, err = io.Copy(w, r)
	return err
}

// rowOffset returns the offset of data row k (0-based) of a valid klines.csv.
func rowOffset(path string, headerEnd int64, k int) (int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	if _, err := fh.Seek(headerEnd, io.SeekStart); err != nil {
		return 0, err
	}
	off := headerEnd
	buf := make([]byte, 1<<20)
	for k > 0 {
		n, err := fh.Read(buf)
		for i := 0; i < n && k > 0; {
			j := bytes.IndexByte(buf[i:n], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			k--
			if k == 0 {
				return off + int64(i), nil
			}
		}
		off += int64(n)
		if err == io.EOF {
			return 0, fmt.Errorf("%s: fewer rows than expected", path)
		}
		if err != nil {
			return 0, err
		}
	}
	return off, nil
}

// trimToTail atomically rewrites a valid klines.csv keeping its last keep of rows rows.
func trimToTail(path string, st fileStats, keep int) error {
	off, err := rowOffset(path, st.headerEnd, st.rows-keep)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w *bufio.Writer) error { return copyRange(w, path, off, -1) })
}
