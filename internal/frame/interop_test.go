package frame

import (
	"encoding/json"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

const interopDir = "../../scripts/parquet-interop"

// hyparquetView is what scripts/parquet-interop/read.mjs prints: hyparquet's view of a file.
type hyparquetView struct {
	Schema []struct {
		Name, Type, Repetition, Logical string
	}
	RowGroups []struct {
		Rows    int
		Columns []struct {
			Name, Codec string
			HasMinMax   bool
			Nulls       int
		}
	}
	Columns map[string][]json.RawMessage
}

func readWithHyparquet(t *testing.T, path string) hyparquetView {
	t.Helper()
	node := sharedtest.NodePackage(t, interopDir)
	out, err := exec.Command(node, filepath.Join(interopDir, "read.mjs"), path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("hyparquet cannot read %s: %v\n%s", path, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var v hyparquetView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A file tradectl writes is read by hyparquet (JavaScript) with the same values, nulls,
// timestamps, types and statistics.
func TestHyparquetReadsTradectl(t *testing.T) {
	n := ParquetRowGroupRows + 300
	if testing.Short() {
		n = 300
	}
	f := wide(n)
	p := filepath.Join(t.TempDir(), "tradectl.parquet")
	if err := WriteFile(p, f, WriteOptions{Precision: 6, TimePos: 1}); err != nil {
		t.Fatal(err)
	}
	v := readWithHyparquet(t, p)
	wantSchema := []string{
		`close DOUBLE OPTIONAL `,
		`timestamp INT64 REQUIRED {"type":"TIMESTAMP","isAdjustedToUTC":true,"unit":"NANOS"}`,
		`close_time INT64 OPTIONAL {"type":"INTEGER","bitWidth":64,"isSigned":true}`,
		`trades INT64 OPTIONAL {"type":"INTEGER","bitWidth":64,"isSigned":true}`,
		`high_20 BOOLEAN OPTIONAL `,
	}
	for i, s := range v.Schema {
		if got := s.Name + " " + s.Type + " " + s.Repetition + " " + s.Logical; i >= len(wantSchema) || got != wantSchema[i] {
			t.Errorf("schema %d: %q", i, got)
		}
	}
	rows := 0
	for _, g := range v.RowGroups {
		rows += g.Rows
		for _, c := range g.Columns {
			if c.Codec != "SNAPPY" || !c.HasMinMax || c.Nulls < 0 {
				t.Errorf("row group column %+v: want snappy with min/max and null count", c)
			}
		}
	}
	if rows != n || len(v.RowGroups) != (n+ParquetRowGroupRows-1)/ParquetRowGroupRows {
		t.Fatalf("%d rows in %d row groups", rows, len(v.RowGroups))
	}
	for i, raw := range v.Columns["timestamp"] {
		if ms, err := strconv.ParseInt(string(raw), 10, 64); err != nil || ms != f.Time[i] {
			t.Fatalf("timestamp[%d] = %s, want %d", i, raw, f.Time[i])
		}
	}
	for _, c := range f.Columns() {
		got := v.Columns[c.Name]
		if len(got) != n {
			t.Fatalf("%s: %d values", c.Name, len(got))
		}
		for i, x := range c.Data {
			s := strings.Trim(string(got[i]), `"`)
			var want string
			switch {
			case math.IsNaN(x):
				want = "null"
			case c.Kind == Bool:
				want = strconv.FormatBool(x != 0)
			case c.Kind == Int:
				want = strconv.FormatInt(int64(x), 10)
			}
			if want != "" {
				if s != want {
					t.Fatalf("%s[%d] = %s, want %s", c.Name, i, s, want)
				}
				continue
			}
			// Floats: the value of the CSV text with 6 decimals, to the last bit.
			g, err := strconv.ParseFloat(s, 64)
			exp, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 6, 64), 64)
			if err != nil || g != exp {
				t.Fatalf("%s[%d] = %s, want %v", c.Name, i, s, exp)
			}
		}
	}
}

// The fixture written by hyparquet-writer (scripts/parquet-interop/write-fixture.mjs, hand-chosen
// values; dictionary and BYTE_STREAM_SPLIT encodings, a NaN value, nulls, three row groups,
// legacy TIMESTAMP_MILLIS time) reads as those values.
func TestTradectlReadsHyparquetWriter(t *testing.T) {
	const path = "testdata/hyparquet-writer.parquet"
	nan := math.NaN()
	want := map[string]struct {
		kind Kind
		data []float64
	}{
		"open":    {Float, []float64{100.5, 100.5, 100.5, 101.25, 101.25, nan, 99.875, 100.5, 100.5, 101.25, 100.5, 100.5}},
		"close":   {Float, []float64{100.5, 100.5, 101.25, nan, 99.875, 100.5, 100.5, 100.5, 1e-9, -2.5, 123456789.125, 100.5}},
		"volume":  {Float, []float64{0.25, nan, 3, 4.5, nan, 6, 7, 8, 9, 10, 11, 12.75}},
		"trades":  {Int, []float64{5, 7, nan, 0, -3, 9007199254740992, 1, 2, 3, 4, 5, 6}}, // 2^53+1 is held as the nearest float64
		"count32": {Int, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12}},
		"high_20": {Bool, []float64{1, 0, nan, 1, 1, 0, 0, 0, 1, 0, 1, nan}},
	}
	f, err := ReadFile(path, ReadOptions{Columns: []string{"open", "close", "volume", "trades", "count32", "high_20"}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := int64(1709251200000) // 2024-03-01 00:00:00 UTC
	if f.Len() != 12 {
		t.Fatalf("%d rows", f.Len())
	}
	for i, ts := range f.Time {
		if ts != t0+int64(i)*60000 {
			t.Fatalf("time[%d] = %s", i, FormatTime(ts))
		}
	}
	for name, w := range want {
		got, err := f.Col(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind(name) != w.kind {
			t.Errorf("%s: kind %v, want %v", name, f.Kind(name), w.kind)
		}
		for i, x := range w.data {
			if !(got[i] == x || math.IsNaN(x) && math.IsNaN(got[i])) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], x)
			}
		}
	}
	// Loading every column meets the string column: one line naming the file and the column.
	_, err = ReadFile(path, ReadOptions{})
	if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"note"`) {
		t.Fatalf("string column: %v", err)
	}
}
