package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rollingWorkspace is the demo workspace with a rolling_predict section, run up to labels.
func rollingWorkspace(t *testing.T, days int, rolling string) (cfg, sym string) {
	t.Helper()
	cfg, dir := workspace(t, days, func(s string) string {
		return setKey(s, "rolling_predict", rolling)
	})
	for _, step := range []string{"merge", "features", "labels"} {
		run(t, step, "-c", cfg).ok(t)
	}
	return cfg, filepath.Join(dir, "DEMOUSDT")
}

// outputs reads the files rolling writes.
func outputs(t *testing.T, sym string) [3][]byte {
	t.Helper()
	var out [3][]byte
	for i, n := range []string{"predictions.csv", "predictions.metrics.json", "predictions.txt"} {
		b, err := os.ReadFile(filepath.Join(sym, n))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func TestRollingCommand(t *testing.T) {
	cfg, sym := rollingWorkspace(t, 6, `{"data_start": "2024-01-01", "prediction_start": null, "prediction_size": 720, "prediction_steps": 3}`)
	r := run(t, "rolling", "-c", cfg).ok(t)
	for _, want := range []string{
		"rolling: 3 folds of 720 rows from 2024-01-05 12:00:00+00:00 (prediction_start derived)",
		// 6480 rows before the first fold, minus the gap of label_horizon + 1 = 121 rows.
		"rolling: fold 1/3: predict 2024-01-05 12:00:00+00:00 .. 2024-01-05 23:59:00+00:00, train 6359 rows 2024-01-01 00:00:00+00:00 .. 2024-01-05 09:58:00+00:00 (trained)",
		"rolling:   high_10_lc: {'auc': ",
		"rolling: overall low_10_lc: {'auc': ",
		"wrote " + filepath.Join(sym, "predictions.csv") + ": 2160 rows, 2 score columns",
	} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("output lacks %q:\n%s", want, r.out)
		}
	}
	first := outputs(t, sym)
	lines := strings.Split(strings.TrimSuffix(string(first[0]), "\n"), "\n")
	// The columns predict writes, one row per predicted row.
	if lines[0] != "high_10_lc,low_10_lc,timestamp,open,high,low,close,volume,close_time,high_10,low_10" || len(lines) != 1+3*720 {
		t.Fatalf("predictions.csv: header %q, %d lines", lines[0], len(lines))
	}
	if !strings.HasPrefix(string(first[2]), "rolling fold 1/3 2024-01-05 12:00:00+00:00 .. 2024-01-05 23:59:00+00:00: high_10_lc: {'auc': ") {
		t.Fatalf("predictions.txt:\n%s", first[2])
	}

	// A second run recomputes nothing, says so, and writes the same files (the .txt block again).
	r = run(t, "rolling", "-c", cfg).ok(t)
	if !strings.Contains(r.out, "rolling: all 3 folds from the cache, nothing recomputed") || strings.Contains(r.out, "(trained)") {
		t.Fatalf("second run:\n%s", r.out)
	}
	again := outputs(t, sym)
	if !bytes.Equal(first[0], again[0]) || !bytes.Equal(first[1], again[1]) || string(again[2]) != string(first[2])+string(first[2]) {
		t.Fatal("a run from the cache wrote different files")
	}
	if testing.Short() {
		return // the rolling package tests --jobs too
	}
	// Any --jobs, without the cache, gives the same bytes.
	for _, jobs := range []string{"1", "3"} {
		run(t, "rolling", "-c", cfg, "--no-cache", "--jobs", jobs).ok(t)
		if got := outputs(t, sym); !bytes.Equal(first[0], got[0]) || !bytes.Equal(first[1], got[1]) {
			t.Fatalf("--jobs %s --no-cache wrote different files", jobs)
		}
	}
}

func TestRollingBadInput(t *testing.T) {
	cfg, sym := rollingWorkspace(t, 2, `{"prediction_size": 1440, "prediction_steps": 3}`)
	run(t, "rolling", "-c", cfg).failsWith(t, "not enough rows", "3 steps x 1440 rows need 4320 rows", "the data has 2880 rows")
	if _, err := os.Stat(filepath.Join(sym, "predictions.csv")); err == nil {
		t.Fatal("a failed rolling wrote predictions.csv")
	}
	cfg2 := filepath.Join(filepath.Dir(sym), "config2.jsonc")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg2, bytes.Replace(b, []byte(`"prediction_steps": 3`), []byte(`"prediction_steps": "3"`), 1), 0o644)
	run(t, "rolling", "-c", cfg2).failsWith(t, "config2.jsonc", `key "rolling_predict.prediction_steps"`)
	// A label_horizon shorter than the labels' horizon would leak: refused.
	os.WriteFile(cfg2, bytes.Replace(b, []byte(`"label_horizon": 120`), []byte(`"label_horizon": 60`), 1), 0o644)
	run(t, "rolling", "-c", cfg2).failsWith(t, `key "label_horizon" (60) is smaller than the horizon 120`)
}

// Kill -9 a rolling run once some folds are cached, run it again: it resumes (training only
// the missing folds) and writes exactly what an uninterrupted run writes.
func TestRollingKilledResumes(t *testing.T) {
	steps, days := 16, 8
	if testing.Short() {
		steps, days = 8, 5
	}
	rp := fmt.Sprintf(`{"prediction_start": null, "prediction_size": 360, "prediction_steps": %d}`, steps)
	cfg, sym := rollingWorkspace(t, days, rp)
	// The reference: an uninterrupted run on a copy of the matrix.
	ref := t.TempDir()
	m, err := os.ReadFile(filepath.Join(sym, "matrix.csv"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(ref, "DEMOUSDT"), 0o755)
	os.WriteFile(filepath.Join(ref, "DEMOUSDT", "matrix.csv"), m, 0o644)
	run(t, "rolling", "-c", cfg, "--data-folder", ref, "--jobs", "2").ok(t)
	want := outputs(t, filepath.Join(ref, "DEMOUSDT"))

	cache := filepath.Join(sym, "rolling-cache")
	cached := func() int {
		ents, _ := filepath.Glob(filepath.Join(cache, "*.parquet"))
		return len(ents)
	}
	killWhen(t, binary("rolling", "-c", cfg, "--jobs", "1"), 60*time.Second, "rolling cached no fold in 60 s", func() bool { return cached() >= 1 })
	done := cached()
	t.Logf("killed with %d of %d folds cached", done, steps)
	if done >= steps {
		t.Fatalf("all %d folds finished before the kill; the test needs slower folds", done)
	}
	if _, err := os.Stat(filepath.Join(sym, "predictions.csv")); err == nil {
		t.Fatal("the killed run wrote predictions.csv")
	}
	if tmp, _ := filepath.Glob(filepath.Join(cache, ".*")); len(tmp) > 1 {
		t.Fatalf("temporary files left: %v", tmp) // at most the one being written at the kill
	}

	r := run(t, "rolling", "-c", cfg).ok(t)
	if !strings.Contains(r.out, fmt.Sprintf("rolling: %d folds from the cache, %d trained", done, steps-done)) {
		t.Fatalf("resumed run (%d folds were cached):\n%s", done, r.out)
	}
	got := outputs(t, sym)
	for i, n := range []string{"predictions.csv", "predictions.metrics.json", "predictions.txt"} {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s after the kill and resume differs from an uninterrupted run", n)
		}
	}
	r = run(t, "rolling", "-c", cfg).ok(t)
	if !strings.Contains(r.out, fmt.Sprintf("rolling: all %d folds from the cache, nothing recomputed", steps)) {
		t.Fatalf("third run:\n%s", r.out)
	}
}
