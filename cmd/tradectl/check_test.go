package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// nextClose is a test-only feature generator that peeks at the next row's close.
type nextClose struct{}

func (nextClose) Inputs() []string  { return []string{"close"} }
func (nextClose) Outputs() []string { return []string{"close_next"} }
func (nextClose) Window() int       { return 0 }
func (nextClose) Lookback() int     { return 0 }
func (nextClose) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := in.Col("close")
	if err != nil {
		return nil, err
	}
	out := frame.NaNs(len(x))
	copy(out, x[1:])
	return []frame.Column{{Name: "close_next", Data: out}}, nil
}

func init() {
	features.Default.Register("test_next_close", func(json.RawMessage) (gen.Generator, error) { return nextClose{}, nil })
}

func TestCheckLookahead(t *testing.T) {
	cfg, dir := workspace(t, 2, withSignalSets(itbSignalSets+`,
    {"generator": "smoothen", "config": {"columns": ["close_SMA_5", "close_SMA_10"], "names": "smooth", "window": 5.0}}`))
	run(t, "merge", "-c", cfg).ok(t)
	r := run(t, "check", "lookahead", "-c", cfg, "--cuts", "3").ok(t)
	for _, want := range []string{
		"DEMOUSDT/data.csv: 2880 rows, cut at rows [720 1440 2160]: 14 columns checked, 0 changed",
		"signal_sets[0] (combine) not checked: it reads high_10_lc,low_10_lc",
		"signal_sets[1] (threshold_rule) not checked",
	} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("output lacks %q:\n%s", want, r.out)
		}
	}

	// With predictions.csv the signal sets are checked on it too.
	pred := "high_10_lc,low_10_lc,timestamp,open,high,low,close\n"
	for i, ts := range []string{"00:00", "00:01", "00:02", "00:03", "00:04", "00:05"} {
		pred += []string{"0.03,0.01", "0.01,0.04", "0.02,0.02", "0.05,0.01", "0.01,0.03", "0.02,0.01"}[i] + ",2024-01-01 " + ts + ":00+00:00,1,1,1,1\n"
	}
	os.WriteFile(filepath.Join(dir, "DEMOUSDT", "predictions.csv"), []byte(pred), 0o644)
	r = run(t, "check", "lookahead", "-c", cfg, "--cuts", "2").ok(t)
	if !strings.Contains(r.out, "DEMOUSDT/predictions.csv: 6 rows, cut at rows [2 4]: 3 columns checked, 0 changed") || strings.Contains(r.out, "not checked") {
		t.Fatalf("output:\n%s", r.out)
	}

	// A generator that reads the next row is caught and fails the command.
	cfg2 := filepath.Join(dir, "peek.jsonc")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg2, []byte(strings.Replace(string(b), `"feature_sets": [`, `"feature_sets": [
    {"generator": "test_next_close"},`, 1)), 0o644)
	r = run(t, "check", "lookahead", "-c", cfg2, "--cuts", "3")
	r.failsWith(t, "1 columns change when later rows are removed")
	if !strings.Contains(r.out, "LOOK-AHEAD close_next (feature_sets[0] (test_next_close)): row 719 (2024-01-01 11:59:00+00:00) is NaN over 720 rows") {
		t.Fatalf("output:\n%s", r.out)
	}
}

func TestCheckWarmup(t *testing.T) {
	// A signal set over features is measured too; one over model scores is left out.
	cfg, dir := workspace(t, 2, withSignalSets(itbSignalSets+`,
    {"generator": "smoothen", "config": {"columns": "close_SMA_5", "names": "smooth", "window": 3}}`))
	run(t, "merge", "-c", cfg).ok(t)
	r := run(t, "check", "warmup", "-c", cfg, "--compare", "10").ok(t)
	for _, want := range []string{
		// smoothen's rolling 3 over SMA_5: 2 + 4 rows; declared 2 + the talib set's 59.
		"smooth                                   6        61  covers",
		"DEMOUSDT/data.csv: last 10 of 2880 rows compared, histories up to 2870 rows, features_horizon 120",
		"close_SMA_60                            59        59  covers",
		"close_STDDEV_60                         59        59  covers",
		"close_LINEARREG_SLOPE_5                  4        59  covers",
	} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("output lacks %q:\n%s", want, r.out)
		}
	}
	// An EMA over 60 rows needs far more than 120 rows of history: the command says so and fails.
	cfg2 := filepath.Join(dir, "ema.jsonc")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg2, []byte(strings.Replace(string(b), `"functions": ["SMA"]`, `"functions": ["SMA", "EMA"]`, 1)), 0o644)
	r = run(t, "check", "warmup", "-c", cfg2)
	r.failsWith(t, "features_horizon 120 is shorter than the history 1 of 19 features need: close_EMA_60 (")
	if !strings.Contains(r.out, "unbounded  TOO SHORT") {
		t.Fatalf("output:\n%s", r.out)
	}
}
