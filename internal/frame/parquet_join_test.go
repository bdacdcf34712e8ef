package frame

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// JoinParquet writes the file one write of the joined frame gives (same values, kinds, column
// order, statistics and page index), copying src's chunks exactly when src's rows are all
// joined and its recorded precision is kept.
func TestJoinParquet(t *testing.T) {
	n := ParquetRowGroupRows + 300
	if testing.Short() {
		n = 3000
	}
	src := wide(n)
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "src.parquet")
	if err := WriteFile(srcPath, src, WriteOptions{Precision: 4, TimePos: 1}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	sig, trades := make([]float64, n), make([]float64, n)
	for i := range n {
		sig[i], trades[i] = r.NormFloat64()/3, float64(r.IntN(100))
	}
	sig[7] = math.NaN()
	add := New(src.Time)
	add.Set("sig", Float, sig)
	add.Set("trades", Int, trades) // replaces src's column
	header := []string{"timestamp", "close", "close_time", "high_20", "trades", "sig"}
	cases := []struct {
		name   string
		skip   int
		prec   int
		copied int // time, close, close_time, high_20
	}{
		{"src rounded to fewer decimals: copied", 0, 6, 4},
		{"exact output: copied", 0, -1, 4},
		{"src has more decimals than kept: encoded", 0, 2, 0},
		{"rows left out: encoded", 10, 6, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := WriteOptions{Precision: c.prec}
			rows := add.Slice(c.skip, n)
			var buf bytes.Buffer
			copied, err := joinParquet(&buf, srcPath, rows, c.skip, header, opt)
			if err != nil {
				t.Fatal(err)
			}
			if copied != c.copied {
				t.Errorf("%d columns copied, want %d", copied, c.copied)
			}
			out := filepath.Join(t.TempDir(), "out.parquet")
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(out, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// What writing the joined frame in one piece gives.
			in, _ := ReadFile(srcPath, ReadOptions{})
			in = in.Slice(c.skip, n)
			joined := New(rows.Time)
			for _, name := range header[1:] {
				from := in
				if rows.Has(name) {
					from = rows
				}
				d, _ := from.Col(name)
				joined.Set(name, from.Kind(name), d)
			}
			p := filepath.Join(t.TempDir(), "one.parquet")
			if err := WriteFile(p, joined, opt); err != nil {
				t.Fatal(err)
			}
			want, _ := ReadFile(p, ReadOptions{})
			assertSame(t, want, got)
			checkPageIndex(t, out, got, c.prec)
			if c.copied == 0 {
				if one, _ := os.ReadFile(p); !bytes.Equal(one, buf.Bytes()) {
					t.Error("an encoded join differs from one write of the joined frame")
				}
			}
		})
	}
	// Rows whose times are not src's are an error naming the file and the row.
	shifted := New(append([]int64(nil), src.Time...))
	shifted.Time[5]++
	shifted.Set("sig", Float, sig)
	var buf bytes.Buffer
	err := JoinParquet(&buf, srcPath, shifted, 0, header[:5], WriteOptions{Precision: 6})
	if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), srcPath) || !strings.Contains(err.Error(), "row 6") {
		t.Fatalf("shifted times: %v", err)
	}
	if err := JoinParquet(&buf, srcPath, add, 0, append(header, "volume"), WriteOptions{}); !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), `"volume"`) {
		t.Fatalf("missing column: %v", err)
	}
}
