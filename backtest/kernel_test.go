package backtest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomTape makes n bars of a random walk with a random score (some NaN) and a second score.
func randomTape(rng *rand.Rand, n int) *Tape {
	b := &Bars{}
	price := 100.0
	sc, sc2 := make([]float64, n), make([]float64, n)
	for i := range n {
		o := price * (1 + 0.01*rng.NormFloat64())
		c := o * (1 + 0.02*rng.NormFloat64())
		if rng.IntN(20) == 0 { // a gap
			o *= 1 + 0.08*rng.NormFloat64()
		}
		o, c = math.Max(o, 1), math.Max(c, 1)
		h := math.Max(o, c) * (1 + 0.02*rng.Float64())
		l := math.Min(o, c) * (1 - 0.02*rng.Float64())
		b.Time = append(b.Time, int64(i)*60_000)
		b.Open, b.High, b.Low, b.Close = append(b.Open, o), append(b.High, h), append(b.Low, l), append(b.Close, c)
		price = c
		sc[i], sc2[i] = rng.NormFloat64()*0.1, rng.NormFloat64()*0.1
		if rng.IntN(10) == 0 {
			sc[i] = math.NaN()
		}
		if rng.IntN(10) == 0 {
			sc2[i] = math.NaN()
		}
	}
	return &Tape{Bars: b, Score: sc, Score2: sc2}
}

func randomModel(rng *rand.Rand) Model {
	m := Model{FeeBps: float64(rng.IntN(30)), SlippageBps: float64(rng.IntN(10)), Fill: Fill(rng.IntN(2)),
		Size: []float64{1, 0.5, 0.25}[rng.IntN(3)], Direction: Direction(rng.IntN(2)), Equity: 1000}
	if rng.IntN(2) == 0 {
		m.StopLoss = 0.005 + 0.03*rng.Float64()
	}
	if rng.IntN(2) == 0 {
		m.TakeProfit = 0.005 + 0.05*rng.Float64()
	}
	return m
}

// The kernel equals the general engine (Paper through Run, then Summarize) on random tapes,
// models and rules, bit for bit.
func TestKernelEqualsEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	runs := 3000
	if testing.Short() {
		runs = 300
	}
	trades := 0
	for k := range runs {
		tape := randomTape(rng, 1+rng.IntN(300))
		if rng.IntN(2) == 0 {
			tape.Score2 = nil
		}
		r := Rule{Buy: 0.2 * rng.Float64(), Sell: -0.2 * rng.Float64(), Buy2: 0.1 * rng.NormFloat64(), Sell2: 0.1 * rng.NormFloat64()}
		if rng.IntN(10) == 0 { // overlapping thresholds: bars with both signals are no trade
			r.Sell = 0.05
		}
		m := randomModel(rng)
		res, err := Run(tape.Bars, r.Signals(tape.Score, tape.Score2), m)
		if err != nil {
			t.Fatal(err)
		}
		want := Summarize(tape.Bars, res)
		got := Kernel(tape, r, m)
		if got != want {
			t.Fatalf("run %d (%d bars, %+v, %+v):\nkernel %+v\nengine %+v", k, tape.Bars.Len(), r, m, got, want)
		}
		trades += got.Trades
	}
	if trades < runs { // the tapes must exercise trading, not only idle runs
		t.Fatalf("only %d trades in %d runs", trades, runs)
	}
}

// Grid returns the kernel's summaries in rule order, whatever the number of workers.
func TestGridOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tape := randomTape(rng, 500)
	var rules []Rule
	for _, b := range []float64{0.02, 0.05, 0.1} {
		for _, s := range []float64{-0.02, -0.05, -0.1} {
			rules = append(rules, Rule{Buy: b, Sell: s, Buy2: math.Inf(-1), Sell2: math.Inf(1)})
		}
	}
	m := DefaultModel()
	for _, w := range []int{1, 2, 4, 0} {
		got := Grid(tape, rules, m, w)
		for i, r := range rules {
			if want := Kernel(tape, r, m); got[i] != want {
				t.Fatalf("workers %d rule %d: %+v, want %+v", w, i, got[i], want)
			}
		}
	}
}

// No look-ahead: the equity at every bar up to k is the same when every bar and score after
// k is rewritten (a decision at a bar's close fills at that close or at the next open).
func TestEngineNoLookAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		a := randomTape(rng, 20+rng.IntN(200))
		n := a.Bars.Len()
		k := rng.IntN(n - 1)
		b := randomTape(rng, n)
		// b = a up to bar k, then other bars and scores.
		for i := 0; i <= k; i++ {
			b.Bars.Open[i], b.Bars.High[i], b.Bars.Low[i], b.Bars.Close[i] = a.Bars.Open[i], a.Bars.High[i], a.Bars.Low[i], a.Bars.Close[i]
			b.Score[i], b.Score2[i] = a.Score[i], a.Score2[i]
		}
		r := Rule{Buy: 0.05, Sell: -0.05, Buy2: -0.1, Sell2: 0.1}
		m := randomModel(rng)
		ra, err := Run(a.Bars, r.Signals(a.Score, a.Score2), m)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := Run(b.Bars, r.Signals(b.Score, b.Score2), m)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i <= k; i++ {
			if ra.Equity[i] != rb.Equity[i] {
				t.Fatalf("%+v: equity at bar %d (cut at %d) changed with later bars: %v vs %v", m, i, k, ra.Equity[i], rb.Equity[i])
			}
		}
	}
}
