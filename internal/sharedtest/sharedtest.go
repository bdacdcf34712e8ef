// Package sharedtest locates the real market data in ../shared/data for tests and benchmarks.
// The data is never copied into the repository; a test that needs it fails (never skips) when
// it is missing, so CI cannot pass without it.
package sharedtest

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// DataDir returns the absolute path of ../shared/data beside the module root, or fails the test.
// TRADECTL_SHARED_DATA overrides the location.
func DataDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("TRADECTL_SHARED_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("sharedtest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("sharedtest: no go.mod above the test directory")
		}
		dir = parent
	}
	d := filepath.Join(filepath.Dir(dir), "shared", "data")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		tb.Fatalf("sharedtest: real data folder %s is missing: tests need ../shared/data beside the repository", d)
	}
	return d
}

// Path returns the path of a file under the data folder, failing the test if it does not exist.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(DataDir(tb), name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("sharedtest: %v", err)
	}
	return p
}

// Kline is one row of a Binance dump file: the open time and the 11 other fields as written.
type Kline struct {
	OpenTime int64
	Fields   [11]string // open, high, low, close, volume, close_time, quote_av, trades, tb_base_av, tb_quote_av, ignore
}

// Float parses field i (0 = open ... 4 = volume) as a float, failing the test on error.
func (k Kline) Float(tb testing.TB, i int) float64 {
	v, err := strconv.ParseFloat(k.Fields[i], 64)
	if err != nil {
		tb.Fatalf("sharedtest: field %d: %v", i, err)
	}
	return v
}

// Line returns the row as it stands in the dump file.
func (k Kline) Line() string {
	return strconv.FormatInt(k.OpenTime, 10) + "," + strings.Join(k.Fields[:], ",")
}

// ReadKlines reads up to max rows (all when max <= 0) of a gzipped 12-column dump under the data folder.
func ReadKlines(tb testing.TB, name string, max int) []Kline {
	tb.Helper()
	f, err := os.Open(Path(tb, name))
	if err != nil {
		tb.Fatalf("sharedtest: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("sharedtest: %s: %v", name, err)
	}
	sc := bufio.NewScanner(zr)
	var out []Kline
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ",")
		if len(parts) != 12 {
			tb.Fatalf("sharedtest: %s line %d: %d fields", name, len(out)+1, len(parts))
		}
		t, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			tb.Fatalf("sharedtest: %s line %d: %v", name, len(out)+1, err)
		}
		var k Kline
		k.OpenTime = t
		copy(k.Fields[:], parts[1:])
		out = append(out, k)
		if max > 0 && len(out) >= max {
			break
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("sharedtest: %s: %v", name, err)
	}
	return out
}
