package frame

import (
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

// benchFrame is one real year of BTCUSDT 1m bars (time, OHLCV) plus 35 columns derived from
// the close (returns over 1..35 bars, NaN where the window starts before the data): about the
// width and null pattern of the features and matrix files.
func benchFrame(b *testing.B) *Frame {
	b.Helper()
	ks := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
	times := make([]int64, len(ks))
	cols := make([][]float64, 5)
	for i := range cols {
		cols[i] = make([]float64, len(ks))
	}
	for r, k := range ks {
		times[r] = k.OpenTime
		for i := range cols {
			cols[i][r] = k.Float(b, i)
		}
	}
	f := New(times)
	for i, n := range []string{"open", "high", "low", "close", "volume"} {
		if err := f.Set(n, Float, cols[i]); err != nil {
			b.Fatal(err)
		}
	}
	closes := cols[3]
	for lag := 1; lag <= 35; lag++ {
		ret := make([]float64, len(closes))
		for r := range ret {
			if r < lag {
				ret[r] = math.NaN()
			} else {
				ret[r] = closes[r]/closes[r-lag] - 1
			}
		}
		if err := f.Set("ret_"+string(rune('a'+lag/26))+string(rune('a'+lag%26)), Float, ret); err != nil {
			b.Fatal(err)
		}
	}
	return f
}

// BenchmarkParquetYear writes and reads the year (40 columns, 525,600 rows) as Parquet with
// 6 decimals, the way every step file is written.
func BenchmarkParquetYear(b *testing.B) {
	f := benchFrame(b)
	opt := WriteOptions{TimeColumn: "timestamp", Precision: 6}
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if err := writeParquet(io.Discard, f, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
	path := filepath.Join(b.TempDir(), "year.parquet")
	if err := WriteFile(path, f, opt); err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			g, err := ReadFile(path, ReadOptions{TimeColumn: "timestamp"})
			if err != nil {
				b.Fatal(err)
			}
			if g.Len() != f.Len() {
				b.Fatalf("read %d rows, wrote %d", g.Len(), f.Len())
			}
		}
	})
}
