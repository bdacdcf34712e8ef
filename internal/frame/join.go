package frame

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// ReadHeader returns the column names of a table file (its CSV header line or its Parquet
// columns), choosing the format by extension as ReadFile does.
func ReadHeader(path string) ([]string, error) {
	if IsParquet(path) {
		return ParquetColumns(path)
	}
	return ReadCSVHeader(path)
}

// ReadCSVHeader returns the column names of a CSV file's header line.
func ReadCSVHeader(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	lr := &lineReader{br: bufio.NewReaderSize(fh, 64<<10)}
	line, err := lr.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var names []string
	for _, f := range splitFields(line, nil) {
		names = append(names, string(unquote(f)))
	}
	if err := CheckHeader(path, names); err != nil {
		return nil, err
	}
	return names, nil
}

// JoinCSV streams the CSV file src and writes to w the columns named in header: each comes
// from add when add has it, otherwise from src, whose cells are re-formatted with
// opt.Precision decimals without being held in memory. Rows [skip, skip+add.Len()) of src are
// written; each src row's timestamp must equal add's. This lets a step load only the columns
// it computes with and still write every input column.
func JoinCSV(w io.Writer, src string, add *Frame, skip int, header []string, opt WriteOptions) error {
	tcol := opt.TimeColumn
	if tcol == "" {
		tcol = DefaultTimeColumn
	}
	fh, err := os.Open(src)
	if err != nil {
		return err
	}
	defer fh.Close()
	lr := &lineReader{br: bufio.NewReaderSize(fh, 64<<10)}
	hline, err := lr.next()
	if err != nil {
		return fmt.Errorf("%s: %w", src, ErrEmpty)
	}
	j := &joiner{src: src, add: add, skip: skip, header: header, prec: opt.Precision}
	srcIdx := map[string]int{}
	for i, f := range splitFields(hline, nil) {
		srcIdx[string(unquote(f))] = i
	}
	j.nsrc = len(srcIdx)
	tIdx, ok := srcIdx[tcol]
	if !ok {
		return fmt.Errorf("%s: %w %q (time column)", src, ErrMissingColumn, tcol)
	}
	j.tIdx, j.last = tIdx, tIdx
	// Output plan: -1 = the time column, >= 0 = src field, < -1 = add column -(k+2).
	j.plan = make([]int, len(header))
	for i, name := range header {
		switch {
		case name == tcol:
			j.plan[i] = -1
		case add.Has(name):
			d, _ := add.Col(name)
			j.addCols = append(j.addCols, Column{Name: name, Kind: add.Kind(name), Data: d})
			j.plan[i] = -(len(j.addCols) + 1)
		default:
			k, ok := srcIdx[name]
			if !ok {
				return fmt.Errorf("%s: %w %q", src, ErrMissingColumn, name)
			}
			j.plan[i] = k
			j.last = max(j.last, k)
		}
	}
	if _, err := w.Write([]byte(strings.Join(header, ",") + "\n")); err != nil {
		return err
	}
	// The blocks of src text are formatted on every core and written in order; each knows
	// its first line and how many rows come before it.
	free := make(chan *csvBlock, 2*csvWorkerCount()+3)
	line, rows := 2, 0 // the first block starts at line 2, after the header
	failed := false    // a row or writing failed (else a read did)
	err = runOrdered(
		func(emit func(*csvBlock) bool) error {
			return cutBlocks(lr.br, free, func(b *csvBlock) bool {
				b.startLine, b.rowsBefore = line, rows
				n, r := countRows(b.text)
				line, rows = line+n, rows+r
				return emit(b)
			})
		},
		j.format,
		func(b *csvBlock) error {
			err := b.err
			if err == nil {
				_, err = w.Write(b.out)
			}
			failed = err != nil
			recycle(free, b)
			return err
		})
	switch {
	case err != nil && !failed:
		return fmt.Errorf("%s: line %d: %w", src, line, err)
	case err != nil:
		return err
	}
	if k := max(rows-skip, 0); k != add.Len() {
		return fmt.Errorf("%s: %w: %d rows after row %d, %d were computed (the file changed while reading?)", src, ErrParse, k, skip, add.Len())
	}
	return nil
}

// joiner formats the rows of JoinCSV.
type joiner struct {
	src     string
	add     *Frame
	skip    int
	header  []string
	prec    int
	nsrc    int      // fields in src
	tIdx    int      // src field of the time
	last    int      // the last src field used; the fields after it are only counted
	plan    []int    // per output column: -1 time, >= 0 src field, < -1 add column -(k+2)
	addCols []Column // the columns taken from add
}

// format writes the output lines of block b's rows into b.out, or sets b.err (naming the
// file and line) at its first bad row.
func (j *joiner) format(b *csvBlock) {
	b.out, b.err = b.out[:0], nil
	text, no, row := b.text, b.startLine-1, b.rowsBefore-1
	for len(text) > 0 {
		var line []byte
		line, text = nextLine(text)
		no++
		if len(line) == 0 {
			continue
		}
		row++
		if row < j.skip {
			continue
		}
		if b.err = j.formatRow(b, line, row-j.skip); b.err != nil {
			b.err = fmt.Errorf("%s: line %d: %w", j.src, no, b.err)
			return
		}
	}
}

// formatRow appends the output line of src row k (counted from skip) to b.out.
func (j *joiner) formatRow(b *csvBlock, line []byte, k int) error {
	if k >= j.add.Len() {
		return fmt.Errorf("%w: more rows than were computed (the file changed while reading?)", ErrParse)
	}
	var count int
	b.fields, count = splitFieldsN(line, b.fields[:0], j.last+1)
	if count != j.nsrc {
		return fmt.Errorf("%w: %d fields, header has %d", ErrParse, count, j.nsrc)
	}
	ts, err := ParseTime(unquote(b.fields[j.tIdx]))
	if err != nil || ts != j.add.Time[k] {
		return fmt.Errorf("%w: row does not match the computed rows (the file changed while reading?)", ErrParse)
	}
	buf := b.out
	for i, p := range j.plan {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch {
		case p == -1:
			buf = AppendTime(buf, ts)
		case p >= 0:
			if buf, err = appendCell(buf, unquote(b.fields[p]), j.prec); err != nil {
				return fmt.Errorf("column %q: %w: %v", j.header[i], ErrParse, err)
			}
		default:
			c := j.addCols[-p-2]
			buf = AppendValue(buf, c.Kind, c.Data[k], j.prec)
		}
	}
	b.out = append(buf, '\n')
	return nil
}

// appendCell re-formats one text cell: empty, True/False and integers are copied; decimals
// get prec decimals (prec < 0 keeps their text). A decimal with at most prec fraction digits
// and at most 9 integer digits is padded with zeros, which is exactly what formatting its
// float64 value prints; others are parsed and formatted. Anything else is an error.
func appendCell(buf, cell []byte, prec int) ([]byte, error) {
	if len(cell) == 0 || isInteger(cell) {
		return append(buf, cell...), nil
	}
	switch string(cell) {
	case "True", "False", "TRUE", "FALSE", "true", "false":
		return append(buf, cell...), nil
	}
	if dot := bytes.IndexByte(cell, '.'); dot >= 0 && prec >= 0 {
		frac := cell[dot+1:]
		signs := 0
		for signs < dot && (cell[signs] == '+' || cell[signs] == '-') {
			signs++
		}
		intPart := cell[signs:dot]
		if len(frac) <= prec && len(intPart) <= 9 && signs <= 1 && isDigits(frac) && isDigits(intPart) && !isNegativeZero(cell) {
			buf = append(buf, cell...)
			if len(frac) == 0 && prec == 0 {
				return buf[:len(buf)-1], nil
			}
			for i := len(frac); i < prec; i++ {
				buf = append(buf, '0')
			}
			return buf, nil
		}
	}
	v, err := strconv.ParseFloat(unsafe.String(&cell[0], len(cell)), 64)
	if err != nil {
		return buf, fmt.Errorf("cannot parse %q as a number", cell)
	}
	if prec < 0 {
		return append(buf, cell...), nil
	}
	return AppendValue(buf, Float, v, prec), nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isNegativeZero reports cells like "-0.0", whose formatting keeps the sign; they take the
// slow path so the result is exactly what formatting the value prints.
func isNegativeZero(cell []byte) bool {
	if cell[0] != '-' {
		return false
	}
	for _, c := range cell[1:] {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}
