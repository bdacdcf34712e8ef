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
	lr := &lineReader{br: bufio.NewReaderSize(fh, 1<<20)}
	hline, err := lr.next()
	if err != nil {
		return fmt.Errorf("%s: %w", src, ErrEmpty)
	}
	srcIdx := map[string]int{}
	for i, f := range splitFields(hline, nil) {
		srcIdx[string(unquote(f))] = i
	}
	nsrc := len(srcIdx)
	tIdx, ok := srcIdx[tcol]
	if !ok {
		return fmt.Errorf("%s: %w %q (time column)", src, ErrMissingColumn, tcol)
	}
	// Output plan: -1 = the time column, >= 0 = src field, < -1 = add column -(k+2).
	plan := make([]int, len(header))
	addCols := make([]Column, 0)
	for i, name := range header {
		switch {
		case name == tcol:
			plan[i] = -1
		case add.Has(name):
			d, _ := add.Col(name)
			addCols = append(addCols, Column{Name: name, Kind: add.Kind(name), Data: d})
			plan[i] = -(len(addCols) + 1)
		default:
			j, ok := srcIdx[name]
			if !ok {
				return fmt.Errorf("%s: %w %q", src, ErrMissingColumn, name)
			}
			plan[i] = j
		}
	}
	buf := make([]byte, 0, 1<<16)
	buf = append(buf, strings.Join(header, ",")...)
	buf = append(buf, '\n')
	fields := make([][]byte, 0, nsrc)
	row, k := -1, 0
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", src, lr.no+1, err)
		}
		if len(line) == 0 {
			continue
		}
		row++
		if row < skip {
			continue
		}
		if k >= add.Len() {
			return fmt.Errorf("%s: line %d: %w: more rows than were computed (the file changed while reading?)", src, lr.no, ErrParse)
		}
		fields = splitFields(line, fields[:0])
		if len(fields) != nsrc {
			return fmt.Errorf("%s: line %d: %w: %d fields, header has %d", src, lr.no, ErrParse, len(fields), nsrc)
		}
		ts, err := ParseTime(unquote(fields[tIdx]))
		if err != nil || ts != add.Time[k] {
			return fmt.Errorf("%s: line %d: %w: row does not match the computed rows (the file changed while reading?)", src, lr.no, ErrParse)
		}
		for i, p := range plan {
			if i > 0 {
				buf = append(buf, ',')
			}
			switch {
			case p == -1:
				buf = AppendTime(buf, ts)
			case p >= 0:
				if buf, err = appendCell(buf, unquote(fields[p]), opt.Precision); err != nil {
					return fmt.Errorf("%s: line %d: column %q: %w: %v", src, lr.no, header[i], ErrParse, err)
				}
			default:
				c := addCols[-p-2]
				buf = AppendValue(buf, c.Kind, c.Data[k], opt.Precision)
			}
		}
		buf = append(buf, '\n')
		k++
		if len(buf) > 1<<16-4096 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if k != add.Len() {
		return fmt.Errorf("%s: %w: %d rows after row %d, %d were computed (the file changed while reading?)", src, ErrParse, k, skip, add.Len())
	}
	_, err = w.Write(buf)
	return err
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
		intPart := bytes.TrimLeft(cell[:dot], "+-")
		if len(frac) <= prec && len(intPart) <= 9 && len(cell[:dot])-len(intPart) <= 1 && isDigits(frac) && isDigits(intPart) && !isNegativeZero(cell) {
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
