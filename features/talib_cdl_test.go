package features

import (
	"strings"

	"github.com/tradectl/tradectl/internal/sharedtest"
	"math"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
)

// bar is one hand-made candle: open, high, low, close.
type bar [4]float64

// calmBars returns n identical candles o=100 h=101.5 l=99.5 c=101: body 1, range 2 and
// shadows 0.5, so with TA-Lib's default settings, for a candle after at least 10 of them:
// long body > 1, short body <= 1 (or < 1), doji body <= 0.2, very short shadow < 0.2,
// short shadow < 0.5, near 0.4, equal 0.1.
func calmBars(n int) []bar {
	out := make([]bar, n)
	for i := range out {
		out[i] = bar{100, 101.5, 99.5, 101}
	}
	return out
}

// cdlFrame builds a frame of open/high/low/close from bars.
func cdlFrame(t *testing.T, bars []bar) *frame.Frame {
	t.Helper()
	tm := make([]int64, len(bars))
	cols := make([][]float64, 4)
	for k := range cols {
		cols[k] = make([]float64, len(bars))
	}
	for i, b := range bars {
		tm[i] = int64(i) * 60000
		for k := range cols {
			cols[k][i] = b[k]
		}
	}
	f := frame.New(tm)
	for k, name := range []string{"open", "high", "low", "close"} {
		if err := f.Set(name, frame.Float, cols[k]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestCDLHandTapes checks patterns on tapes worked out by hand (see calmBars for the
// thresholds): each case gives the pattern candles appended to 14 calm candles and the
// outputs wanted for them.
func TestCDLHandTapes(t *testing.T) {
	cases := []struct {
		name, fn, params string
		bars             []bar
		want             []float64
	}{
		{"doji: body 0.1 <= 0.2", "CDLDOJI", "", []bar{{100, 101, 99, 100.1}}, []float64{100}},
		{"no doji: body 0.3 > 0.2", "CDLDOJI", "", []bar{{100, 101, 99, 100.3}}, []float64{0}},
		{"bullish engulfing, strict", "CDLENGULFING", "", []bar{{101, 101.5, 99.5, 100}, {99.5, 101.7, 99.4, 101.5}}, []float64{0, 100}},
		{"bullish engulfing, open equals prior close", "CDLENGULFING", "", []bar{{101, 101.5, 99.5, 100}, {100, 101.7, 99.4, 101.5}}, []float64{0, 80}},
		{"bearish engulfing", "CDLENGULFING", "", []bar{{100, 101.5, 99.5, 101}, {101.5, 101.6, 99, 99.5}}, []float64{0, -100}},
		{"no engulfing: second body inside", "CDLENGULFING", "", []bar{{101, 101.5, 99.5, 100}, {99.5, 101.7, 99.4, 100.8}}, []float64{0, 0}},
		// Hammer: body 0.2 < 1, lower shadow 1.6 > body, upper 0.05 < 0.2, body bottom 99.6 <= prior low 99.5 + near 0.4.
		{"hammer", "CDLHAMMER", "", []bar{{99.6, 99.85, 98, 99.8}}, []float64{100}},
		{"no hammer: upper shadow 0.4", "CDLHAMMER", "", []bar{{99.6, 100.2, 98, 99.8}}, []float64{0}},
		{"no hammer: body too high above the prior low", "CDLHAMMER", "", []bar{{100, 100.25, 98, 100.2}}, []float64{0}},
		// Morning star: long black (body 3), short star gapping down (body 0.2 <= 1.2), white
		// closing at 101 > 99 + 3*0.3 with body 2.4 > 1.12.
		{"morning star", "CDLMORNINGSTAR", "", []bar{{102, 102.2, 98.8, 99}, {98.5, 98.6, 98, 98.3}, {98.6, 101.1, 98.5, 101}}, []float64{0, 0, 100}},
		{"no morning star: third closes at 99.8 < 99.9", "CDLMORNINGSTAR", "", []bar{{102, 102.2, 98.8, 99}, {98.5, 98.6, 98, 98.3}, {98.6, 99.9, 98.5, 99.8}}, []float64{0, 0, 0}},
		{"morning star with penetration 0.2: 99.8 > 99.6", "CDLMORNINGSTAR", `,"parameters":{"penetration":0.2}`, []bar{{102, 102.2, 98.8, 99}, {98.5, 98.6, 98, 98.3}, {98.6, 99.9, 98.5, 99.8}}, []float64{0, 0, 100}},
		// Dark cloud cover, default penetration 0.5: black opening above the prior high 103.2
		// and closing at 101.2 < 103 - 3*0.5.
		{"dark cloud cover", "CDLDARKCLOUDCOVER", "", []bar{{100, 103.2, 99.9, 103}, {103.5, 103.6, 101, 101.2}}, []float64{0, -100}},
		{"no dark cloud cover: 101.8 > 101.5", "CDLDARKCLOUDCOVER", "", []bar{{100, 103.2, 99.9, 103}, {103.5, 103.6, 101.7, 101.8}}, []float64{0, 0}},
		{"dark cloud cover with penetration 0.3: 101.8 < 102.1", "CDLDARKCLOUDCOVER", `,"parameters":{"penetration":0.3}`, []bar{{100, 103.2, 99.9, 103}, {103.5, 103.6, 101.7, 101.8}}, []float64{0, -100}},
		// Marubozu: body 3 > 1, both shadows 0.05 < 0.2.
		{"white marubozu", "CDLMARUBOZU", "", []bar{{100, 103.05, 99.95, 103}}, []float64{100}},
		{"black marubozu", "CDLMARUBOZU", "", []bar{{103, 103.05, 99.95, 100}}, []float64{-100}},
		{"no marubozu: lower shadow 0.5", "CDLMARUBOZU", "", []bar{{103, 103.05, 99.5, 100}}, []float64{0}},
		// Hikkake: an inside bar, then a bar with lower high and lower low (+100), then a close
		// above the inside bar's high 101 two bars later (+200).
		{"hikkake and its confirmation", "CDLHIKKAKE", "", []bar{{100, 102, 98, 101}, {100.2, 101, 99, 100.8}, {100, 100.5, 98.5, 99.5},
			{99.5, 100.8, 99.2, 100.5}, {100.5, 101.7, 100.3, 101.5}}, []float64{0, 0, 100, 0, 200}},
		{"hikkake confirmed too late", "CDLHIKKAKE", "", []bar{{100, 102, 98, 101}, {100.2, 101, 99, 100.8}, {100, 100.5, 98.5, 99.5},
			{99.5, 100.8, 99.2, 100.5}, {99.5, 100.8, 99.2, 100.5}, {99.5, 100.8, 99.2, 100.5}, {100.5, 101.7, 100.3, 101.5}},
			[]float64{0, 0, 100, 0, 0, 0, 0}},
		// Three black crows after a white candle: each opens inside the prior body, closes lower,
		// lower shadows 0.05 < 0.2.
		{"three black crows", "CDL3BLACKCROWS", "", []bar{{100, 104, 99.9, 103.9}, {103.5, 103.6, 101.95, 102}, {102.5, 102.6, 100.95, 101}, {101.5, 101.6, 99.95, 100}},
			[]float64{0, 0, 0, -100}},
		{"no three black crows: third opens below the second's body", "CDL3BLACKCROWS", "", []bar{{100, 104, 99.9, 103.9}, {103.5, 103.6, 101.95, 102}, {102.5, 102.6, 100.95, 101}, {100.9, 101, 99.95, 100}},
			[]float64{0, 0, 0, 0}},
		// Harami: long white (body 3), then a body of 0.5 <= (9*1+3)/10 inside it.
		{"bearish harami", "CDLHARAMI", "", []bar{{100, 103.2, 99.8, 103}, {101, 101.7, 100.8, 101.5}}, []float64{0, -100}},
		{"harami touching the top: -80", "CDLHARAMI", "", []bar{{100, 103.2, 99.8, 103}, {102.5, 103.1, 102.4, 103}}, []float64{0, -80}},
		{"no harami: body leaves the first", "CDLHARAMI", "", []bar{{100, 103.2, 99.8, 103}, {99.5, 100.2, 99.4, 100}}, []float64{0, 0}},
		// Kicking: black marubozu, then a white one gapping above it (shadows 0.05 < 0.211).
		{"kicking", "CDLKICKING", "", []bar{{103, 103.05, 99.95, 100}, {103.5, 106.55, 103.45, 106.5}}, []float64{0, 100}},
		{"kicking by length: equal bodies, the first (black) counts", "CDLKICKINGBYLENGTH", "", []bar{{103, 103.05, 99.95, 100}, {103.5, 106.55, 103.45, 106.5}}, []float64{0, -100}},
		{"kicking by length: longer white", "CDLKICKINGBYLENGTH", "", []bar{{103, 103.05, 99.95, 100}, {103.5, 107.55, 103.45, 107.5}}, []float64{0, 100}},
		{"no kicking: shadows touch", "CDLKICKING", "", []bar{{103, 103.05, 99.95, 100}, {103.5, 106.55, 103, 106.5}}, []float64{0, 0}},
		{"three outside up", "CDL3OUTSIDE", "", []bar{{101, 101.5, 99.5, 100}, {99.8, 101.3, 99.7, 101.2}, {101.2, 101.9, 101.1, 101.8}}, []float64{0, 0, 100}},
		{"no three outside: third closes lower", "CDL3OUTSIDE", "", []bar{{101, 101.5, 99.5, 100}, {99.8, 101.3, 99.7, 101.2}, {101.2, 101.9, 100.9, 101}}, []float64{0, 0, 0}},
		// Tristar: three dojis (bodies 0.1 <= 0.2), the middle one gapping up, the third lower.
		{"bearish tristar", "CDLTRISTAR", "", []bar{{100, 101, 99, 100.1}, {101, 102, 100.5, 101.1}, {100.5, 101.5, 99.5, 100.6}}, []float64{0, 0, -100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calm := 14
			f := cdlFrame(t, append(calmBars(calm), c.bars...))
			cfg := `{"columns":{"open":"open","high":"high","low":"low","close":"close"},"functions":["` + c.fn + `"]` + c.params + `}`
			g := mustBuild(t, "talib", cfg)
			cols, err := g.Generate(f)
			if err != nil {
				t.Fatal(err)
			}
			col := cols[0]
			if col.Name != "open_high_low_close_"+c.fn || col.Kind != frame.Int {
				t.Fatalf("column %q kind %v, want open_high_low_close_%s int", col.Name, col.Kind, c.fn)
			}
			s, _ := lookupTalib(c.fn)
			lb := s.lookback(0, defaults(s))
			for i, v := range col.Data {
				switch {
				case i < lb && !math.IsNaN(v):
					t.Fatalf("row %d (lookback %d) = %v, want NaN", i, lb, v)
				case i >= lb && i < calm && v != 0:
					t.Fatalf("calm row %d = %v, want 0", i, v)
				case i >= calm && v != c.want[i-calm]:
					t.Fatalf("pattern row %d = %v, want %v (all: %v)", i-calm, v, c.want[i-calm], col.Data[calm:])
				}
			}
		})
	}
}

// TestCDLLookbacks checks each pattern's lookback against TA-Lib C's *_Lookback() with the
// default candle settings (as reported by talib-web, scripts/cdl-oracle.mjs) and the table.
func TestCDLLookbacks(t *testing.T) {
	want := map[string]int{
		"CDL2CROWS": 12, "CDL3BLACKCROWS": 13, "CDL3INSIDE": 12, "CDL3LINESTRIKE": 8, "CDL3OUTSIDE": 3,
		"CDL3STARSINSOUTH": 12, "CDL3WHITESOLDIERS": 12, "CDLABANDONEDBABY": 12, "CDLADVANCEBLOCK": 12,
		"CDLBELTHOLD": 10, "CDLBREAKAWAY": 14, "CDLCLOSINGMARUBOZU": 10, "CDLCONCEALBABYSWALL": 13,
		"CDLCOUNTERATTACK": 11, "CDLDARKCLOUDCOVER": 11, "CDLDOJI": 10, "CDLDOJISTAR": 11, "CDLDRAGONFLYDOJI": 10,
		"CDLENGULFING": 2, "CDLEVENINGDOJISTAR": 12, "CDLEVENINGSTAR": 12, "CDLGAPSIDESIDEWHITE": 7,
		"CDLGRAVESTONEDOJI": 10, "CDLHAMMER": 11, "CDLHANGINGMAN": 11, "CDLHARAMI": 11, "CDLHARAMICROSS": 11,
		"CDLHIGHWAVE": 10, "CDLHIKKAKE": 5, "CDLHIKKAKEMOD": 10, "CDLHOMINGPIGEON": 11, "CDLIDENTICAL3CROWS": 12,
		"CDLINNECK": 11, "CDLINVERTEDHAMMER": 11, "CDLKICKING": 11, "CDLKICKINGBYLENGTH": 11, "CDLLADDERBOTTOM": 14,
		"CDLLONGLEGGEDDOJI": 10, "CDLLONGLINE": 10, "CDLMARUBOZU": 10, "CDLMATCHINGLOW": 6, "CDLMATHOLD": 14,
		"CDLMORNINGDOJISTAR": 12, "CDLMORNINGSTAR": 12, "CDLONNECK": 11, "CDLPIERCING": 11, "CDLRICKSHAWMAN": 10,
		"CDLRISEFALL3METHODS": 14, "CDLSEPARATINGLINES": 11, "CDLSHOOTINGSTAR": 11, "CDLSHORTLINE": 10,
		"CDLSPINNINGTOP": 10, "CDLSTALLEDPATTERN": 12, "CDLSTICKSANDWICH": 7, "CDLTAKURI": 10, "CDLTASUKIGAP": 7,
		"CDLTHRUSTING": 11, "CDLTRISTAR": 12, "CDLUNIQUE3RIVER": 12, "CDLUPSIDEGAP2CROWS": 12, "CDLXSIDEGAP3METHODS": 2,
	}
	if len(cdlPatterns) != 61 || len(want) != 61 {
		t.Fatalf("%d patterns in the table, %d lookbacks, want 61", len(cdlPatterns), len(want))
	}
	f := randomKlines(5, 60)
	for _, p := range cdlPatterns {
		if p.lookback != want[p.name] {
			t.Errorf("%s lookback %d, TA-Lib %d", p.name, p.lookback, want[p.name])
		}
		// Through the generator: exactly lookback NaN rows, then integers in {0, ±80, ±100, ±200}.
		g := mustBuild(t, "talib", funcConfig(p.name, ""))
		cols, err := g.Generate(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range cols[0].Data {
			if (i < p.lookback) != math.IsNaN(v) {
				t.Fatalf("%s row %d = %v with lookback %d", p.name, i, v, p.lookback)
			}
			if i >= p.lookback && v != 0 && math.Abs(v) != 80 && math.Abs(v) != 100 && math.Abs(v) != 200 {
				t.Fatalf("%s row %d = %v, not a pattern output", p.name, i, v)
			}
		}
	}
}

// BenchmarkCDLAll1m computes all 61 candlestick patterns in one talib step over the full
// BTCUSDT-1m-2023 file (525,520 rows).
func BenchmarkCDLAll1m(b *testing.B) {
	rows := sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0)
	cols := map[string][]float64{}
	for k, name := range []string{"open", "high", "low", "close"} {
		x := make([]float64, len(rows))
		for i, r := range rows {
			x[i] = r.Float(b, k)
		}
		cols[name] = x
	}
	f := frameOf(cols)
	names := make([]string, len(cdlPatterns))
	for i, p := range cdlPatterns {
		names[i] = `"` + p.name + `"`
	}
	g := mustBuild(b, "talib", `{"columns":{"open":"open","high":"high","low":"low","close":"close"},"functions":[`+strings.Join(names, ",")+`]}`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out, err := g.Generate(f)
		if err != nil || len(out) != 61 {
			b.Fatalf("%d columns, %v", len(out), err)
		}
	}
}

// TestCDLNoLookAhead checks every pattern at many cut rows (the generic TestTalibNoLookAhead
// cuts at 3 rows only, where a pattern leaking one candle ahead can go unseen).
func TestCDLNoLookAhead(t *testing.T) {
	f := randomKlines(6, 260)
	var rows []int
	for r := 20; r < 250; r += 9 {
		rows = append(rows, r)
	}
	for _, p := range cdlPatterns {
		checkNoLookAhead(t, mustBuild(t, "talib", funcConfig(p.name, "")), f, rows, 11)
	}
}
