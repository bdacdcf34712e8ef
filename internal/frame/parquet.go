package frame

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ParquetExt selects Apache Parquet, the columnar format pandas, polars and DuckDB open.
//
// tradectl writes the layout pandas (pyarrow) writes: the time column as INT64
// TIMESTAMP(NANOS, isAdjustedToUTC=true), Float columns as optional DOUBLE, Int columns as
// optional INT64, Bool columns as optional BOOLEAN, missing values (NaN, and ±Inf, which the
// CSV files also write as missing) as nulls, snappy pages with min/max statistics and a page
// index, and row groups of ParquetRowGroupRows rows; times and integers are delta-packed and
// doubles byte-stream-split, which halves the size of the CSV files. Reading maps nulls and
// NaN values both to NaN, so a frame round-trips exactly.
const ParquetExt = ".parquet"

// ParquetRowGroupRows is the number of rows per row group written: about 45 days of 1-minute
// bars, so a reader streams a file in pieces of a few MB per column.
const ParquetRowGroupRows = 1 << 16

// ErrType is wrapped when a file's column has a type the frame cannot hold.
var ErrType = errors.New("wrong column type")

// IsParquet reports whether path names a Parquet file.
func IsParquet(path string) bool { return strings.HasSuffix(path, ParquetExt) }

// pqColumn is one column as it is written: its frame data and the Parquet type chosen for it.
type pqColumn struct {
	name  string
	kind  Kind // Int is written as INT64 only when every finite value is a whole number
	data  []float64
	isInt bool
	src   int // leaf of the file the column's chunks are copied from (JoinParquet); -1: encoded
}

// orderedGroup is a schema group whose fields keep the frame's column order (parquet.Group
// sorts them by name, which would scramble the file's columns for other tools).
type orderedGroup struct {
	parquet.Group
	order []string
}

// Fields returns the group's fields in the frame's order.
func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	pos := make(map[string]int, len(g.order))
	for i, n := range g.order {
		pos[n] = i
	}
	slices.SortFunc(fields, func(a, b parquet.Field) int { return pos[a.Name()] - pos[b.Name()] })
	return fields
}

// writeParquet writes f to w. Float values are first rounded to opt.Precision decimals exactly
// as the CSV text would be (when opt.Precision >= 0), so a CSV and a Parquet run of the
// pipeline compute on identical numbers.
func writeParquet(w io.Writer, f *Frame, opt WriteOptions) error {
	cols, schema, err := parquetLayout(f, opt)
	if err != nil {
		return err
	}
	pw := newParquetWriter(w, schema)
	if err := writeRowGroups(pw, f.Time, cols, opt.Precision); err != nil {
		return err
	}
	return pw.Close()
}

// pqNode chooses the Parquet type of a frame column.
func pqNode(c Column) (pqColumn, parquet.Node) {
	pc := pqColumn{name: c.Name, kind: c.Kind, data: c.Data, isInt: c.Kind == Int && allWhole(c.Data), src: -1}
	switch {
	case c.Kind == Bool:
		return pc, parquet.Optional(parquet.Leaf(parquet.BooleanType))
	case pc.isInt:
		return pc, parquet.Optional(parquet.Encoded(parquet.Int(64), &parquet.DeltaBinaryPacked))
	}
	return pc, parquet.Optional(parquet.Encoded(parquet.Leaf(parquet.DoubleType), &parquet.ByteStreamSplit))
}

// parquetLayout chooses each column's Parquet type and the schema, in file order (the time
// column at opt.TimePos).
func parquetLayout(f *Frame, opt WriteOptions) ([]pqColumn, *parquet.Schema, error) {
	tcol := opt.timeColumn()
	tp := min(max(opt.TimePos, 0), len(f.cols))
	cols := make([]pqColumn, 0, len(f.cols)+1)
	group := parquet.Group{tcol: parquet.Encoded(parquet.Timestamp(parquet.Nanosecond), &parquet.DeltaBinaryPacked)}
	for k, c := range f.cols {
		if k == tp {
			cols = append(cols, pqColumn{name: tcol, src: -1})
		}
		if c.Name == tcol {
			return nil, nil, fmt.Errorf("column %q has the name of the time column", c.Name)
		}
		pc, node := pqNode(c)
		group[c.Name] = node
		cols = append(cols, pc)
	}
	if tp >= len(f.cols) {
		cols = append(cols, pqColumn{name: tcol, src: -1})
	}
	order := make([]string, len(cols))
	for i, c := range cols {
		order[i] = c.name
	}
	return cols, parquet.NewSchema("schema", orderedGroup{Group: group, order: order}), nil
}

// allWhole reports whether every finite value is a whole number that int64 holds exactly.
func allWhole(d []float64) bool {
	for _, v := range d {
		if v == v && !math.IsInf(v, 0) && (v != math.Trunc(v) || math.Abs(v) >= 1<<53) {
			return false
		}
	}
	return true
}

var valueBufs = sync.Pool{New: func() any { b := make([]parquet.Value, 4096); return &b }}

// pqSource is one column of a Parquet file selected for reading.
type pqSource struct {
	name  string
	leaf  int
	kind  Kind
	node  *parquet.Column
	scale int64 // time column: divisor from the file's unit to milliseconds
}

// ParquetColumns returns the names of a Parquet file's top-level columns, in file order.
func ParquetColumns(path string) ([]string, error) {
	pf, fh, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var names []string
	for _, c := range pf.Root().Columns() {
		names = append(names, c.Name())
	}
	return names, nil
}

func openParquet(path string) (*parquet.File, *os.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	if st.Size() == 0 {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: %w: not a readable Parquet file (truncated?): %v", path, ErrParse, err)
	}
	return pf, fh, nil
}

// ReadParquet reads a Parquet file into a frame, decoding only the selected columns
// (opt.Columns, opt.Optional; all when opt.Columns is nil). Nulls and NaN become NaN.
func ReadParquet(path string, opt ReadOptions) (_ *Frame, err error) {
	defer recoverDamaged(path, &err)
	pf, fh, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return readParquetRows(pf, path, opt, pf.RowGroups())
}

// recoverDamaged turns a decoder panic (a damaged file can make it index out of range) into
// an error naming the file.
func recoverDamaged(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %w: damaged Parquet file: %v", path, ErrParse, r)
	}
}

// readParquetRows decodes the selected columns of the given row groups of pf.
func readParquetRows(pf *parquet.File, path string, opt ReadOptions, groups []parquet.RowGroup) (*Frame, error) {
	timeSrc, srcs, err := parquetSources(pf, path, opt)
	if err != nil {
		return nil, err
	}
	rows := 0
	for _, rg := range groups {
		rows += int(rg.NumRows())
	}
	times := make([]int64, 0, rows)
	data := columnBlock(len(srcs), rows)
	for g, rg := range groups {
		chunks := rg.ColumnChunks()
		if times, err = readTimeChunk(chunks[timeSrc.leaf], timeSrc, times); err != nil {
			return nil, fmt.Errorf("%s: column %q: row group %d: %w", path, timeSrc.name, g, err)
		}
		// The columns decode in parallel, each into its own slice.
		errs := make([]error, len(srcs))
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
		for i, s := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				defer recoverDamaged(path, &errs[i])
				if data[i], errs[i] = readChunk(chunks[s.leaf], s, data[i]); errs[i] != nil {
					errs[i] = fmt.Errorf("%s: column %q: row group %d: %w", path, s.name, g, errs[i])
				} else if len(data[i]) != len(times) {
					errs[i] = fmt.Errorf("%s: column %q: %w: row group %d has %d values, the time column %d", path, s.name, ErrParse, g, len(data[i]), len(times))
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	for i := 1; i < len(times); i++ {
		if times[i] <= times[i-1] {
			what := "duplicate"
			if times[i] < times[i-1] {
				what = "unsorted"
			}
			return nil, fmt.Errorf("%s: row %d: %w: %s timestamp %s after %s", path, i+1, ErrUnsorted, what, FormatTime(times[i]), FormatTime(times[i-1]))
		}
	}
	f := New(times)
	for i, s := range srcs {
		if err := f.Set(s.name, s.kind, data[i]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// columnBlock returns n empty columns of capacity rows, carved from one allocation backed by
// huge pages where the system allows (see adviseHuge).
func columnBlock(n, rows int) [][]float64 {
	block := makeHuge(n * rows)
	data := make([][]float64, n)
	for i := range data {
		data[i] = block[i*rows : i*rows : (i+1)*rows]
	}
	return data
}

// parquetSources resolves the time column and the selected data columns of pf.
func parquetSources(pf *parquet.File, path string, opt ReadOptions) (pqSource, []pqSource, error) {
	byName := map[string]*parquet.Column{}
	var all []string
	for _, c := range pf.Root().Columns() {
		byName[c.Name()] = c
		all = append(all, c.Name())
	}
	tcol := opt.timeColumn()
	tc, ok := byName[tcol]
	if !ok {
		return pqSource{}, nil, fmt.Errorf("%s: %w %q (time column)", path, ErrMissingColumn, tcol)
	}
	timeSrc, err := timeSource(tc)
	if err != nil {
		return pqSource{}, nil, fmt.Errorf("%s: column %q: %w", path, tcol, err)
	}
	var names []string
	if opt.Columns == nil {
		for _, n := range all {
			if n != tcol && !strings.HasPrefix(n, "__index_level_") {
				names = append(names, n)
			}
		}
	} else {
		for _, n := range opt.Columns {
			if _, ok := byName[n]; !ok {
				return pqSource{}, nil, fmt.Errorf("%s: %w %q", path, ErrMissingColumn, n)
			}
			names = append(names, n)
		}
		for _, n := range opt.Optional {
			if _, ok := byName[n]; ok {
				names = append(names, n)
			}
		}
	}
	var srcs []pqSource
	seen := map[string]bool{tcol: true}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		s, err := dataSource(byName[n])
		if err != nil {
			return pqSource{}, nil, fmt.Errorf("%s: column %q: %w", path, n, err)
		}
		srcs = append(srcs, s)
	}
	return timeSrc, srcs, nil
}

func timeSource(c *parquet.Column) (pqSource, error) {
	if !c.Leaf() || c.Repeated() {
		return pqSource{}, fmt.Errorf("%w: want a timestamp, the file has a nested or repeated column", ErrType)
	}
	s := pqSource{name: c.Name(), leaf: c.Index(), node: c}
	var ts *format.TimestampType
	if lt := c.Type().LogicalType(); lt != nil {
		ts, _ = lt.Value.(*format.TimestampType)
	}
	if c.Type().Kind() != parquet.Int64 || ts == nil || ts.Unit.Value == nil {
		return s, fmt.Errorf("%w: want a timestamp (INT64 TIMESTAMP), the file has %s", ErrType, c.Type())
	}
	d := ts.Unit.Value.Duration()
	if d <= 0 || d > time.Millisecond {
		return s, fmt.Errorf("%w: unsupported timestamp unit %s", ErrType, ts.Unit.Value)
	}
	s.scale = int64(time.Millisecond / d)
	return s, nil
}

func dataSource(c *parquet.Column) (pqSource, error) {
	s := pqSource{name: c.Name(), leaf: c.Index(), node: c}
	if !c.Leaf() || c.Repeated() {
		return s, fmt.Errorf("%w: want a number or boolean, the file has a nested or repeated column", ErrType)
	}
	lt := c.Type().LogicalType()
	switch c.Type().Kind() {
	case parquet.Double, parquet.Float:
		s.kind = Float
	case parquet.Int64, parquet.Int32:
		if lt != nil && lt.Value != nil {
			if _, isInt := lt.Value.(*format.IntType); !isInt {
				return s, fmt.Errorf("%w: want a number or boolean, the file has %s", ErrType, c.Type())
			}
		}
		s.kind = Int
	case parquet.Boolean:
		s.kind = Bool
	default:
		return s, fmt.Errorf("%w: want a number or boolean, the file has %s", ErrType, c.Type())
	}
	return s, nil
}

// eachPage calls fn with every page of a column chunk, releasing each page after it.
func eachPage(cc parquet.ColumnChunk, fn func(p parquet.Page) error) error {
	pages := cc.Pages()
	defer pages.Close()
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrParse, err)
		}
		err = fn(p)
		parquet.Release(p)
		if err != nil {
			return err
		}
	}
}

// readTimeChunk appends a time column chunk's values, in milliseconds, to dst.
func readTimeChunk(cc parquet.ColumnChunk, s pqSource, dst []int64) ([]int64, error) {
	var tmp []float64
	err := eachPage(cc, func(p parquet.Page) error {
		if p.NumNulls() > 0 {
			return fmt.Errorf("%w: the time column has an empty value", ErrParse)
		}
		if p.Dictionary() == nil {
			d := p.Data()
			for _, v := range d.Int64() {
				dst = append(dst, floorDiv(v, s.scale))
			}
			return nil
		}
		var err error
		if tmp, err = appendValues(tmp[:0], p.Values()); err != nil {
			return fmt.Errorf("%w: %v", ErrParse, err)
		}
		for _, v := range tmp { // whole numbers below 2^53: exact
			dst = append(dst, floorDiv(int64(v), s.scale))
		}
		return nil
	})
	return dst, err
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// readChunk appends a data column chunk's values to dst, NaN for nulls.
func readChunk(cc parquet.ColumnChunk, s pqSource, dst []float64) ([]float64, error) {
	err := eachPage(cc, func(p parquet.Page) error {
		if p.Dictionary() == nil && s.kind != Bool {
			dst = appendPage(dst, p)
			return nil
		}
		var err error
		if dst, err = appendValues(dst, p.Values()); err != nil {
			return fmt.Errorf("%w: %v", ErrParse, err)
		}
		return nil
	})
	return dst, err
}

// appendPage decodes a plain numeric page straight from its value buffer.
func appendPage(dst []float64, p parquet.Page) []float64 {
	def := p.DefinitionLevels()
	d := p.Data()
	// d is addressable (its accessors have pointer receivers).
	var get func(j int) float64
	switch p.Type().Kind() {
	case parquet.Double:
		vs := d.Double()
		if len(def) == 0 || p.NumNulls() == 0 {
			return append(dst, vs...)
		}
		get = func(j int) float64 { return vs[j] }
	case parquet.Float:
		vs := d.Float()
		get = func(j int) float64 { return float64(vs[j]) }
	case parquet.Int64:
		vs := d.Int64()
		get = func(j int) float64 { return float64(vs[j]) }
	default: // Int32
		vs := d.Int32()
		get = func(j int) float64 { return float64(vs[j]) }
	}
	if len(def) == 0 {
		for j := range p.NumValues() {
			dst = append(dst, get(int(j)))
		}
		return dst
	}
	j := 0
	for _, l := range def {
		if l == 0 {
			dst = append(dst, math.NaN())
		} else {
			dst = append(dst, get(j))
			j++
		}
	}
	return dst
}

// appendValues decodes any page (dictionary-encoded, boolean) value by value.
func appendValues(dst []float64, vr parquet.ValueReader) ([]float64, error) {
	buf := valueBufs.Get().(*[]parquet.Value)
	defer valueBufs.Put(buf)
	for {
		n, err := vr.ReadValues(*buf)
		for _, v := range (*buf)[:n] {
			switch {
			case v.IsNull():
				dst = append(dst, math.NaN())
			case v.Kind() == parquet.Boolean:
				if v.Boolean() {
					dst = append(dst, 1)
				} else {
					dst = append(dst, 0)
				}
			case v.Kind() == parquet.Double:
				dst = append(dst, v.Double())
			case v.Kind() == parquet.Float:
				dst = append(dst, float64(v.Float()))
			case v.Kind() == parquet.Int64:
				dst = append(dst, float64(v.Int64()))
			default:
				dst = append(dst, float64(v.Int32()))
			}
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}
