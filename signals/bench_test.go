package signals_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/signals"
)

// scoreFrame builds a predictions-like frame from the real BTCUSDT 2023 minutes (525,600
// rows): prices, and two scores in [0, 1] from where the close sits in the bar's range.
func scoreFrame(b *testing.B) *frame.Frame {
	ks := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
	n := len(ks)
	times := make([]int64, n)
	cols := map[string][]float64{}
	for _, name := range []string{"high_10_lc", "low_10_lc", "open", "high", "low", "close"} {
		cols[name] = make([]float64, n)
	}
	for i, k := range ks {
		times[i] = k.OpenTime
		o, h, l, c := k.Float(b, 0), k.Float(b, 1), k.Float(b, 2), k.Float(b, 3)
		cols["open"][i], cols["high"][i], cols["low"][i], cols["close"][i] = o, h, l, c
		if h > l {
			cols["high_10_lc"][i] = 0.1 * (c - l) / (h - l)
			cols["low_10_lc"][i] = 0.1 * (h - c) / (h - l)
		}
	}
	f := frame.New(times)
	for _, name := range []string{"high_10_lc", "low_10_lc", "open", "high", "low", "close"} {
		f.Set(name, frame.Float, cols[name])
	}
	return f
}

var benchSets = []config.GeneratorSet{
	signalSets[0], signalSets[1],
	{Generator: "smoothen", Config: json.RawMessage(`{"columns":["high_10_lc","low_10_lc"],"names":"smooth","window":60}`)},
	{Generator: "smoothen", Config: json.RawMessage(`{"columns":"trade_score","names":"ewm","window":20.0}`)},
}

// BenchmarkSignalSets applies ITB's sample signal_sets plus a rolling and an EWM smoothen to
// a year of minutes in memory.
func BenchmarkSignalSets(b *testing.B) {
	f := scoreFrame(b)
	steps, err := gen.Build("signal_sets", benchSets, signals.Default)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		g := f.Slice(0, f.Len())
		if _, err := gen.Apply(g, steps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.Len()), "rows")
}

// BenchmarkRunFile is the whole signals step on a year of minutes: read predictions.csv,
// apply ITB's sample signal_sets, write signals.csv.
func BenchmarkRunFile(b *testing.B) {
	f := scoreFrame(b)
	dir := b.TempDir()
	in := filepath.Join(dir, "predictions.csv")
	if err := frame.WriteFile(in, f, frame.WriteOptions{Precision: 6, TimePos: 2}); err != nil {
		b.Fatal(err)
	}
	steps, err := gen.Build("signal_sets", signalSets, signals.Default)
	if err != nil {
		b.Fatal(err)
	}
	opt := signals.FileOptions{In: in, Out: filepath.Join(dir, "signals.csv"), Steps: steps, Precision: 6}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signals.RunFile(opt); err != nil {
			b.Fatal(err)
		}
	}
}
