package frame

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Summary describes a table file without loading its values.
type Summary struct {
	// Header lists the columns in file order, the time column included.
	Header      []string
	Rows        int
	First, Last int64
}

// Summarize returns a table file's columns, row count and first and last row times. CSV files
// are streamed; Parquet files answer from their footer and the time column of their first and
// last row groups.
func Summarize(path, timeColumn string) (Summary, error) {
	if timeColumn == "" {
		timeColumn = DefaultTimeColumn
	}
	if !IsParquet(path) {
		s, err := SummarizeCSV(path, timeColumn)
		return Summary{Header: s.Header, Rows: s.Rows, First: s.First, Last: s.Last}, err
	}
	pf, fh, err := openParquet(path)
	if err != nil {
		return Summary{}, err
	}
	defer fh.Close()
	s := Summary{Rows: int(pf.NumRows())}
	for _, c := range pf.Root().Columns() {
		s.Header = append(s.Header, c.Name())
	}
	groups := pf.RowGroups()
	if s.Rows == 0 || len(groups) == 0 {
		return s, nil
	}
	ends := []parquet.RowGroup{groups[0]}
	if len(groups) > 1 {
		ends = append(ends, groups[len(groups)-1])
	}
	t, err := readParquetRows(pf, path, ReadOptions{TimeColumn: timeColumn, Columns: []string{}}, ends)
	if err != nil {
		return Summary{}, err
	}
	s.First, s.Last = t.Time[0], t.Time[t.Len()-1]
	return s, nil
}

// AppendRows adds the rows of add after the last row of the table file at path, which must
// hold the same columns (add may order them differently); rows must come after the file's
// last time. A Parquet file is rewritten through a temporary file, its row groups copied as
// they are (not decoded) except the last, which is merged with the new rows; a CSV file gets
// the new lines appended.
func AppendRows(path string, add *Frame, opt WriteOptions) error {
	if !IsParquet(path) {
		header, err := ReadCSVHeader(path)
		if err != nil {
			return err
		}
		tcol := opt.timeColumn()
		tp := slices.Index(header, tcol)
		sel, err := add.Select(slices.Delete(slices.Clone(header), tp, tp+1)...)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		var text []byte
		for i := range sel.Time {
			text = appendRowAt(text, sel, i, opt.Precision, tp)
		}
		return AppendCSVText(path, text)
	}
	err := WriteAtomic(path, func(w io.Writer) error { return appendParquet(w, path, add, opt) })
	if !errors.Is(err, errLayoutChanged) {
		return err
	}
	// A column changed type (a whole-number column got a fraction): rewrite the whole file.
	old, err := ReadParquet(path, ReadOptions{TimeColumn: opt.TimeColumn})
	if err != nil {
		return err
	}
	all, tp, err := concatFrames(old, add, path, opt)
	if err != nil {
		return err
	}
	opt.TimePos = tp
	return WriteFile(path, all, opt)
}

var errLayoutChanged = errors.New("the new rows need another column type")

// appendParquet writes the file at path with add's rows appended to w.
func appendParquet(w io.Writer, path string, add *Frame, opt WriteOptions) (err error) {
	defer recoverDamaged(path, &err)
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		return fmt.Errorf("%w: not a readable Parquet file (truncated?): %v", ErrParse, err)
	}
	groups := pf.RowGroups()
	if len(groups) == 0 {
		return errLayoutChanged
	}
	tail, err := readParquetRows(pf, path, ReadOptions{TimeColumn: opt.TimeColumn}, groups[len(groups)-1:])
	if err != nil {
		return err
	}
	merged, tp, err := concatFrames(tail, add, path, opt)
	if err != nil {
		return err
	}
	opt.TimePos = tp
	cols, schema, err := parquetLayout(merged, opt)
	if err != nil {
		return err
	}
	if !parquet.EqualNodes(schema, pf.Schema()) {
		return errLayoutChanged
	}
	pw := newParquetWriter(w, schema)
	for _, rg := range groups[:len(groups)-1] {
		if _, err := pw.WriteRowGroup(rg); err != nil {
			return err
		}
	}
	if err := writeRowGroups(pw, merged.Time, cols, opt.Precision); err != nil {
		return err
	}
	return pw.Close()
}

// concatFrames returns old's rows followed by add's, in old's column order, and the position
// of the time column in the file at path.
func concatFrames(old, add *Frame, path string, opt WriteOptions) (*Frame, int, error) {
	if old.Len() > 0 && add.Len() > 0 && add.Time[0] <= old.Time[old.Len()-1] {
		return nil, 0, fmt.Errorf("%s: %w: appended rows start at %s, the file ends at %s", path, ErrUnsorted, FormatTime(add.Time[0]), FormatTime(old.Time[old.Len()-1]))
	}
	if len(add.Names()) != len(old.Names()) {
		return nil, 0, fmt.Errorf("%s: appended rows have columns %v, the file %v", path, add.Names(), old.Names())
	}
	out := New(append(slices.Clone(old.Time), add.Time...))
	for _, c := range old.Columns() {
		d, err := add.Col(c.Name)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		if err := out.Set(c.Name, c.Kind, append(slices.Clone(c.Data), d...)); err != nil {
			return nil, 0, err
		}
	}
	names, err := ParquetColumns(path)
	if err != nil {
		return nil, 0, err
	}
	tcol := opt.timeColumn()
	return out, slices.Index(names, tcol), nil
}
