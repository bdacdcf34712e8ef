package main

import (
	"crypto/sha256"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
)

// withROCP adds a ROCP(10) feature set (values near 1e-4, which %.6f keeps to 2-3 digits).
func withROCP(extra string) func(string) string {
	return func(s string) string {
		s = strings.Replace(s, `"feature_sets": [`,
			`"feature_sets": [`+"\n"+`    {"generator": "talib", "config": {"columns": ["close"], "functions": ["ROCP"], "windows": [10]}},`, 1)
		return strings.Replace(s, "{\n", "{\n"+extra, 1)
	}
}

// rocp is ROCP(10) of close computed here: (close[t] - close[t-10]) / close[t-10].
func rocp(t *testing.T, dataCSV string) []float64 {
	t.Helper()
	f, err := frame.ReadCSV(dataCSV, frame.ReadOptions{Columns: []string{"close"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.Col("close")
	out := make([]float64, len(c))
	for i := range out {
		out[i] = math.NaN()
		if i >= 10 {
			out[i] = (c[i] - c[i-10]) / c[i-10]
		}
	}
	return out
}

// defaultSHA is the sha256 of this test's default features.csv written by the code before the
// float_precision key existed (commit 2b4b6de): the default output must stay byte-identical.
// (It also changes if the synthetic market or the demo config change; then re-derive it.)
const defaultSHA = "16c707dc916ab8aea49b2b7d2e83ac4f69c564b8fce1244dd15624f63a81ee08"

// TestFloatPrecision: by default features.csv keeps ITB's %.6f, byte-identical to before, and
// a column that loses more than half of its significant digits is warned about once (ROCP near
// 1e-3 keeps 4 of 16; prices keep theirs); with "float_precision": "exact"
// every value round-trips exactly and nothing is warned.
func TestFloatPrecision(t *testing.T) {
	for _, tc := range []struct {
		name, key string
	}{{"default", ""}, {"exact", `  "float_precision": "exact",` + "\n"}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, dir := workspace(t, 2, withROCP(tc.key))
			sym := filepath.Join(dir, "DEMOUSDT")
			run(t, "merge", "-c", cfg).ok(t)
			r := run(t, "features", "-c", cfg).ok(t)
			want := rocp(t, filepath.Join(sym, "data.csv"))
			path := filepath.Join(sym, "features.csv")
			b, _ := os.ReadFile(path)
			f, err := frame.ReadCSV(path, frame.ReadOptions{Columns: []string{"close_ROCP_10"}})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := f.Col("close_ROCP_10")
			warned, others := 0, 0
			for _, line := range strings.Split(r.err, "\n") {
				switch {
				case !strings.Contains(line, "significant digits"):
				case strings.Contains(line, "column=close_ROCP_10 "):
					warned++
				case strings.Contains(line, "column=close_SMA_"):
					t.Fatalf("a price column was warned about: %s", line)
				default:
					others++ // slopes of a ~100-dollar price lose digits too
				}
			}
			if tc.key != "" && others > 0 {
				t.Fatalf("exact output warned about lost digits:\n%s", r.err)
			}
			for i, w := range want {
				switch {
				case math.IsNaN(w):
					if !math.IsNaN(got[i]) {
						t.Fatalf("row %d: %v, want empty", i, got[i])
					}
				case tc.key == "":
					if s := strconv.FormatFloat(w, 'f', 6, 64); got[i] != mustFloat(t, s) {
						t.Fatalf("row %d: %v, want %%.6f of %v = %s", i, got[i], w, s)
					}
				case math.Float64bits(got[i]) != math.Float64bits(w):
					t.Fatalf("row %d: %v does not round-trip %v", i, got[i], w)
				}
			}
			if tc.key == "" && warned != 1 || tc.key != "" && warned != 0 {
				t.Fatalf("close_ROCP_10 named %d times in the log, want %d:\n%s", warned, map[bool]int{true: 1}[tc.key == ""], r.err)
			}
			if sum := fmt.Sprintf("%x", sha256.Sum256(b)); tc.key == "" && sum != defaultSHA {
				t.Errorf("default features.csv changed: sha256 %s, before the float_precision key %s", sum, defaultSHA)
			}
		})
	}
}

func mustFloat(t *testing.T, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
