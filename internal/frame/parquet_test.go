package frame

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// wide returns a frame of n rows with every kind, NaN in each column, ±Inf, -0 and extremes.
func wide(n int) *Frame {
	r := rand.New(rand.NewPCG(7, 9))
	times := make([]int64, n)
	for i := range times {
		times[i] = 1704067200000 + int64(i)*60000
	}
	f := New(times)
	x, tr, lab, ct := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		x[i] = r.NormFloat64() * 1e4
		tr[i] = float64(r.IntN(5000))
		lab[i] = float64(r.IntN(2))
		ct[i] = float64(times[i] + 59999)
		if i%7 == 3 {
			x[i] = math.NaN()
		}
		if i%11 == 5 {
			tr[i], lab[i] = math.NaN(), math.NaN()
		}
	}
	if n > 4 {
		x[1], x[2], x[4] = math.Copysign(0, -1), math.MaxFloat64, 5e-324
	}
	f.Set("close", Float, x)
	f.Set("close_time", Int, ct)
	f.Set("trades", Int, tr)
	f.Set("high_20", Bool, lab)
	return f
}

func TestParquetRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 3, ParquetRowGroupRows*2 + 17} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.parquet")
			f := wide(n)
			if err := WriteFile(p, f, WriteOptions{Precision: -1}); err != nil {
				t.Fatal(err)
			}
			g, err := ReadFile(p, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, f, g)
			if n > 4 {
				c, _ := g.Col("close")
				if !math.Signbit(c[1]) || c[2] != math.MaxFloat64 || c[4] != 5e-324 {
					t.Errorf("extremes changed: %v %v %v", c[1], c[2], c[4])
				}
			}
		})
	}
}

func TestParquetInfIsNull(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.parquet")
	f := New([]int64{0, 60000, 120000})
	f.Set("x", Float, []float64{math.Inf(1), 1.5, math.Inf(-1)})
	if err := WriteFile(p, f, WriteOptions{Precision: -1}); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := g.Col("x")
	if !math.IsNaN(x[0]) || x[1] != 1.5 || !math.IsNaN(x[2]) {
		t.Fatalf("got %v, want [NaN 1.5 NaN] (±Inf is written as missing, as in CSV)", x)
	}
}

// A CSV and a Parquet file written with the same precision read back as the same numbers.
func TestParquetPrecisionMatchesCSV(t *testing.T) {
	dir := t.TempDir()
	f := wide(5000)
	x, _ := f.Col("close")
	for i := 0; i < 600; i++ { // exact decimal ties of 6 digits (k/128) and values near them
		x[i] = float64(i-300)/128 + float64(i%3-1)*1e-12
	}
	f.Set("frac", Int, append([]float64{2.5}, make([]float64, f.Len()-1)...)) // an Int column holding a fraction
	for _, prec := range []int{2, 6} {                                        // (at 0 decimals CSV reads whole numbers back as Int columns)
		opt := WriteOptions{Precision: prec, TimePos: 2}
		pc, pp := filepath.Join(dir, "a.csv"), filepath.Join(dir, "a.parquet")
		if err := WriteFile(pc, f, opt); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(pp, f, opt); err != nil {
			t.Fatal(err)
		}
		a, err := ReadFile(pc, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := ReadFile(pp, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind("frac") != b.Kind("frac") {
			t.Errorf("prec %d: frac kind %v vs %v", prec, a.Kind("frac"), b.Kind("frac"))
		}
		assertSame(t, a, b)
		names, err := ParquetColumns(pp)
		if err != nil || strings.Join(names, ",") != "close,close_time,timestamp,trades,high_20,frac" {
			t.Fatalf("column order %v %v", names, err)
		}
	}
}

func TestRoundDecimalsAndAppendFixed(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, math.Copysign(0, -1), -1e-7, 5e-7, 0.0000005, 1.0 / 3, 0.0078125, -0.0078125, 2.5, 1e15, 1e300, -4.5e-310}
	for i := range 20000 {
		vals = append(vals, float64(r.IntN(1<<20)-1<<19)/float64(int(1)<<(r.IntN(20))), r.NormFloat64()*math.Pow(10, float64(r.IntN(24)-12)), float64(i)*1e-6+0.5e-6)
	}
	for _, v := range vals {
		for _, prec := range []int{0, 1, 2, 6, 8, 15, 17} {
			want, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64)
			if got := RoundDecimals(v, prec); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("RoundDecimals(%v, %d) = %v, want %v", v, prec, got, want)
			}
			if got, want := string(appendFixed([]byte("x"), v, prec)), "x"+strconv.FormatFloat(v, 'f', prec, 64); got != want {
				t.Fatalf("appendFixed(%v, %d) = %s, want %s", v, prec, got, want)
			}
		}
	}
	if got := RoundDecimals(1.23456789, -1); got != 1.23456789 {
		t.Fatalf("prec -1 changed the value: %v", got)
	}
}

func TestParquetSelectColumns(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.parquet")
	if err := WriteFile(p, wide(10), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(p, ReadOptions{Columns: []string{"high_20", "close"}, Optional: []string{"nope", "trades"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.Names(), ",") != "high_20,close,trades" || g.Kind("high_20") != Bool || g.Kind("trades") != Int {
		t.Fatalf("selected %v", g.Names())
	}
	_, err = ReadFile(p, ReadOptions{Columns: []string{"close", "volume"}})
	if !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), `"volume"`) {
		t.Fatalf("missing column: %v", err)
	}
}

// The file layout is pandas': UTC nanosecond timestamps, optional DOUBLE/INT64/BOOLEAN,
// snappy, statistics, several row groups.
func TestParquetLayout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.parquet")
	if err := WriteFile(p, wide(ParquetRowGroupRows+5), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	fh, _ := os.Open(p)
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"timestamp": "INT64", "close": "DOUBLE", "close_time": "INT64", "trades": "INT64", "high_20": "BOOLEAN"}
	for _, c := range pf.Root().Columns() {
		if got := c.Type().Kind().String(); got != want[c.Name()] {
			t.Errorf("%s: physical type %s, want %s", c.Name(), got, want[c.Name()])
		}
		if c.Optional() != (c.Name() != "timestamp") {
			t.Errorf("%s: optional=%v", c.Name(), c.Optional())
		}
	}
	ts, _ := pf.Root().Column("timestamp").Type().LogicalType().Value.(*format.TimestampType)
	if ts == nil || !ts.IsAdjustedToUTC || ts.Unit.Value.String() != "NANOS" {
		t.Errorf("time logical type %v", pf.Root().Column("timestamp").Type().LogicalType())
	}
	md := pf.Metadata()
	if len(md.RowGroups) != 2 || md.RowGroups[0].NumRows != ParquetRowGroupRows {
		t.Fatalf("row groups: %d", len(md.RowGroups))
	}
	for _, cc := range md.RowGroups[0].Columns {
		m := cc.MetaData
		if m.Codec != format.Snappy {
			t.Errorf("%v: codec %v", m.PathInSchema, m.Codec)
		}
		// Delta-packed times and integers, byte-stream-split doubles: what keeps files small.
		wantEnc := map[string]format.Encoding{"timestamp": format.DeltaBinaryPacked, "close_time": format.DeltaBinaryPacked, "close": format.ByteStreamSplit}[m.PathInSchema[0]]
		if wantEnc != 0 && !slices.Contains(m.Encoding, wantEnc) {
			t.Errorf("%v: encodings %v, want %v", m.PathInSchema, m.Encoding, wantEnc)
		}
		if len(m.Statistics.MinValue) == 0 || len(m.Statistics.MaxValue) == 0 {
			t.Errorf("%v: no min/max statistics", m.PathInSchema)
		}
	}
	// close has a NaN every 7 rows: the statistics count them as nulls.
	if nulls := md.RowGroups[0].Columns[1].MetaData.Statistics.NullCount; nulls != (ParquetRowGroupRows+3)/7 {
		t.Errorf("close null count %d", nulls)
	}
}

func TestBadParquet(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	if err := WriteFile(good, wide(100), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	// A file whose time column is a DOUBLE, and one whose "close" is a string.
	type doubleTime struct {
		Timestamp float64 `parquet:"timestamp"`
		Close     string  `parquet:"close"`
	}
	type stringClose struct {
		Timestamp int64  `parquet:"timestamp,timestamp(millisecond)"`
		Close     string `parquet:"close"`
	}
	strs := writeRows(t, filepath.Join(dir, "types.parquet"), []doubleTime{{1, "x"}})
	withTime := writeRows(t, filepath.Join(dir, "strcol.parquet"), []stringClose{{1, "x"}})
	cases := []struct {
		name   string
		path   string
		opt    ReadOptions
		want   error
		column string
	}{
		{"empty", write("empty.parquet", nil), ReadOptions{}, ErrEmpty, ""},
		{"truncated", write("trunc.parquet", b[:len(b)/2]), ReadOptions{}, ErrParse, ""},
		{"garbage", write("garbage.parquet", []byte("timestamp,close\n1,2\n")), ReadOptions{}, ErrParse, ""},
		{"missing column", good, ReadOptions{Columns: []string{"close", "volume"}}, ErrMissingColumn, `"volume"`},
		{"missing time", good, ReadOptions{TimeColumn: "time"}, ErrMissingColumn, `"time"`},
		{"time not a timestamp", strs, ReadOptions{}, ErrType, `"timestamp"`},
		{"string column", withTime, ReadOptions{Columns: []string{"close"}}, ErrType, `"close"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadFile(c.path, c.opt)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.path) || !strings.Contains(msg, c.column) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line naming the file and %s", msg, c.column)
			}
		})
	}
	// A failed write leaves the existing file as it was.
	bad := New([]int64{0})
	bad.Set("timestamp", Float, []float64{1})
	if err := WriteFile(good, bad, WriteOptions{}); err == nil {
		t.Fatal("a column named like the time column was written")
	}
	if now, _ := os.ReadFile(good); string(now) != string(b) {
		t.Fatal("the old file changed")
	}
}

// writeRows writes rows with parquet-go's struct writer and returns path.
func writeRows[T any](t *testing.T, path string, rows []T) string {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w := parquet.NewGenericWriter[T](fh)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseDecimalMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cells := []string{"0.0", "-0.000000", "+1.5", ".5", "5.", "123456789.123456", "0.000000000000001", "999999999999999.", "1.7976931348623157"}
	for range 50000 {
		cells = append(cells, strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(16)-6)), 'f', r.IntN(9), 64))
	}
	for _, c := range cells {
		want, err := strconv.ParseFloat(c, 64)
		got, ok := parseDecimal([]byte(c))
		if !ok {
			if strings.Contains(c, ".") && len(strings.Trim(c, "+-.")) <= 15 && err == nil {
				t.Errorf("parseDecimal(%q) declined a short decimal", c)
			}
			continue
		}
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseDecimal(%q) = %v, strconv %v (%v)", c, got, want, err)
		}
	}
	for _, c := range []string{"", ".", "-", "1.2.3", "1e5", "1,5", "0x1p3", "1234567890.1234567", "NaN"} {
		if _, ok := parseDecimal([]byte(c)); ok {
			t.Errorf("parseDecimal(%q) accepted", c)
		}
	}
}
