package signaler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/labels"
	"github.com/tradectl/tradectl/merge"
	"github.com/tradectl/tradectl/signals"
	"github.com/tradectl/tradectl/train"
)

// parityConfig has recursive indicators (EMA, RSI, ATR) next to bounded ones (SMA), two
// logistic-regression models and ITB's combine + threshold signals, plus a 10-row rolling mean
// of the score (a signal reading the scores of rows before the re-fetched overlap, which the
// loop keeps from earlier ticks). Placeholders: features_horizon, predict_length.
const parityConfig = `{
  "venue": "binance", "symbol": "BTCUSDT", "freq": "1min",
  "label_horizon": 60, "features_horizon": %d, "predict_length": %d, "train_length": 0,
  "append_overlap_records": 5,
  "feature_sets": [
    {"generator": "talib", "config": {"columns": ["close"], "functions": ["SMA"], "windows": [5, 20]}},
    {"generator": "talib", "config": {"columns": ["close"], "functions": ["EMA"], "windows": [10, 30]}},
    {"generator": "talib", "config": {"columns": ["close"], "functions": ["RSI"], "windows": [14]}},
    {"generator": "talib", "config": {"columns": ["high", "low", "close"], "functions": ["ATR"], "windows": [14]}}
  ],
  "label_sets": [
    {"generator": "highlow2", "config": {"columns": ["close", "high", "low"], "function": "high", "thresholds": [0.2], "tolerance": 0.1, "horizon": 60, "names": ["high_02"]}},
    {"generator": "highlow2", "config": {"columns": ["close", "high", "low"], "function": "low", "thresholds": [0.2], "tolerance": 0.1, "horizon": 60, "names": ["low_02"]}}
  ],
  "train_features": ["close_SMA_5", "close_SMA_20", "close_EMA_10", "close_EMA_30", "close_RSI_14", "high_low_close_ATR_14"],
  "labels": ["high_02", "low_02"],
  "algorithms": [{"name": "lc", "algo": "lc", "params": {"is_scale": true}, "train": {"C": 1.0, "max_iter": 100}}],
  "signal_sets": [
    {"generator": "combine", "config": {"columns": ["high_02_lc", "low_02_lc"], "names": "trade_score", "combine": "difference"}},
    {"generator": "smoothen", "config": {"columns": "trade_score", "names": "trade_score_10", "window": 10}},
    {"generator": "threshold_rule", "config": {"columns": "trade_score", "names": ["buy", "sell"],
      "parameters": {"buy_signal_threshold": 0.05, "sell_signal_threshold": -0.05}}}
  ],
  "output_sets": [
    {"generator": "score_notification_model", "config": {"score_column_names": ["trade_score"], "notify_band_up": true, "notify_band_dn": true,
      "positive_bands": [{"edge": 0.05, "frequency": 0, "sign": "+", "text": "BUY ZONE"}],
      "negative_bands": [{"edge": -0.05, "frequency": 0, "sign": "-", "text": "SELL ZONE"}]}}
  ]
}`

// writeConfig writes a config into a fresh data folder and loads it.
func writeConfig(t testing.TB, text string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	text = strings.Replace(text, "{", fmt.Sprintf("{\"data_folder\": %q,", dir), 1)
	p := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(c.ModelPath(), 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

// realBars reads the first n 1m bars of 2024 (BTCUSDT) from the shared data.
func realBars(t testing.TB, n int) []exchange.Kline {
	t.Helper()
	raw := sharedtest.ReadKlines(t, "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", n)
	out := make([]exchange.Kline, len(raw))
	for i, k := range raw {
		out[i] = exchange.Kline{OpenTime: k.OpenTime, Fields: k.Fields}
	}
	return out
}

// batchData is the batch path up to data.csv: klines.csv written by download, read back,
// merged on the grid (independent of the window's own kline conversion).
func batchData(t testing.TB, c *config.Config, bars []exchange.Kline) *frame.Frame {
	t.Helper()
	p := filepath.Join(t.TempDir(), "klines.csv")
	if err := download.WriteFile(p, bars); err != nil {
		t.Fatal(err)
	}
	f, err := frame.ReadFile(p, frame.ReadOptions{TimeColumn: c.TimeColumn})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := merge.Merge([]merge.Source{{Name: "BTCUSDT", Path: p, Frame: f, Klines: true}}, merge.Options{Freq: c.FreqDuration()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func buildSteps(t testing.TB, c *config.Config) (feats, labs, sigs []gen.Step) {
	t.Helper()
	var err error
	if feats, err = features.Build("feature_sets", c.FeatureSets, features.Default); err != nil {
		t.Fatal(err)
	}
	if labs, err = gen.Build("label_sets", c.LabelSets, labels.Default); err != nil {
		t.Fatal(err)
	}
	if sigs, err = gen.Build("signal_sets", c.SignalSets, signals.Default); err != nil {
		t.Fatal(err)
	}
	return
}

// fitModels trains the config's models on bars (features, labels, train.FitModels) in memory.
func fitModels(t testing.TB, c *config.Config, bars []exchange.Kline) []*train.File {
	t.Helper()
	feats, labs, _ := buildSteps(t, c)
	m := batchData(t, c, bars)
	if _, err := gen.Apply(m, append(feats, labs...)); err != nil {
		t.Fatal(err)
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := train.FitModels(m, train.Options{Sets: sets, LabelHorizon: c.LabelHorizon, NoInSample: true})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// saveModels writes a complete set as train.Fit does: manifest removed, files, manifest.
func saveModels(t testing.TB, folder string, files []*train.File) {
	t.Helper()
	if err := train.BeginModelSet(folder); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if err := f.Save(folder); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
	}
	if err := train.WriteManifest(folder, names); err != nil {
		t.Fatal(err)
	}
}

// batchRun is features -> predict -> signals in batch over every row of bars.
func batchRun(t testing.TB, c *config.Config, bars []exchange.Kline, models []*train.File) *frame.Frame {
	t.Helper()
	feats, _, sigs := buildSteps(t, c)
	f := batchData(t, c, bars)
	if err := Compute(f, feats, models, sigs); err != nil {
		t.Fatal(err)
	}
	return f
}

// recorder is an Output and a Trader that keeps every result.
type recorder struct {
	mu      sync.Mutex
	results []*Result
	trades  int
	hook    func(r *Result)
}

func (r *recorder) Publish(_ context.Context, res *Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
	if r.hook != nil {
		r.hook(res)
	}
	return nil
}

func (r *recorder) Signals(context.Context, *Result) error {
	r.mu.Lock()
	r.trades++
	r.mu.Unlock()
	return nil
}

// newReplay builds a loop over bars replayed on a fake clock from the cold start.
func newReplay(t testing.TB, c *config.Config, bars []exchange.Kline, rec *recorder) (*Loop, *ReplayFeeder) {
	t.Helper()
	clk := clock.NewFake(time.Time{})
	fd := &ReplayFeeder{Bars: bars, Clock: clk, Step: c.FreqDuration()}
	start, err := fd.Start(c.PredictLength+c.FeaturesHorizon, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(start)
	opt := Options{Config: c, Feeder: fd, Clock: clk, Until: fd.End(time.Second), Settle: time.Second}
	if rec != nil {
		opt.Output, opt.Trader = rec, rec
	}
	l, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return l, fd
}
