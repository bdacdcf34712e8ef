package logreg

import (
	"math"
	"testing"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

const (
	realWarmup  = 240 // longest feature window
	realHorizon = 60  // label horizon
)

// realProblem builds rows×13 standardised features from BTCUSDT 1m 2022 closes, highs, lows and
// volumes (returns over 1..60 minutes, close/SMA ratios over 5..240 minutes, the bar range and
// a volume ratio) and the label "the close rises 0.5% within the next 60 minutes".
func realProblem(tb testing.TB, rows int) ([][]float64, []float64) {
	tb.Helper()
	kl := sharedtest.ReadKlines(tb, "BTCUSDT-1m-2022.csv.gz", rows+realWarmup+realHorizon)
	if len(kl) < rows+realWarmup+realHorizon {
		tb.Fatalf("only %d klines", len(kl))
	}
	n := len(kl)
	cl, hi, lo, vo := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, k := range kl {
		hi[i], lo[i], cl[i], vo[i] = k.Float(tb, 1), k.Float(tb, 2), k.Float(tb, 3), k.Float(tb, 4)
	}
	prefix := func(v []float64) []float64 {
		s := make([]float64, len(v)+1)
		for i, x := range v {
			s[i+1] = s[i] + x
		}
		return s
	}
	pc, pv := prefix(cl), prefix(vo)
	sma := func(p []float64, t, w int) float64 { return (p[t+1] - p[t+1-w]) / float64(w) }

	var cols [][]float64
	add := func(f func(t int) float64) {
		c := make([]float64, rows)
		for i := range c {
			c[i] = f(i + realWarmup)
		}
		cols = append(cols, c)
	}
	for _, k := range []int{1, 2, 5, 10, 30, 60} {
		add(func(t int) float64 { return cl[t]/cl[t-k] - 1 })
	}
	for _, w := range []int{5, 10, 20, 60, 120, 240} {
		add(func(t int) float64 { return cl[t]/sma(pc, t, w) - 1 })
	}
	add(func(t int) float64 { return (hi[t] - lo[t]) / cl[t] })
	add(func(t int) float64 { return math.Log1p(vo[t] / (sma(pv, t, 60) + 1e-9)) })
	cols = cols[:13] // 6 returns + 6 SMA ratios + range
	y := make([]float64, rows)
	for i := range y {
		t := i + realWarmup
		for h := t + 1; h <= t+realHorizon; h++ {
			if cl[h] >= cl[t]*1.005 {
				y[i] = 1
				break
			}
		}
	}
	// StandardScaler: population standard deviation, zero std treated as 1.
	for _, c := range cols {
		mean, ss := 0.0, 0.0
		for _, v := range c {
			mean += v
		}
		mean /= float64(len(c))
		for _, v := range c {
			ss += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(ss / float64(len(c)))
		if sd == 0 {
			sd = 1
		}
		for i, v := range c {
			c[i] = (v - mean) / sd
		}
	}
	return cols, y
}

// TestRealData fits 50k rows (20k with -short) of real features at the default tolerance and compares the
// predicted probabilities with an independent Newton solution of the same objective.
func TestRealData(t *testing.T) {
	rows := 50_000
	if testing.Short() {
		rows = 20_000 // keeps the race-detector run short
	}
	cols, y := realProblem(t, rows)
	p := DefaultParams()
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Converged {
		t.Errorf("not converged: %+v", m)
	}
	want := newton(t, cols, y, p)
	got := make([]float64, len(y))
	if err := m.PredictProba(cols, got); err != nil {
		t.Fatal(err)
	}
	ref := &Model{Coef: want[:len(cols)], Intercept: want[len(cols)]}
	exp := make([]float64, len(y))
	if err := ref.PredictProba(cols, exp); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(got[i]-exp[i]))
	}
	t.Logf("iterations %d, evaluations %d, grad %.2g, max |Δp| vs Newton %.2g", m.Iterations, m.Evaluations, m.GradNorm, worst)
	if worst > 1e-3 {
		t.Errorf("max |p - p_newton| = %g", worst)
	}
	mt, err := Fit(cols, y, tight(p))
	if err != nil {
		t.Fatal(err)
	}
	for j, w := range want {
		g := mt.Intercept
		if j < len(cols) {
			g = mt.Coef[j]
		}
		if math.Abs(g-w) > 1e-4 {
			t.Errorf("tight tol: theta[%d] = %.8g, newton %.8g", j, g, w)
		}
	}
}

// BenchmarkFitReference fits 525,000 rows × 13 real standardised features with ITB's lc settings
// (l2, C=1, max_iter 100, default tol).
func BenchmarkFitReference(b *testing.B) {
	cols, y := realProblem(b, 525_000)
	p := DefaultParams()
	b.ResetTimer()
	var m *Model
	for b.Loop() {
		var err error
		if m, err = Fit(cols, y, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.Iterations), "iters")
	b.ReportMetric(float64(m.Evaluations), "evals")
}
