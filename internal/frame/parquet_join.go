package frame

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// JoinParquet writes to w a Parquet file of the columns named in header (the time column
// among them, placed where header names it): each from add when add has it, otherwise from
// the Parquet file src, rows [skip, skip+add.Len()) of it, whose times must equal add's. It
// is JoinCSV for Parquet: a step loads only the columns it computes with and still writes
// every input column.
//
// When those rows are all of src (skip 0) and src records that its values were written with
// at most opt.Precision decimals (pqDecimalsKey; any precision when opt.Precision < 0), src's
// column chunks are copied without being decoded or encoded again, in src's row groups: the
// values are the ones re-rounding would give. Otherwise the columns are read and encoded.
func JoinParquet(w io.Writer, src string, add *Frame, skip int, header []string, opt WriteOptions) error {
	_, err := joinParquet(w, src, add, skip, header, opt)
	return err
}

// joinParquet is JoinParquet; it also returns the number of columns copied from src.
func joinParquet(w io.Writer, src string, add *Frame, skip int, header []string, opt WriteOptions) (copied int, err error) {
	defer recoverDamaged(src, &err)
	fh, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		return 0, fmt.Errorf("%s: %w: not a readable Parquet file (truncated?): %v", src, ErrParse, err)
	}
	tcol := opt.timeColumn()
	if !slices.Contains(header, tcol) {
		return 0, fmt.Errorf("%s: %w %q (time column) in the columns to write", src, ErrMissingColumn, tcol)
	}
	var need []string // the columns taken from src
	for _, n := range header {
		if n != tcol && !add.Has(n) {
			need = append(need, n)
		}
	}
	copyChunks := skip == 0 && pf.NumRows() == int64(add.Len()) && copyableDecimals(fileDecimals(pf), opt.Precision)
	ropt := ReadOptions{TimeColumn: tcol, Columns: need}
	if copyChunks {
		ropt.Columns = []string{} // the times only: they must match add's
	}
	in, err := readParquetRows(pf, src, ropt, pf.RowGroups())
	if err != nil {
		return 0, err
	}
	if skip < 0 || skip+add.Len() > in.Len() {
		return 0, fmt.Errorf("%s: %w: rows [%d, %d) asked, the file has %d", src, ErrLength, skip, skip+add.Len(), in.Len())
	}
	in = in.Slice(skip, skip+add.Len())
	for i, t := range add.Time {
		if in.Time[i] != t {
			return 0, fmt.Errorf("%s: row %d: %w: time %s, the rows to join have %s", src, skip+i+1, ErrParse, FormatTime(in.Time[i]), FormatTime(t))
		}
	}
	if copyChunks {
		if n, ok, err := joinCopy(w, pf, add, header, opt); ok || err != nil {
			return n, err
		}
		if in, err = readParquetRows(pf, src, ReadOptions{TimeColumn: tcol, Columns: need}, pf.RowGroups()); err != nil {
			return 0, err
		}
	}
	out := New(add.Time)
	for _, n := range header {
		from := add
		if !add.Has(n) {
			from = in
		}
		if n == tcol {
			continue
		}
		d, err := from.Col(n)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", src, err)
		}
		if err := out.Set(n, from.Kind(n), d); err != nil {
			return 0, err
		}
	}
	opt.TimePos = slices.Index(header, tcol)
	return 0, writeParquet(w, out, opt)
}

// copyableDecimals reports whether values written with have decimals (pqDecimalsKey) are
// what rounding them to want decimals gives.
func copyableDecimals(have, want int) bool {
	return have >= -1 && (want < 0 || have >= 0 && have <= want)
}

// joinCopy writes header's columns, add's encoded and the others copied from pf's chunks,
// in pf's row groups, and returns the number of copied columns. It does nothing (ok false)
// when a column of pf is not a plain leaf.
func joinCopy(w io.Writer, pf *parquet.File, add *Frame, header []string, opt WriteOptions) (copied int, ok bool, err error) {
	tcol := opt.timeColumn()
	byName := map[string]*parquet.Column{}
	for _, c := range pf.Root().Columns() {
		byName[c.Name()] = c
	}
	group := parquet.Group{}
	cols := make([]pqColumn, 0, len(header))
	for _, n := range header {
		if n != tcol && add.Has(n) {
			d, _ := add.Col(n)
			pc, node := pqNode(Column{Name: n, Kind: add.Kind(n), Data: d})
			group[n], cols = node, append(cols, pc)
			continue
		}
		c := byName[n]
		if c == nil || !c.Leaf() || c.Repeated() {
			return 0, false, nil
		}
		group[n], cols = c, append(cols, pqColumn{name: n, src: c.Index()})
	}
	starts := []int{0}
	for _, rg := range pf.RowGroups() {
		starts = append(starts, starts[len(starts)-1]+int(rg.NumRows()))
	}
	pw := newParquetWriter(w, parquet.NewSchema("schema", orderedGroup{Group: group, order: header}))
	for _, c := range cols {
		if c.src >= 0 {
			copied++
		}
	}
	if err := writeGroups(pw, add.Time, cols, starts, opt.Precision, pf); err != nil {
		return copied, true, err
	}
	return copied, true, pw.Close()
}
