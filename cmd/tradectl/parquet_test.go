package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
)

// The whole pipeline on CSV files and on Parquet files computes the same numbers: every step
// file holds the same values, and the models and metrics are byte-identical.
func TestDemoParquetMatchesCSV(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "csv"), filepath.Join(dir, "parquet")
	run(t, "demo", "--dir", a, "--days", "4").ok(t)
	run(t, "demo", "--dir", b, "--days", "4", "--format", "parquet").ok(t)
	symA, symB := filepath.Join(a, "DEMOUSDT"), filepath.Join(b, "DEMOUSDT")
	for _, stem := range []string{"data", "features", "matrix", "predictions", "signals"} {
		fa, err := frame.ReadFile(filepath.Join(symA, stem+".csv"), frame.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fb, err := frame.ReadFile(filepath.Join(symB, stem+".parquet"), frame.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameValues(t, stem, fa, fb)
		if _, err := os.Stat(filepath.Join(symB, stem+".csv")); err == nil {
			t.Errorf("the parquet run wrote %s.csv", stem)
		}
	}
	for _, name := range []string{"MODELS/high_10_lc.json", "MODELS/low_10_lc.json", "predictions.txt", "predictions.metrics.json", "features.txt",
		"signal_models.txt", "signal_models.json", "../report/report.json", "../report/trades.csv"} {
		x, errA := os.ReadFile(filepath.Join(symA, name))
		y, errB := os.ReadFile(filepath.Join(symB, name))
		if errA != nil || errB != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the CSV and the Parquet run (%v, %v)", name, errA, errB)
		}
	}
	run(t, "demo", "--dir", filepath.Join(dir, "x"), "--format", "feather").failsWith(t, "--format")

	// predict's row window (predict_length + features_horizon rows): the CSV run copies the
	// prices of the window's rows from the matrix text; both runs still agree.
	for _, d := range []string{a, b} {
		cfg := filepath.Join(d, "config.jsonc")
		text, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, []byte(strings.Replace(string(text), `"train": true`, `"train": false`, 1)), 0o644)
		run(t, "predict", "-c", cfg).ok(t)
	}
	pa, err := frame.ReadFile(filepath.Join(symA, "predictions.csv"), frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := frame.ReadFile(filepath.Join(symB, "predictions.parquet"), frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pa.Len() != 288+120 {
		t.Fatalf("windowed predictions: %d rows", pa.Len())
	}
	sameValues(t, "windowed predictions", pa, pb)

	// A truncated matrix.parquet: predict fails with one line naming the file and writes nothing.
	cfg := filepath.Join(b, "config.jsonc")
	matrix, pred := filepath.Join(symB, "matrix.parquet"), filepath.Join(symB, "predictions.parquet")
	before, _ := os.ReadFile(pred)
	m, _ := os.ReadFile(matrix)
	os.WriteFile(matrix, m[:len(m)*2/3], 0o644)
	run(t, "predict", "-c", cfg).failsWith(t, matrix, "truncated")
	if after, _ := os.ReadFile(pred); !bytes.Equal(before, after) {
		t.Fatal("predictions.parquet changed after a failed predict")
	}
	// A data.parquet without the close column: features names the file and the column.
	d, err := frame.ReadFile(filepath.Join(symB, "data.parquet"), frame.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Drop("close")
	if err := frame.WriteFile(filepath.Join(symB, "data.parquet"), d, frame.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	feats, _ := os.ReadFile(filepath.Join(symB, "features.parquet"))
	run(t, "features", "-c", cfg).failsWith(t, "data.parquet", `"close"`)
	if after, _ := os.ReadFile(filepath.Join(symB, "features.parquet")); !bytes.Equal(feats, after) {
		t.Fatal("features.parquet changed after a failed features run")
	}
}

// sameValues compares two frames' times and values (NaN equals NaN; kinds may differ where
// CSV infers Int from whole-number text).
func sameValues(t *testing.T, what string, a, b *frame.Frame) {
	t.Helper()
	if strings.Join(a.Names(), ",") != strings.Join(b.Names(), ",") || a.Len() != b.Len() {
		t.Fatalf("%s: columns or rows differ:\n%v (%d rows)\n%v (%d rows)", what, a.Names(), a.Len(), b.Names(), b.Len())
	}
	for i := range a.Time {
		if a.Time[i] != b.Time[i] {
			t.Fatalf("%s: time %d: %d vs %d", what, i, a.Time[i], b.Time[i])
		}
	}
	for _, c := range a.Columns() {
		d, _ := b.Col(c.Name)
		if (c.Kind == frame.Bool) != (b.Kind(c.Name) == frame.Bool) {
			t.Errorf("%s: %s kind %v vs %v", what, c.Name, c.Kind, b.Kind(c.Name))
		}
		for i, v := range c.Data {
			if !(v == d[i] || math.IsNaN(v) && math.IsNaN(d[i])) {
				t.Fatalf("%s: %s[%d] = %v (CSV) vs %v (Parquet)", what, c.Name, i, v, d[i])
			}
		}
	}
}
