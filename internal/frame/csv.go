package frame

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Sentinel errors for bad files.
var (
	// ErrParse is wrapped by every error about a malformed cell or row; the message names file and line.
	ErrParse = errors.New("malformed file")
	// ErrUnsorted is returned when timestamps are not strictly increasing (unsorted or duplicate rows).
	ErrUnsorted = errors.New("timestamps not strictly increasing")
	// ErrEmpty is returned for a file with no header line.
	ErrEmpty = errors.New("empty file")
	// ErrFormat is returned for a file extension the table cannot read or write.
	ErrFormat = errors.New("unsupported file format")
)

// DefaultTimeColumn is ITB's time column name.
const DefaultTimeColumn = "timestamp"

// ReadOptions control reading a table file.
type ReadOptions struct {
	// TimeColumn names the time column (default "timestamp").
	TimeColumn string
	// Columns, when non-nil, selects the columns to load; the others are skipped without
	// being parsed. A selected column that is absent is an error wrapping ErrMissingColumn.
	Columns []string
	// Optional lists columns loaded when present and silently skipped otherwise (only with Columns).
	Optional []string
}

func (o ReadOptions) timeColumn() string {
	if o.TimeColumn == "" {
		return DefaultTimeColumn
	}
	return o.TimeColumn
}

// ReadFile reads a table, choosing the format by extension: .csv, .csv.gz or .parquet.
func ReadFile(path string, opt ReadOptions) (*Frame, error) {
	switch {
	case IsParquet(path):
		return ReadParquet(path, opt)
	case strings.HasSuffix(path, ".csv"), strings.HasSuffix(path, ".csv.gz"):
		return ReadCSV(path, opt)
	default:
		return nil, fmt.Errorf("%s: %w (use .csv or %s)", path, ErrFormat, ParquetExt)
	}
}

// ReadCSV streams a CSV file (gzip when the name ends in .gz) into a frame. The text is
// parsed line by line from a buffered reader and never held in memory as a whole.
func ReadCSV(path string, opt ReadOptions) (*Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", path, ErrParse, err)
		}
		defer zr.Close()
		r = zr
	}
	size := int64(0)
	if st, err := fh.Stat(); err == nil && !strings.HasSuffix(path, ".gz") {
		size = st.Size()
	}
	f, err := readCSV(r, path, size, opt)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// lineReader yields lines without copying when they fit the buffer.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	no   int
}

func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	lr.no++
	line = bytes.TrimRight(line, "\r\n")
	return line, nil
}

func readCSV(r io.Reader, path string, size int64, opt ReadOptions) (*Frame, error) {
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	header, err := lr.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	names := splitFields(header, nil)
	nfields := len(names)
	tcol := opt.timeColumn()
	tIdx := -1
	strs := make([]string, len(names))
	for i, n := range names {
		names[i] = unquote(n)
		strs[i] = string(names[i])
		if strs[i] == tcol {
			tIdx = i
		}
	}
	if err := CheckHeader(path, strs); err != nil {
		return nil, err
	}
	if tIdx < 0 {
		return nil, fmt.Errorf("%s: %w %q (time column) in header", path, ErrMissingColumn, tcol)
	}
	// Which fields to load: slot[i] is the column field i fills, -1 when it is skipped.
	p := &csvPlan{nfields: nfields, tIdx: tIdx, slot: make([]int, nfields)}
	for i := range p.slot {
		p.slot[i] = -1
	}
	add := func(n string, required bool) error {
		i := slices.Index(strs, n)
		if i < 0 {
			if required {
				return fmt.Errorf("%s: %w %q", path, ErrMissingColumn, n)
			}
			return nil
		}
		if i != tIdx && p.slot[i] < 0 {
			p.slot[i] = len(p.names)
			p.names = append(p.names, n)
		}
		return nil
	}
	if opt.Columns == nil {
		for _, n := range strs {
			_ = add(n, true)
		}
	}
	for _, n := range opt.Columns {
		if err := add(n, true); err != nil {
			return nil, err
		}
	}
	if opt.Columns != nil {
		for _, n := range opt.Optional {
			_ = add(n, false)
		}
	}
	// Only the fields up to the last one loaded are split; the rest are counted.
	p.last = tIdx
	for i, s := range p.slot {
		if s >= 0 {
			p.last = max(p.last, i)
		}
	}
	rows, err := readBlocks(lr.br, path, size, p)
	if err != nil {
		return nil, err
	}
	f := New(rows.times[:len(rows.times):len(rows.times)])
	for s, name := range p.names {
		kind := Float
		c := rows.flags[s]
		switch {
		case c.bools && (c.float || c.ints):
			return nil, fmt.Errorf("%s: column %q: %w: mixes True/False with numbers", path, name, ErrParse)
		case c.bools:
			kind = Bool
		case c.ints && !c.float:
			kind = Int
		}
		// The spare capacity (the row estimate's margin) is kept: merge grows columns in place.
		if err := f.Set(name, kind, rows.cols[s]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// parse parses one cell, recording its kind in c.
func (c *colFlags) parse(b []byte) (float64, error) {
	if len(b) == 0 {
		return math.NaN(), nil
	}
	switch b[0] {
	case 'T':
		if string(b) == "True" || string(b) == "TRUE" || string(b) == "true" {
			c.bools = true
			return 1, nil
		}
	case 'F', 'f':
		if string(b) == "False" || string(b) == "FALSE" || string(b) == "false" {
			c.bools = true
			return 0, nil
		}
	case '"':
		b = unquote(b)
		if len(b) == 0 {
			return math.NaN(), nil
		}
	}
	if v, ok := parseDecimal(b); ok {
		c.float = true
		return v, nil
	}
	if isInteger(b) && len(b) < 16 {
		var v int64
		neg := false
		i := 0
		if b[0] == '-' || b[0] == '+' {
			neg = b[0] == '-'
			i = 1
		}
		for ; i < len(b); i++ {
			v = v*10 + int64(b[i]-'0')
		}
		if neg {
			v = -v
		}
		c.ints = true
		return float64(v), nil
	}
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		return 0, fmt.Errorf("cannot parse %q as a number", b)
	}
	c.float = true
	return v, nil
}

// parseDecimal parses d+.d+ with an optional sign and at most 15 digits, the form of every
// number tradectl and ITB write, exactly as strconv.ParseFloat does: the digits form an integer
// below 2^53 and 10^k (k <= 15) is exact, so the one division is correctly rounded.
func parseDecimal(b []byte) (float64, bool) {
	v, end, kind := scanNumber(b, 0)
	return v, kind == scannedDecimal && end == len(b)
}

// What scanNumber found.
const (
	scannedOther   = iota // not a plain number: the cell needs colFlags.parse
	scannedDecimal        // a decimal parseDecimal accepts
	scannedInt            // an integer of under 16 characters, sign included
)

// scanNumber parses the field of line starting at i when it is a decimal parseDecimal
// accepts or a short integer, giving the values colFlags.parse gives them; end is the index
// after the field when kind is not scannedOther.
func scanNumber(line []byte, i int) (v float64, end int, kind int) {
	first := i
	neg := false
	if i < len(line) && (line[i] == '-' || line[i] == '+') {
		neg = line[i] == '-'
		i++
	}
	var m uint64
	start := i
	for i < len(line) && line[i]-'0' < 10 {
		m = m*10 + uint64(line[i]-'0')
		i++
	}
	intDigits := i - start
	if i == len(line) || line[i] == ',' {
		if intDigits == 0 || i-first >= 16 {
			return 0, i, scannedOther
		}
		n := int64(m)
		if neg {
			n = -n // an integer -0 is +0, as colFlags.parse makes it
		}
		return float64(n), i, scannedInt
	}
	if line[i] != '.' {
		return 0, i, scannedOther
	}
	i++
	start = i
	for i < len(line) && line[i]-'0' < 10 {
		m = m*10 + uint64(line[i]-'0')
		i++
	}
	frac := i - start
	if i < len(line) && line[i] != ',' {
		return 0, i, scannedOther
	}
	if d := intDigits + frac; d == 0 || d > 15 {
		return 0, i, scannedOther
	}
	v = float64(m) / pow10[frac]
	if neg {
		v = -v
	}
	return v, i, scannedDecimal
}

// splitFieldsN splits the first n fields of line into dst and returns the number of fields
// in the whole line; the fields after the first n are counted, not split.
func splitFieldsN(line []byte, dst [][]byte, n int) ([][]byte, int) {
	for len(dst) < n {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			dst = append(dst, line)
			return dst, len(dst)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
	return dst, len(dst) + bytes.Count(line, []byte{','}) + 1
}

func splitFields(line []byte, dst [][]byte) [][]byte {
	for {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return b[1 : len(b)-1]
	}
	return b
}

// WriteOptions control writing a table file.
type WriteOptions struct {
	// TimeColumn names the time column (default "timestamp").
	TimeColumn string
	// Precision is the number of decimals for Float columns (ITB's "%.6f" for derived files is 6);
	// a negative value writes the shortest exact representation.
	Precision int
	// TimePos is the number of data columns written before the time column (0: time first).
	// ITB's predictions.csv puts the score columns first.
	TimePos int
}

func (o WriteOptions) timeColumn() string {
	if o.TimeColumn == "" {
		return DefaultTimeColumn
	}
	return o.TimeColumn
}

// WriteFile writes a table atomically (temporary file, then rename), choosing the format by
// extension: .csv or .parquet. Nothing at path is touched when writing fails.
func WriteFile(path string, f *Frame, opt WriteOptions) error {
	switch {
	case IsParquet(path):
		return writeAtomic(path, func(w io.Writer) error { return writeParquet(w, f, opt) })
	case strings.HasSuffix(path, ".csv"):
		return writeAtomic(path, func(w io.Writer) error { return WriteCSV(w, f, opt) })
	default:
		return fmt.Errorf("%s: %w (use .csv or %s)", path, ErrFormat, ParquetExt)
	}
}

// writeAtomic writes through a temporary file in the same folder and renames it over path.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	RemoveStaleTemps(path)
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	pending.Store(tmp.Name(), struct{}{})
	defer pending.Delete(tmp.Name())
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return nil
}

// pending holds the temporary files being written, so an interrupted process can remove them.
var pending sync.Map

// RemovePendingTemp deletes the temporary files of writes still in progress; a process that
// exits on an interrupt calls it so no half-written file is left beside the real ones.
func RemovePendingTemp() {
	pending.Range(func(k, _ any) bool {
		os.Remove(k.(string))
		return true
	})
}

// WriteAtomic writes a file through a temporary file and a rename; exported for steps that
// write their own formats (reports, model files).
func WriteAtomic(path string, write func(io.Writer) error) error { return writeAtomic(path, write) }

// AppendRow appends row i of f as a CSV line (with newline), time column first.
func AppendRow(buf []byte, f *Frame, i int, prec int) []byte { return appendRowAt(buf, f, i, prec, 0) }

func appendRowAt(buf []byte, f *Frame, i int, prec int, tp int) []byte {
	for k, c := range f.cols {
		if k == tp {
			buf = AppendTime(buf, f.Time[i])
			buf = append(buf, ',')
		}
		buf = AppendValue(buf, c.Kind, c.Data[i], prec)
		if k < len(f.cols)-1 {
			buf = append(buf, ',')
		}
	}
	if tp >= len(f.cols) {
		if len(f.cols) > 0 {
			buf = append(buf, ',')
		}
		buf = AppendTime(buf, f.Time[i])
	}
	return append(buf, '\n')
}

// AppendValue formats one cell: NaN as empty, Bool as True/False, Int without decimals,
// Float with prec decimals (or the shortest exact form, always with a decimal point, when prec < 0).
func AppendValue(buf []byte, kind Kind, v float64, prec int) []byte {
	if math.IsNaN(v) {
		return buf
	}
	switch kind {
	case Bool:
		if v != 0 {
			return append(buf, "True"...)
		}
		return append(buf, "False"...)
	case Int:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.AppendInt(buf, int64(v), 10)
		}
	}
	if math.IsInf(v, 0) {
		return buf // ±inf is written as missing, as ITB does after replacing it with NaN
	}
	if prec >= 0 {
		return appendFixed(buf, v, prec)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
	if bytes.IndexByte(buf[start:], '.') < 0 {
		buf = append(buf, ".0"...)
	}
	return buf
}
