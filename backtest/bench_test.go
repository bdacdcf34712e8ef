package backtest

import (
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

var (
	realOnce sync.Once
	realTape *Tape
)

// realBTC2023 is a tape over the 525,600 real BTCUSDT 1m bars of 2023 with a score derived
// from the closes (10 × the distance of the close from its 60-bar mean), built in memory.
func realBTC2023(b *testing.B) *Tape {
	realOnce.Do(func() {
		ks := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
		bars := &Bars{}
		for _, k := range ks {
			bars.Time = append(bars.Time, k.OpenTime)
			bars.Open = append(bars.Open, k.Float(b, 0))
			bars.High = append(bars.High, k.Float(b, 1))
			bars.Low = append(bars.Low, k.Float(b, 2))
			bars.Close = append(bars.Close, k.Float(b, 3))
		}
		realTape = &Tape{Bars: bars, Score: MeanDistance(bars.Close, 60, 10)}
	})
	if realTape == nil {
		b.Fatal("no real tape")
	}
	return realTape
}

// itbGrid is the 1min sample config's 6 × 6 grid.
func itbGrid() []Rule {
	var rules []Rule
	for _, buy := range []float64{0.02, 0.03, 0.04, 0.05, 0.1, 0.15} {
		for _, sell := range []float64{-0.02, -0.03, -0.04, -0.05, -0.1, -0.15} {
			rules = append(rules, Rule{Buy: buy, Sell: sell})
		}
	}
	return rules
}

func benchGrid(b *testing.B, m Model, workers int) {
	tape := realBTC2023(b)
	rules := itbGrid()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuSeconds()
	trades := 0
	for b.Loop() {
		for _, s := range Grid(tape, rules, m, workers) {
			trades += s.Trades
		}
	}
	el := time.Since(start).Seconds()
	steps := float64(tape.Bars.Len()*len(rules)*b.N) / el
	if workers <= 0 {
		workers = min(len(rules), maxProcs())
	}
	b.ReportMetric(steps/1e6, "Msteps/s")
	b.ReportMetric(steps/1e6/float64(workers), "Msteps/s/core")
	b.ReportMetric(float64(trades)/float64(b.N)/float64(len(rules)), "trades/combo")
	// On a shared machine wall time includes waiting: steps per CPU-second is the kernel's cost.
	b.ReportMetric(float64(tape.Bars.Len()*len(rules)*b.N)/(cpuSeconds()-cpu0)/1e6, "Msteps/cpu-s")
}

// BenchmarkKernel: bar × combination steps per second on one core, ITB's 6 × 6 grid over a
// year of real minutes, default model (next-open, 10 bps fees).
func BenchmarkKernel(b *testing.B) { benchGrid(b, DefaultModel(), 1) }

// BenchmarkKernelStops adds a 1% stop-loss and a 2% take-profit (checked on every bar in the market).
func BenchmarkKernelStops(b *testing.B) {
	m := DefaultModel()
	m.StopLoss, m.TakeProfit = 0.01, 0.02
	benchGrid(b, m, 1)
}

// BenchmarkGridParallel: the same grid over all cores.
func BenchmarkGridParallel(b *testing.B) { benchGrid(b, DefaultModel(), 0) }

func maxProcs() int { return runtime.GOMAXPROCS(0) }

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkKernelWorstCase: the score alternates +1/−1 every bar over the real bars, so
// every bar is a trade decision and the tight scans never skip anything.
func BenchmarkKernelWorstCase(b *testing.B) {
	real := realBTC2023(b)
	sc := make([]float64, real.Bars.Len())
	for i := range sc {
		sc[i] = float64(1 - 2*(i%2))
	}
	tape := &Tape{Bars: real.Bars, Score: sc}
	rules := itbGrid()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuSeconds()
	for b.Loop() {
		Grid(tape, rules, DefaultModel(), 1)
	}
	steps := float64(tape.Bars.Len() * len(rules) * b.N)
	b.ReportMetric(steps/time.Since(start).Seconds()/1e6, "Msteps/s/core")
	b.ReportMetric(steps/(cpuSeconds()-cpu0)/1e6, "Msteps/cpu-s")
}
