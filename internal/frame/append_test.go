package frame

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Appending rows in pieces gives the file a single write of all rows gives: the same bytes
// for CSV, the same values, columns and row groups for Parquet.
func TestAppendRowsEqualsOneWrite(t *testing.T) {
	n := ParquetRowGroupRows*2 + 17
	if testing.Short() {
		n = 3000
	}
	full := wide(n)
	cuts := []int{0, n / 3, n/3 + 1, n - 5, n}
	for _, ext := range []string{".csv", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			opt := WriteOptions{Precision: 6, TimePos: 1}
			one, pieces := filepath.Join(dir, "one"+ext), filepath.Join(dir, "pieces"+ext)
			if err := WriteFile(one, full, opt); err != nil {
				t.Fatal(err)
			}
			if err := WriteFile(pieces, full.Slice(cuts[0], cuts[1]), opt); err != nil {
				t.Fatal(err)
			}
			for k := 1; k+1 < len(cuts); k++ {
				add, _ := full.Slice(cuts[k], cuts[k+1]).Select("high_20", "trades", "close", "close_time") // another column order
				if err := AppendRows(pieces, add, opt); err != nil {
					t.Fatal(err)
				}
			}
			a, _ := ReadFile(one, ReadOptions{})
			b, err := ReadFile(pieces, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, a, b)
			s, err := Summarize(pieces, "")
			if err != nil || s.Rows != n || s.First != full.Time[0] || s.Last != full.Time[n-1] || strings.Join(s.Header, ",") != "close,timestamp,close_time,trades,high_20" {
				t.Fatalf("summary %+v %v", s, err)
			}
			if ext == ".csv" {
				x, _ := os.ReadFile(one)
				y, _ := os.ReadFile(pieces)
				if !bytes.Equal(x, y) {
					t.Fatal("appended CSV differs from one write")
				}
			}
		})
	}
}

// A whole-number column that gets a fraction changes type: the file is rewritten, not broken.
func TestAppendRowsLayoutChange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.parquet")
	f := wide(100)
	if err := WriteFile(p, f.Slice(0, 50), WriteOptions{Precision: -1}); err != nil {
		t.Fatal(err)
	}
	add := f.Slice(50, 100)
	tr, _ := add.Col("trades")
	tr[3] = 2.5
	if err := AppendRows(p, add, WriteOptions{Precision: -1}); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := g.Col("trades")
	want, _ := f.Col("trades")
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("trades[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if g.Kind("trades") != Float {
		t.Fatalf("trades kind %v", g.Kind("trades"))
	}
	// Rows that do not come after the file's end are refused and the file is kept.
	before, _ := os.ReadFile(p)
	if err := AppendRows(p, f.Slice(90, 100), WriteOptions{}); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("overlapping rows: %v", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("a refused append changed the file")
	}
}
