package check_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/check"
	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/signals"
)

// shift is a test-only generator: out[t] = x[t-k]; k = -1 peeks at the next row.
type shift struct{ k int }

func (g shift) Inputs() []string  { return []string{"close"} }
func (g shift) Outputs() []string { return []string{fmt.Sprintf("close_shift_%d", g.k)} }
func (g shift) Window() int       { return max(g.k, 0) + 1 }
func (g shift) Lookback() int     { return max(g.k, 0) }
func (g shift) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := in.Col("close")
	if err != nil {
		return nil, err
	}
	out := frame.NaNs(len(x))
	for t := range x {
		if s := t - g.k; s >= 0 && s < len(x) {
			out[t] = x[s]
		}
	}
	return []frame.Column{{Name: g.Outputs()[0], Data: out}}, nil
}

// zscore is a test-only generator that normalises by the mean of the whole column: no row
// reads a later one directly, yet every value depends on the future.
type zscore struct{}

func (zscore) Inputs() []string  { return []string{"close"} }
func (zscore) Outputs() []string { return []string{"close_z"} }
func (zscore) Window() int       { return 0 }
func (zscore) Lookback() int     { return 0 }
func (zscore) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, _ := in.Col("close")
	m := 0.0
	for _, v := range x {
		m += v / float64(len(x))
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v - m
	}
	return []frame.Column{{Name: "close_z", Data: out}}, nil
}

// klines reads the first rows of the real BTCUSDT 2023 minutes into a frame.
func klines(t testing.TB, rows int) *frame.Frame {
	t.Helper()
	ks := sharedtest.ReadKlines(t, "BTCUSDT-1m-2023.csv.gz", rows)
	times := make([]int64, len(ks))
	fields := map[string]int{"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4, "trades": 7, "tb_base_av": 8}
	data := map[string][]float64{}
	for i, k := range ks {
		times[i] = k.OpenTime
		for name, j := range fields {
			data[name] = append(data[name], k.Float(t, j))
		}
	}
	f := frame.New(times)
	for _, name := range []string{"open", "high", "low", "close", "volume", "trades", "tb_base_av"} {
		f.Set(name, frame.Float, data[name])
	}
	return f
}

func testSteps(gens ...gen.Generator) []gen.Step {
	var steps []gen.Step
	for i, g := range gens {
		steps = append(steps, gen.Step{Key: fmt.Sprintf("feature_sets[%d] (test)", i), Gen: g})
	}
	return steps
}

func TestLookaheadCatchesFuturePeeking(t *testing.T) {
	f := klines(t, 600)
	rep, err := check.Lookahead(f, testSteps(shift{1}, shift{-1}, zscore{}, shift{5}), check.LookaheadOptions{Cuts: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rep.Columns, ","); got != "close_shift_1,close_shift_-1,close_z,close_shift_5" {
		t.Fatalf("columns %s", got)
	}
	if len(rep.CutRows) != 4 || rep.CutRows[0] != 120 {
		t.Fatalf("cuts %v", rep.CutRows)
	}
	if len(rep.Leaks) != 2 {
		t.Fatalf("leaks %+v, want close_shift_-1 and close_z", rep.Leaks)
	}
	// The next-row peek shows at the last row before the first cut: NaN there once the rows
	// after the cut are gone.
	l := rep.Leaks[0]
	close, _ := f.Col("close")
	if l.Column != "close_shift_-1" || l.Step != "feature_sets[1] (test)" || l.Cut != 120 || l.Row != 119 ||
		l.Full != close[120] || !math.IsNaN(l.Truncated) || l.Cuts != 4 || l.Time != f.Time[119] {
		t.Fatalf("peek leak %+v", l)
	}
	if z := rep.Leaks[1]; z.Column != "close_z" || z.Row != 0 || z.Cuts != 4 {
		t.Fatalf("z-score leak %+v", z)
	}
}

// talibConfig finds columns the TA-Lib function accepts among the usual input layouts.
func talibSteps(t *testing.T, name string) []gen.Step {
	t.Helper()
	layouts := []string{`"close"`, `["high","low","close"]`, `["high","low","close","volume"]`, `["open","high","low","close"]`,
		`["high","low"]`, `["close","volume"]`, `["close","open"]`}
	for _, windows := range []string{`,"windows":[5,14]`, ``} {
		for _, cols := range layouts {
			set := config.GeneratorSet{Generator: "talib", Config: json.RawMessage(`{"columns":` + cols + `,"functions":["` + name + `"]` + windows + `}`)}
			if steps, err := gen.Build("feature_sets", []config.GeneratorSet{set}, features.Default); err == nil {
				return steps
			}
		}
	}
	t.Fatalf("talib %s: no input layout builds", name)
	return nil
}

// shippedSteps is one step list per shipped generator configuration: every TA-Lib function,
// every itbstats and itblib function, the example, and every signal generator and mode.
func shippedSteps(t *testing.T) map[string][]gen.Step {
	t.Helper()
	out := map[string][]gen.Step{}
	for _, name := range features.TalibFunctions() {
		out["talib "+name] = talibSteps(t, name)
	}
	build := func(key string, reg *gen.Registry, sets ...config.GeneratorSet) {
		steps, err := gen.Build("sets", sets, reg)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		out[key] = steps
	}
	set := func(g, cfg string) config.GeneratorSet {
		return config.GeneratorSet{Generator: g, Config: json.RawMessage(cfg)}
	}
	build("itbstats", features.Default, set("itbstats", `{"columns":"close","functions":["scipy_skew","pandas_skew","scipy_kurtosis","pandas_kurtosis","lsbm","fmax","mean","std","area","slope"],"windows":[5,20]}`))
	build("itblib", features.Default, set("itblib", `{"base_window":30,"windows":[1,5,10]}`))
	build("example", features.Default, set(features.ExampleGeneratorName, `{"columns":"close","function":"add","parameter":2.0,"names":"close_add"}`))
	// Signals over feature columns: scores in [0, 1] from two RSIs.
	scores := set("talib", `{"columns":"close","functions":["RSI"],"windows":[14,30],"names":["up","down"]}`)
	steps, err := gen.Build("feature_sets", []config.GeneratorSet{scores}, features.Default)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ name, gen, cfg string }{
		{"combine difference", "combine", `{"columns":["up","down"],"names":"score","combine":"difference","coefficient":0.01}`},
		{"combine relative", "combine", `{"columns":["up","down"],"names":"score","combine":"relative"}`},
		{"combine default", "combine", `{"columns":["up","down"],"names":"score","constant":-50}`},
		{"smoothen rolling", "smoothen", `{"columns":["up","down"],"names":"score","window":10}`},
		{"smoothen ewm", "smoothen", `{"columns":["up","down"],"names":"score","point_threshold":50,"window":10.0}`},
		{"threshold_rule", "threshold_rule", `{"columns":"up","names":["buy","sell"],"parameters":{"buy_signal_threshold":60,"sell_signal_threshold":40}}`},
		{"threshold_rule2", "threshold_rule2", `{"columns":["up","down"],"names":["buy","sell"],"parameters":{"buy_signal_threshold":55,"buy_signal_threshold_2":50,"sell_signal_threshold":45,"sell_signal_threshold_2":50}}`},
	} {
		sig, err := gen.Build("signal_sets", []config.GeneratorSet{set(s.gen, s.cfg)}, signals.Default)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		out["signal "+s.name] = append(append([]gen.Step{}, steps...), sig...)
	}
	return out
}

// TestShippedGeneratorsPassLookahead runs every shipped generator over real minutes and
// checks that no value changes when later rows are cut off.
func TestShippedGeneratorsPassLookahead(t *testing.T) {
	rows := 3000
	if testing.Short() {
		rows = 1200
	}
	f := klines(t, rows)
	for key, steps := range shippedSteps(t) {
		rep, err := check.Lookahead(f, steps, check.LookaheadOptions{Cuts: 3})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for _, l := range rep.Leaks {
			t.Errorf("%s: %s changed at row %d when cut at %d: %v -> %v", key, l.Column, l.Row, l.Cut, l.Full, l.Truncated)
		}
	}
}

// TestDeclaredLookbackCoversWarmup measures every shipped generator's warm-up on real data:
// a generator that declares a bounded look-back (incremental features rely on it) must be
// reproduced with that much history.
func TestDeclaredLookbackCoversWarmup(t *testing.T) {
	rows := 1500
	if testing.Short() {
		rows = 700
	}
	f := klines(t, rows)
	for key, steps := range shippedSteps(t) {
		ws, err := check.Warmup(f, steps, check.WarmupOptions{Rows: 10})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for _, w := range ws {
			if w.Declared >= 0 && (!w.Stable || w.History > w.Declared) {
				t.Errorf("%s: %s declares look-back %d but needs %d rows of history (stable %v)", key, w.Column, w.Declared, w.History, w.Stable)
			}
		}
	}
}

func TestWarmupEMALongerThanSMA(t *testing.T) {
	f := klines(t, 4000)
	steps, err := gen.Build("feature_sets", []config.GeneratorSet{
		{Generator: "talib", Config: json.RawMessage(`{"columns":"close","functions":["SMA"],"windows":[20]}`)},
		{Generator: "talib", Config: json.RawMessage(`{"columns":"close","functions":["EMA"],"windows":[20]}`)},
		{Generator: "talib", Config: json.RawMessage(`{"columns":["close","volume"],"functions":["OBV"]}`)},
	}, features.Default)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := check.Warmup(f, steps, check.WarmupOptions{Rows: 20, Horizon: 120})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]check.ColumnWarmup{}
	for _, w := range ws {
		got[w.Column] = w
	}
	sma, ema, obv := got["close_SMA_20"], got["close_EMA_20"], got["close_volume_OBV"]
	// SMA_20 at row t reads rows t-19..t: exactly 19 rows of history, as declared.
	if sma.History != 19 || sma.Declared != 19 || !sma.Stable || !sma.Covered {
		t.Fatalf("SMA_20 %+v", sma)
	}
	// EMA_20 starts from an SMA seed and forgets it by (1-2/21) per row: it needs far more
	// history than its window to agree to 1e-9, and declares an unbounded look-back.
	if ema.History <= 3*sma.History || ema.Declared != -1 || !ema.Stable {
		t.Fatalf("EMA_20 %+v, SMA_20 %+v", ema, sma)
	}
	// OBV is a cumulative sum from the first row: no bounded history reproduces it.
	if obv.Stable || obv.Covered || obv.History != obv.MaxHistory {
		t.Fatalf("OBV %+v", obv)
	}
	if got := check.RequiredHistory(ws[:2]); got != ema.History {
		t.Fatalf("RequiredHistory of SMA and EMA = %d, want %d", got, ema.History)
	}
	if got := check.RequiredHistory(ws); got != -1 {
		t.Fatalf("RequiredHistory with OBV = %d, want -1", got)
	}
}

func TestEqual(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		a, b float64
		want bool
	}{{1, 1, true}, {nan, nan, true}, {nan, 1, false}, {0, 1e-300, false}, {100, 100 + 1e-8, true}, {100, 100.001, false}, {-0.0, 0, true}} {
		if got := check.Equal(c.a, c.b, 1e-9); got != c.want {
			t.Errorf("Equal(%v, %v) = %v", c.a, c.b, got)
		}
	}
}

func TestShippedStepsCoverEveryGenerator(t *testing.T) {
	if n := len(shippedSteps(t)); n != len(features.TalibFunctions())+10 {
		t.Fatalf("%d shipped configurations", n)
	}
}

// TestLookaheadCatchesITBInterpolation uses the real 80-minute gap of the 2023-03-24 Binance
// halt: ITB's linear interpolation (talib fill "linear") fills a missing bar from the next
// valid one, so the features inside the gap change when the data ends inside it; tradectl's
// default forward fill does not.
func TestLookaheadCatchesITBInterpolation(t *testing.T) {
	ks := sharedtest.ReadKlines(t, "BTCUSDT-1m-2023.csv.gz", 120000)
	start := int64(1679659200000) // 2023-03-24 12:00 UTC; no bars from 12:40 to 13:59
	const rows = 240
	times := make([]int64, rows)
	close := frame.NaNs(rows)
	for i := range times {
		times[i] = start + int64(i)*60000
	}
	for _, k := range ks {
		if i := (k.OpenTime - start) / 60000; k.OpenTime >= start && i < rows {
			close[i] = k.Float(t, 3)
		}
	}
	if !math.IsNaN(close[40]) || !math.IsNaN(close[119]) || math.IsNaN(close[39]) || math.IsNaN(close[120]) {
		t.Fatalf("the halt gap is not at rows 40..119 of the slice")
	}
	f := frame.New(times)
	f.Set("close", frame.Float, close)
	for _, c := range []struct {
		fill  string
		leaks int
	}{{"ffill", 0}, {"linear", 1}} {
		steps, err := gen.Build("feature_sets", []config.GeneratorSet{{Generator: "talib",
			Config: json.RawMessage(`{"columns":"close","functions":["SMA"],"windows":[5],"parameters":{"fill":"` + c.fill + `"}}`)}}, features.Default)
		if err != nil {
			t.Fatal(err)
		}
		// One cut at row 80, inside the gap.
		rep, err := check.Lookahead(f, steps, check.LookaheadOptions{Cuts: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Leaks) != c.leaks {
			t.Fatalf("fill %s: leaks %+v, want %d", c.fill, rep.Leaks, c.leaks)
		}
		if c.leaks > 0 && (rep.Leaks[0].Cut != 80 || rep.Leaks[0].Row != 40) {
			t.Fatalf("fill %s: leak %+v, want the first gap row 40 at the cut at row 80", c.fill, rep.Leaks[0])
		}
	}
}
