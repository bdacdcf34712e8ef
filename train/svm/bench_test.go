package svm

import (
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/tradectl/tradectl/internal/sharedtest"
)

// ITB's 1h reference config trains svc on `length: 26280` rows (three years of hourly bars).
const benchRows = 26280

// hourBars aggregates one-minute klines into hourly bars keyed by the hour of the open time.
type hourBars struct{ close, high, low, volume []float64 }

func readHourly(tb testing.TB, files ...string) hourBars {
	tb.Helper()
	var h hourBars
	last := int64(math.MinInt64)
	for _, f := range files {
		for _, k := range sharedtest.ReadKlines(tb, f, 0) {
			hour := k.OpenTime / 3_600_000
			hi, lo, cl, vo := k.Float(tb, 1), k.Float(tb, 2), k.Float(tb, 3), k.Float(tb, 4)
			if hour != last {
				h.close = append(h.close, cl)
				h.high = append(h.high, hi)
				h.low = append(h.low, lo)
				h.volume = append(h.volume, vo)
				last = hour
				continue
			}
			n := len(h.close) - 1
			h.close[n] = cl
			h.high[n] = max(h.high[n], hi)
			h.low[n] = min(h.low[n], lo)
			h.volume[n] += vo
		}
	}
	return h
}

// hourlyFeatures builds 16 features over 1..168-hour windows and the label "rises 3% within
// 24 h before falling 0.6%" for rows 168 .. n−25 (full look-back and look-ahead).
func hourlyFeatures(h hourBars) (rows [][]float64, label []float64) {
	n := len(h.close)
	c := h.close
	sma := func(x []float64, i, w int) float64 {
		s := 0.0
		for k := i - w + 1; k <= i; k++ {
			s += x[k]
		}
		return s / float64(w)
	}
	slope := func(i, w int) float64 { // least-squares slope against time, per bar
		var st, sy, stt, sty float64
		for k := 0; k < w; k++ {
			t, v := float64(k), c[i-w+1+k]
			st, sy, stt, sty = st+t, sy+v, stt+t*t, sty+t*v
		}
		fw := float64(w)
		return (fw*sty - st*sy) / (fw*stt - st*st)
	}
	retStd := func(i, w int) float64 {
		var s, ss float64
		for k := i - w + 1; k <= i; k++ {
			r := math.Log(c[k] / c[k-1])
			s, ss = s+r, ss+r*r
		}
		m := s / float64(w)
		return math.Sqrt(math.Max(ss/float64(w)-m*m, 0))
	}
	for i := 169; i < n-24; i++ {
		var f []float64
		for _, w := range []int{3, 6, 12, 24, 72, 168} {
			f = append(f, c[i]/sma(c, i, w)-1)
		}
		for _, w := range []int{6, 24, 72, 168} {
			f = append(f, slope(i, w)/c[i])
		}
		for _, w := range []int{6, 24, 72, 168} {
			f = append(f, retStd(i, w))
		}
		f = append(f, math.Log((h.volume[i]+1e-9)/(sma(h.volume, i, 24)+1e-9)))
		f = append(f, (h.high[i]-h.low[i])/c[i])
		y := 0.0
		for k := i + 1; k <= i+24; k++ {
			if h.low[k] <= c[i]*(1-0.006) {
				break
			}
			if h.high[k] >= c[i]*1.03 {
				y = 1
				break
			}
		}
		rows = append(rows, f)
		label = append(label, y)
	}
	return rows, label
}

// standardColumns z-scores row-major features into columns (StandardScaler, population std).
func standardColumns(rows [][]float64) [][]float64 {
	d := len(rows[0])
	cols := make([][]float64, d)
	for j := range cols {
		col := make([]float64, len(rows))
		m := 0.0
		for i, r := range rows {
			col[i] = r[j]
			m += r[j]
		}
		m /= float64(len(rows))
		v := 0.0
		for _, x := range col {
			v += (x - m) * (x - m)
		}
		sd := math.Sqrt(v / float64(len(col)))
		if sd == 0 {
			sd = 1
		}
		for i := range col {
			col[i] = (col[i] - m) / sd
		}
		cols[j] = col
	}
	return cols
}

var btcCache struct {
	cols [][]float64
	y    []float64
}

// btcHourly returns benchRows rows: BTCUSDT hourly 2022-01 → 2024-06 (about 21.6k rows) and,
// to reach ITB's three-year length, the first ETHUSDT 2022 hourly rows (features per asset).
func btcHourly(b *testing.B) ([][]float64, []float64) {
	if btcCache.cols == nil {
		rows, y := hourlyFeatures(readHourly(b, "BTCUSDT-1m-2022.csv.gz", "BTCUSDT-1m-2023.csv.gz",
			"BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz"))
		if len(rows) < benchRows {
			r2, y2 := hourlyFeatures(readHourly(b, "ETHUSDT-1m-2022.csv.gz"))
			k := benchRows - len(rows)
			rows, y = append(rows, r2[:k]...), append(y, y2[:k]...)
		}
		btcCache.cols, btcCache.y = standardColumns(rows[:benchRows]), y[:benchRows]
	}
	return btcCache.cols, btcCache.y
}

// synthetic is n×d standard-normal features with a noisy non-linear rule, about 10% positive.
func synthetic(n, d int, seed uint64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range cols[j] {
			cols[j][i] = r.NormFloat64()
		}
	}
	score := make([]float64, n)
	for i := range score {
		score[i] = cols[0][i]*cols[1][i] + math.Sin(2*cols[2][i]) + 0.5*cols[3][i]*cols[3][i] + r.NormFloat64()
	}
	s := append([]float64(nil), score...)
	sort.Float64s(s)
	thr := s[n*9/10]
	y := make([]float64, n)
	for i, v := range score {
		if v > thr {
			y[i] = 1
		}
	}
	return cols, y
}

// benchFit fits with DefaultParams; SVM_CACHE_MB overrides the cache budget.
func benchFit(b *testing.B, cols [][]float64, y []float64) {
	pos := 0.0
	for _, v := range y {
		pos += v
	}
	b.Logf("rows %d, features %d, positives %.1f%%", len(y), len(cols), 100*pos/float64(len(y)))
	p := DefaultParams()
	if v := os.Getenv("SVM_CACHE_MB"); v != "" {
		mb, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatalf("SVM_CACHE_MB: %v", err)
		}
		p.CacheSizeMB = mb
	}
	b.ResetTimer()
	for b.Loop() {
		m, err := Fit(cols, y, p)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(m.DualCoef)), "SVs")
		b.ReportMetric(float64(m.Iterations), "iters")
		b.Logf("SVs %d (class0 %d, class1 %d), iterations %d, A %.4f, B %.4f", len(m.DualCoef),
			m.NSupport[0], m.NSupport[1], m.Iterations, m.ProbA, m.ProbB)
	}
}

// BenchmarkFitBTCHourly is ITB's 1h svc: 26,280 × 16 standardised features, C=1, gamma
// "scale", probability (5 CV fits + the final fit).
func BenchmarkFitBTCHourly(b *testing.B) {
	cols, y := btcHourly(b)
	benchFit(b, cols, y)
}

// BenchmarkFitSynthetic is the same size with Gaussian features and a noisy non-linear rule.
func BenchmarkFitSynthetic(b *testing.B) {
	cols, y := synthetic(benchRows, 16, 1)
	benchFit(b, cols, y)
}

// BenchmarkFitSmall is a quick 4,000-row synthetic case.
func BenchmarkFitSmall(b *testing.B) {
	cols, y := synthetic(4000, 16, 1)
	benchFit(b, cols, y)
}
