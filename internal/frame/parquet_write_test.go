package frame

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// The bytes of a file do not depend on how many goroutines encode it.
func TestParquetWriteDeterministic(t *testing.T) {
	n := ParquetRowGroupRows*3 + 101
	if testing.Short() {
		n = pqPageRows*2 + 101
	}
	f := wide(n)
	opt := WriteOptions{Precision: 6, TimePos: 1}
	var first []byte
	for _, workers := range []int{1, 2, 7} {
		cols, schema, err := parquetLayout(f, opt)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		pw := newParquetWriter(&buf, schema)
		pw.workers = workers
		if err := writeRowGroups(pw, f.Time, cols, opt.Precision); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = buf.Bytes()
			var again bytes.Buffer
			if err := writeParquet(&again, f, opt); err != nil || !bytes.Equal(again.Bytes(), first) {
				t.Fatalf("writeParquet differs from the 1-worker file (%v)", err)
			}
		} else if !bytes.Equal(buf.Bytes(), first) {
			t.Fatalf("%d workers write other bytes than 1", workers)
		}
	}
}

// The page encoder rounds exactly as RoundDecimals (the CSV text read back) at every precision.
func TestDoublePageRoundsAsRoundDecimals(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vals := []float64{0, math.Copysign(0, -1), -1e-7, 5e-7, 0.0000005, 1.0 / 3, 0.0078125, -0.0078125, 2.5, -2.5, 0.125, 1e15, 4503599627370495.5, 1e300, -4.5e-310, math.MaxFloat64}
	for i := range 5000 {
		vals = append(vals, float64(r.IntN(1<<20)-1<<19)/float64(int(1)<<(r.IntN(20))), r.NormFloat64()*math.Pow(10, float64(r.IntN(24)-12)), float64(i)*1e-6+0.5e-6)
	}
	var e pqEncoder
	for prec := -1; prec <= 17; prec++ {
		vals := slices.Clone(vals)
		// Values next to the ties of this precision, and where y+0.5 crosses a power of two.
		for _, y := range []float64{0.5, 1.5, 2.5, 1023.5, 0.49999999999999994, 1<<51 - 0.5, 1<<52 - 1, 1 << 52} {
			for _, dir := range []int{-1, 1} {
				x := y / math.Pow(10, float64(max(prec, 0)))
				for range 3 {
					vals = append(vals, x, -x)
					x = math.Nextafter(x, math.Inf(dir))
				}
			}
		}
		e.doublePage(vals, prec)
		for i, x := range vals {
			if got, want := e.floats[i], RoundDecimals(x, prec); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("prec %d: %v rounds to %v, want %v", prec, x, got, want)
			}
		}
	}
}

// Every column chunk's statistics, column index and offset index describe its pages: written
// whole, and after rows were appended (copied row groups keep theirs, moved to the new offsets).
func TestParquetStatisticsAndPageIndex(t *testing.T) {
	n := ParquetRowGroupRows + pqPageRows + 50
	if testing.Short() {
		n = pqPageRows*2 + 50
	}
	f := wide(n)
	x, _ := f.Col("close")
	for i := range pqPageRows + 10 { // a page of nulls only, then a run into the next
		x[i] = math.NaN()
	}
	lab, _ := f.Col("high_20")
	for i := range lab {
		lab[i] = 1 // never false: min = max = true
	}
	dir := t.TempDir()
	opt := WriteOptions{Precision: 3}
	whole, pieces := filepath.Join(dir, "whole.parquet"), filepath.Join(dir, "pieces.parquet")
	if err := WriteFile(whole, f, opt); err != nil {
		t.Fatal(err)
	}
	cut := n - 40
	if err := WriteFile(pieces, f.Slice(0, cut), opt); err != nil {
		t.Fatal(err)
	}
	if err := AppendRows(pieces, f.Slice(cut, n), opt); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{whole, pieces} {
		checkPageIndex(t, p, f, opt.Precision)
	}
}

// checkPageIndex compares the metadata of the file at path with what f's values (rounded to
// prec decimals) say: per column chunk and per page, nulls, min and max; page offsets tile
// each chunk.
func checkPageIndex(t *testing.T, path string, f *Frame, prec int) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	md := pf.Metadata()
	ncol := len(md.Schema) - 1
	cis, ois := pf.ColumnIndexes(), pf.OffsetIndexes()
	if len(cis) != len(md.RowGroups)*ncol || len(ois) != len(cis) {
		t.Fatalf("%s: %d column and %d offset indexes for %d chunks", path, len(cis), len(ois), len(md.RowGroups)*ncol)
	}
	first := 0
	for g, rg := range md.RowGroups {
		for c, cc := range rg.Columns {
			m := cc.MetaData
			name := m.PathInSchema[0]
			vals := chunkValues(f, name, first, first+int(rg.NumRows), prec)
			wantMin, wantMax, nulls := bounds(vals, m.Type)
			if m.Statistics.NullCount != int64(nulls) || !bytes.Equal(m.Statistics.MinValue, wantMin) || !bytes.Equal(m.Statistics.MaxValue, wantMax) {
				t.Errorf("%s: row group %d %s: statistics %v, want nulls %d min %v max %v", path, g, name, m.Statistics, nulls, wantMin, wantMax)
			}
			ci, oi := cis[g*ncol+c], ois[g*ncol+c]
			locs := oi.PageLocations
			if len(locs) == 0 || locs[0].Offset != m.DataPageOffset || len(ci.NullPages) != len(locs) {
				t.Fatalf("%s: row group %d %s: %d pages, first at %d, data at %d", path, g, name, len(locs), locs[0].Offset, m.DataPageOffset)
			}
			end := m.DataPageOffset
			for k, l := range locs {
				if l.Offset != end {
					t.Errorf("%s: %s page %d at %d, want %d", path, name, k, l.Offset, end)
				}
				end += int64(l.CompressedPageSize)
				hi := int(rg.NumRows)
				if k+1 < len(locs) {
					hi = int(locs[k+1].FirstRowIndex)
				}
				pmin, pmax, pnull := bounds(vals[l.FirstRowIndex:hi], m.Type)
				if ci.NullCounts[k] != int64(pnull) || ci.NullPages[k] != (pmin == nil) ||
					!bytes.Equal(ci.MinValues[k], pmin) || !bytes.Equal(ci.MaxValues[k], pmax) {
					t.Errorf("%s: %s page %d: index nulls %d null page %v min %v max %v, want %d %v %v", path, name, k, ci.NullCounts[k], ci.NullPages[k], ci.MinValues[k], ci.MaxValues[k], pnull, pmin, pmax)
				}
			}
			if end != m.DataPageOffset+m.TotalCompressedSize {
				t.Errorf("%s: %s pages end at %d, the chunk at %d", path, name, end, m.DataPageOffset+m.TotalCompressedSize)
			}
			if name == "timestamp" && ci.BoundaryOrder != format.Ascending {
				t.Errorf("%s: time pages are %v", path, ci.BoundaryOrder)
			}
		}
		first += int(rg.NumRows)
	}
}

// chunkValues returns rows [a, b) of column name as the file holds them: PLAIN-encoded bytes,
// nil for nulls.
func chunkValues(f *Frame, name string, a, b, prec int) [][]byte {
	out := make([][]byte, 0, b-a)
	if name == "timestamp" {
		for _, t := range f.Time[a:b] {
			out = append(out, binary.LittleEndian.AppendUint64(nil, uint64(t*1e6)))
		}
		return out
	}
	d, _ := f.Col(name)
	for _, v := range d[a:b] {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			out = append(out, nil)
		case f.Kind(name) == Bool:
			out = append(out, []byte{byte(min(v, 1))})
		case f.Kind(name) == Int:
			out = append(out, binary.LittleEndian.AppendUint64(nil, uint64(int64(v))))
		default:
			out = append(out, binary.LittleEndian.AppendUint64(nil, math.Float64bits(RoundDecimals(v, prec))))
		}
	}
	return out
}

// bounds returns the least and greatest non-null values of a column of physical type kind,
// zero bounds of doubles written as the format asks (min -0, max +0), and the number of nulls.
func bounds(vals [][]byte, kind format.Type) (lo, hi []byte, nulls int) {
	less := func(a, b []byte) bool {
		if kind == format.Boolean {
			return a[0] < b[0]
		}
		x, y := binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)
		switch kind {
		case format.Int64:
			return int64(x) < int64(y)
		}
		return math.Float64frombits(x) < math.Float64frombits(y)
	}
	for _, v := range vals {
		if v == nil {
			nulls++
			continue
		}
		if lo == nil || less(v, lo) {
			lo = v
		}
		if hi == nil || less(hi, v) {
			hi = v
		}
	}
	if kind == format.Double && lo != nil {
		if math.Float64frombits(binary.LittleEndian.Uint64(lo)) == 0 {
			lo = binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Copysign(0, -1)))
		}
		if math.Float64frombits(binary.LittleEndian.Uint64(hi)) == 0 {
			hi = binary.LittleEndian.AppendUint64(nil, 0)
		}
	}
	return lo, hi, nulls
}
