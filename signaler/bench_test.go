package signaler

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/config"
)

// sampleConfig loads ITB's 1min sample config (testdata) with a fresh data folder and a model
// set trained on two real days before the replayed ones.
func sampleConfig(b *testing.B) *config.Config {
	b.Helper()
	c, err := config.Load(filepath.Join("..", "testdata", "configs", "config-sample-1min.jsonc"), nil)
	if err != nil {
		b.Fatal(err)
	}
	c.DataFolder = b.TempDir()
	saveModels(b, c.ModelPath(), fitModels(b, c, realBars(b, 2*day)))
	return c
}

// reportP99 reports the 50th and 99th percentiles of the wall-clock durations and of the
// process CPU times (the latter is what a tick costs when it has the cores to itself).
func reportP99(b *testing.B, wall, cpu []time.Duration) {
	for _, m := range []struct {
		unit string
		d    []time.Duration
	}{{"µs", wall}, {"µs-cpu", cpu}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds()), "p50-"+m.unit)
		b.ReportMetric(float64(m.d[len(m.d)*99/100].Microseconds()), "p99-"+m.unit)
	}
}

// BenchmarkTickCompute is one tick's compute without network, as the loop does it: the window
// (423 bars of the sample config) to the merged frame, features, the 2 models' scores of the
// re-fetched rows and the signals.
func BenchmarkTickCompute(b *testing.B) {
	c := sampleConfig(b)
	all := realBars(b, 3*day)
	l, _ := newReplay(b, c, all[2*day-c.PredictLength-c.FeaturesHorizon:], nil)
	if _, err := l.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.window.Append(all[2*day : 2*day+MaxWindowExtra]); err != nil {
		b.Fatal(err)
	}
	// As a tick in steady state: the last bar new, the 5 before it re-fetched (overlap).
	app, err := l.window.Append(all[2*day+MaxWindowExtra-c.AppendOverlapRecords : 2*day+MaxWindowExtra+1])
	if err != nil {
		b.Fatal(err)
	}
	d := make([]time.Duration, 0, b.N)
	cpu := make([]time.Duration, 0, b.N)
	l.opt.Feeder = nil // drop the recorded bars: the heap is the service's, not the fixture's
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0, c0 := time.Now(), processCPU()
		if _, err := l.compute(ctx, time.Time{}, 1, app); err != nil {
			b.Fatal(err)
		}
		d, cpu = append(d, time.Since(t0)), append(cpu, processCPU()-c0)
	}
	b.ReportMetric(float64(l.window.Len()), "rows")
	reportP99(b, d, cpu)
}

// BenchmarkTick is a whole tick over an in-memory replay (fetch, append, model-folder check,
// compute, band): a day of ticks, each measured.
func BenchmarkTick(b *testing.B) {
	c := sampleConfig(b)
	all := realBars(b, 3*day)
	var d, cpu []time.Duration
	for b.Loop() {
		b.StopTimer()
		l, fd := newReplay(b, c, all[2*day-c.PredictLength-c.FeaturesHorizon:], nil)
		if _, err := l.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		clk := fd.Clock.(interface{ Advance(time.Duration) })
		b.StartTimer()
		for range day {
			clk.Advance(time.Minute)
			t0, c0 := time.Now(), processCPU()
			if _, err := l.Tick(context.Background()); err != nil {
				b.Fatal(err)
			}
			d, cpu = append(d, time.Since(t0)), append(cpu, processCPU()-c0)
		}
	}
	reportP99(b, d, cpu)
}

// BenchmarkReplayDay replays one real day (1,440 ticks) at speed 0 through Loop.Run with the
// sample config, cold start included; one op is the day.
func BenchmarkReplayDay(b *testing.B) {
	c := sampleConfig(b)
	all := realBars(b, 3*day)
	for b.Loop() {
		b.StopTimer()
		rec := &recorder{}
		l, _ := newReplay(b, c, all[2*day-c.PredictLength-c.FeaturesHorizon:], rec)
		b.StartTimer()
		if err := l.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		if len(rec.results) != day {
			b.Fatalf("%d ticks", len(rec.results))
		}
	}
}
