package features

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

// referenceConfig1m is the feature_sets of ITB's shipped configs/config-sample-1min.jsonc.
var referenceConfig1m = []struct{ name, cfg string }{
	{"talib", `{"columns":["close"],"functions":["SMA"],"windows":[1,5,10,15,60]}`},
	{"talib", `{"columns":["close"],"functions":["LINEARREG_SLOPE"],"windows":[5,10,15,60]}`},
	{"talib", `{"columns":["close"],"functions":["STDDEV"],"windows":[5,10,15,60]}`},
	{"common.my_feature_example:my_feature_example", `{"columns":"close","function":"add","parameter":2.0,"names":"close_add"}`},
}

func TestTalibConfigErrors(t *testing.T) {
	tests := []struct {
		name, cfg string
		words     []string
	}{
		{"unknown function", `{"columns":"close","functions":["SMA","FOO"]}`, []string{`"FOO"`, "function"}},
		{"unknown key", `{"columns":"close","functions":["SMA"],"window":[5]}`, []string{`"window"`, "unknown key"}},
		{"unknown parameter", `{"columns":"close","functions":["SMA"],"parameters":{"nbdevup":2}}`, []string{`"nbdevup"`}},
		{"windows string", `{"columns":"close","functions":["SMA"],"windows":"5"}`, []string{"windows"}},
		{"windows item string", `{"columns":"close","functions":["SMA"],"windows":[5,"a"]}`, []string{"windows[1]"}},
		{"windows fraction", `{"columns":"close","functions":["SMA"],"windows":[5.5]}`, []string{"windows[0]", "integer"}},
		{"windows zero", `{"columns":"close","functions":["SMA"],"windows":[0]}`, []string{"windows[0]", "range"}},
		{"windows object", `{"columns":"close","functions":["SMA"],"windows":{"a":1}}`, []string{"windows"}},
		{"windows empty", `{"columns":"close","functions":["SMA"],"windows":[]}`, []string{"windows"}},
		{"names length", `{"columns":"close","functions":["SMA"],"windows":[5,10],"names":["a"]}`, []string{"names", "1", "2"}},
		{"names no window", `{"columns":"close","functions":["SMA"],"names":["a","b"]}`, []string{"names"}},
		{"names type", `{"columns":"close","functions":["SMA"],"names":5}`, []string{"names"}},
		{"duplicate names", `{"columns":"close","functions":["SMA","EMA"],"names":"x"}`, []string{"duplicate", `"x"`}},
		{"missing columns", `{"functions":["SMA"]}`, []string{"columns"}},
		{"columns type", `{"columns":5,"functions":["SMA"]}`, []string{"columns"}},
		{"missing functions", `{"columns":"close"}`, []string{"functions"}},
		{"empty functions", `{"columns":"close","functions":[]}`, []string{"functions"}},
		{"functions type", `{"columns":"close","functions":[1]}`, []string{"functions"}},
		{"dict missing argument", `{"columns":{"high":"high","low":"low"},"functions":["ATR"]}`, []string{"ATR", `"close"`}},
		{"dict extra argument", `{"columns":{"high":"high","low":"low","close":"close","open":"open"},"functions":["ATR"]}`, []string{"ATR", `"open"`}},
		{"too few columns", `{"columns":["close"],"functions":["ATR"]}`, []string{"ATR", "3"}},
		{"window on function without timeperiod", `{"columns":["close","volume"],"functions":["OBV"],"windows":[5]}`, []string{"OBV", "timeperiod"}},
		{"window below minimum", `{"columns":["high","low","close"],"functions":["ADX"],"windows":[1]}`, []string{"ADX", "minimum"}},
		{"parameter type", `{"columns":"close","functions":["BBANDS"],"parameters":{"nbdevup":"x"}}`, []string{"nbdevup"}},
		{"parameter range", `{"columns":"close","functions":["BBANDS"],"parameters":{"matype":9}}`, []string{"matype"}},
		{"parameter integer", `{"columns":"close","functions":["MACD"],"parameters":{"fastperiod":1.5}}`, []string{"fastperiod", "integer"}},
		{"rel_base", `{"columns":"close","functions":["SMA"],"parameters":{"rel_base":"middle"}}`, []string{"rel_base"}},
		{"fill", `{"columns":"close","functions":["SMA"],"parameters":{"fill":"cubic"}}`, []string{"fill", "cubic"}},
		{"parameters type", `{"columns":"close","functions":["SMA"],"parameters":[1]}`, []string{"parameters"}},
		{"not an object", `[1]`, []string{"object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Default.Build("talib", json.RawMessage(tt.cfg))
			wantConfigError(t, err, tt.words...)
		})
	}
}

func TestTalibNaming(t *testing.T) {
	tests := []struct {
		cfg  string
		want []string
	}{
		{referenceConfig1m[0].cfg, []string{"close_SMA_1", "close_SMA_5", "close_SMA_10", "close_SMA_15", "close_SMA_60"}},
		{`{"columns":"close","functions":["SMA"],"windows":[5,10],"names":"x"}`, []string{"close_SMA_x_5", "close_SMA_x_10"}},
		{`{"columns":"close","functions":["SMA"],"windows":[5,10],"names":["a","b"]}`, []string{"a", "b"}},
		{`{"columns":"close","functions":["SMA"]}`, []string{"close_SMA"}},
		{`{"columns":"close","functions":["SMA"],"names":"mine"}`, []string{"mine"}},
		{`{"columns":"close","functions":["SMA"],"names":["m"]}`, []string{"m"}},
		{`{"columns":"close","functions":["sma"],"windows":5}`, []string{"close_sma_5"}},
		{`{"columns":"close","functions":["SMA","LINEARREG_SLOPE"],"windows":[5,10]}`,
			[]string{"close_SMA_5", "close_SMA_10", "close_LINEARREG_SLOPE_5", "close_LINEARREG_SLOPE_10"}},
		{`{"columns":"close","functions":["BBANDS"],"windows":[20]}`,
			[]string{"close_BBANDS_upperband_20", "close_BBANDS_middleband_20", "close_BBANDS_lowerband_20"}},
		{`{"columns":"close","functions":["BBANDS"],"windows":[20],"names":"bb"}`,
			[]string{"close_BBANDS_bb_upperband_20", "close_BBANDS_bb_middleband_20", "close_BBANDS_bb_lowerband_20"}},
		{`{"columns":"close","functions":["BBANDS"],"windows":[20],"names":["b"]}`, []string{"b_upperband", "b_middleband", "b_lowerband"}},
		{`{"columns":"close","functions":["MACD"]}`, []string{"close_MACD_macd", "close_MACD_macdsignal", "close_MACD_macdhist"}},
		{`{"columns":{"high":"h","low":"l","close":"c"},"functions":["ATR"],"windows":[14]}`, []string{"h_l_c_ATR_14"}},
		{`{"columns":{"close":"c","low":"l","high":"h"},"functions":["ATR"],"windows":[14]}`, []string{"c_l_h_ATR_14"}},
		{`{"columns":["close","open"],"functions":["CORREL"]}`, []string{"close_open_CORREL"}},
		{`{"columns":["high","low","close"],"functions":["STOCH"]}`, []string{"high_low_close_STOCH_slowk", "high_low_close_STOCH_slowd"}},
	}
	for _, tt := range tests {
		g := mustBuild(t, "talib", tt.cfg)
		if got := g.Outputs(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: outputs %v, want %v", tt.cfg, got, tt.want)
		}
	}
	g := mustBuild(t, "talib", `{"columns":{"close":"c","low":"l","high":"h"},"functions":["ATR"]}`)
	if got := g.Inputs(); !reflect.DeepEqual(got, []string{"c", "l", "h"}) {
		t.Errorf("inputs %v", got)
	}
}

func TestTalibWindowAndLookback(t *testing.T) {
	tests := []struct {
		cfg              string
		window, lookback int
	}{
		{referenceConfig1m[0].cfg, 60, 59},
		{referenceConfig1m[1].cfg, 60, 59},
		{referenceConfig1m[2].cfg, 60, 59},
		{`{"columns":"close","functions":["SMA"],"windows":[1]}`, 1, 0},
		{`{"columns":"close","functions":["MOM","ROC"],"windows":[10,3]}`, 10, 10},
		{`{"columns":"close","functions":["SMA"]}`, 30, 29},
		{`{"columns":"close","functions":["RSI"],"windows":[14]}`, 14, -1},
		{`{"columns":"close","functions":["SMA","EMA"],"windows":[5]}`, 5, -1},
		{`{"columns":"close","functions":["MACD"]}`, 34, -1},
		{`{"columns":["high","low","close"],"functions":["WILLR"],"windows":[14]}`, 14, 13},
		{`{"columns":["high","low","close"],"functions":["TRANGE"]}`, 2, 1},
	}
	for _, tt := range tests {
		g := mustBuild(t, "talib", tt.cfg)
		if g.Window() != tt.window || g.Lookback() != tt.lookback {
			t.Errorf("%s: Window %d Lookback %d, want %d %d", tt.cfg, g.Window(), g.Lookback(), tt.window, tt.lookback)
		}
	}
}

func TestTalibWindowOneRule(t *testing.T) {
	x := nans(nan, 3, 1, nan, 4, 1, 5)
	f := frameOf(map[string][]float64{"close": x, "open": nans(1, 2, 3, 4, 5, 6, 7)})
	ffilled := nans(nan, 3, 1, 1, 4, 1, 5)
	out := generate(t, mustBuild(t, "talib", `{"columns":"close","functions":["SMA","MOM","RSI"],"windows":[1]}`), f)
	for _, name := range []string{"close_SMA_1", "close_MOM_1", "close_RSI_1"} {
		assertSeries(t, name, out[name], ffilled, 0)
	}
	// The rule needs a single input column: CORREL of two columns with window 1 is computed.
	out = generate(t, mustBuild(t, "talib", `{"columns":["close","open"],"functions":["CORREL"],"windows":[1]}`), f)
	assertSeries(t, "close_open_CORREL_1", out["close_open_CORREL_1"], nans(nan, 0, 0, 0, 0, 0, 0), 0)
	// The identity output is a copy: post-processing does not touch the frame.
	out = generate(t, mustBuild(t, "talib", `{"columns":"close","functions":["SMA"],"windows":[1],"parameters":{"log":true}}`), f)
	if x[1] != 3 || out["close_SMA_1"][1] != math.Log(3) {
		t.Fatalf("log on window 1: input %v, output %v", x, out["close_SMA_1"])
	}
}

func TestTalibFillModes(t *testing.T) {
	x := nans(nan, 1, 2, nan, nan, 5, 6, nan)
	tests := []struct {
		fill string
		sma1 []float64
		sma2 []float64
	}{
		// ffill: the gap takes the last value; trailing NaN too.
		{`"ffill"`, nans(nan, 1, 2, 2, 2, 5, 6, 6), nans(nan, nan, 1.5, 2, 2, 3.5, 5.5, 6)},
		// linear (ITB): the gap is interpolated towards the value after it.
		{`"linear"`, nans(nan, 1, 2, 3, 4, 5, 6, 6), nans(nan, nan, 1.5, 2.5, 3.5, 4.5, 5.5, 6)},
	}
	for _, tt := range tests {
		cfg := `{"columns":"close","functions":["SMA"],"windows":[1,2],"parameters":{"fill":` + tt.fill + `}}`
		g := mustBuild(t, "talib", cfg)
		out := generate(t, g, frameOf(map[string][]float64{"close": x}))
		assertSeries(t, tt.fill+" SMA_1", out["close_SMA_1"], tt.sma1, 1e-15)
		assertSeries(t, tt.fill+" SMA_2", out["close_SMA_2"], tt.sma2, 1e-15)
		if tt.fill == `"ffill"` {
			checkNoLookAhead(t, g, frameOf(map[string][]float64{"close": x}), []int{2, 3, 4}, 1)
		}
	}
	// The look-ahead of linear filling: row 3 (inside the gap) changes with row 5.
	g := mustBuild(t, "talib", `{"columns":"close","functions":["SMA"],"windows":[1],"parameters":{"fill":"linear"}}`)
	y := append([]float64(nil), x...)
	y[5] = 50
	a := generate(t, g, frameOf(map[string][]float64{"close": x}))["close_SMA_1"]
	b := generate(t, g, frameOf(map[string][]float64{"close": y}))["close_SMA_1"]
	if a[3] == b[3] {
		t.Fatalf("linear fill: row 3 did not depend on row 5 (%v, %v)", a[3], b[3])
	}
}

func TestTalibLeadingNaNSkipped(t *testing.T) {
	x := nans(nan, nan, 1, 2, 3, 4)
	out := generate(t, mustBuild(t, "talib", `{"columns":"close","functions":["SMA","LINEARREG_SLOPE"],"windows":[3]}`),
		frameOf(map[string][]float64{"close": x}))
	assertSeries(t, "SMA", out["close_SMA_3"], nans(nan, nan, nan, nan, 2, 3), 0)
	assertSeries(t, "slope", out["close_LINEARREG_SLOPE_3"], nans(nan, nan, nan, nan, 1, 1), 1e-15)
	// All NaN: all NaN, no error.
	out = generate(t, mustBuild(t, "talib", `{"columns":"close","functions":["SMA","RSI"],"windows":[3]}`),
		frameOf(map[string][]float64{"close": nans(nan, nan, nan, nan)}))
	for name, v := range out {
		assertSeries(t, name, v, nans(nan, nan, nan, nan), 0)
	}
}

func TestTalibPostProcessing(t *testing.T) {
	f := frameOf(map[string][]float64{"close": {1, 2, 3, 4, 5}})
	// SMA_2 = [_, 1.5, 2.5, 3.5, 4.5], SMA_4 = [_, _, _, 2.5, 3.5].
	tests := []struct {
		params   string
		sma2     []float64
		sma4     []float64
		comments string
	}{
		{`{"rel_base":"next","rel_func":"rel","percentage":true}`, nans(nan, nan, nan, 140, 4.5/3.5*100), nans(nan, nan, nan, 250, 350), "SMA_2/SMA_4·100, SMA_4·100"},
		{`{"rel_base":"last","rel_func":"diff"}`, nans(nan, nan, nan, 1, 1), nans(nan, nan, nan, 2.5, 3.5), "SMA_2-SMA_4"},
		{`{"rel_base":"prev","rel_func":"rel_diff"}`, nans(nan, 1.5, 2.5, 3.5, 4.5), nans(nan, nan, nan, -1.0/3.5, -1.0/4.5), "(SMA_4-SMA_2)/SMA_2"},
		{`{"rel_base":"first"}`, nans(nan, 1.5, 2.5, 3.5, 4.5), nans(nan, nan, nan, 2.5/3.5, 3.5/4.5), "SMA_4/SMA_2 (rel is the default)"},
		{`{"log":true}`, nans(nan, math.Log(1.5), math.Log(2.5), math.Log(3.5), math.Log(4.5)),
			nans(nan, nan, nan, math.Log(2.5), math.Log(3.5)), "log"},
	}
	for _, tt := range tests {
		g := mustBuild(t, "talib", `{"columns":"close","functions":["SMA"],"windows":[2,4],"parameters":`+tt.params+`}`)
		out := generate(t, g, f)
		assertSeries(t, tt.comments+" SMA_2", out["close_SMA_2"], tt.sma2, 1e-12)
		assertSeries(t, tt.comments+" SMA_4", out["close_SMA_4"], tt.sma4, 1e-12)
	}
	// Post-processing runs per function: with two functions each is relative to its own windows.
	g := mustBuild(t, "talib", `{"columns":"close","functions":["SMA","SUM"],"windows":[2,4],"parameters":{"rel_base":"last"}}`)
	out := generate(t, g, f)
	assertSeries(t, "SUM_2/SUM_4", out["close_SUM_2"], nans(nan, nan, nan, 7.0/10, 9.0/14), 1e-12)
	assertSeries(t, "SMA_2/SMA_4", out["close_SMA_2"], nans(nan, nan, nan, 3.5/2.5, 4.5/3.5), 1e-12)
	// Multi-output functions: per output across windows.
	g = mustBuild(t, "talib", `{"columns":"close","functions":["MINMAX"],"windows":[2,3],"parameters":{"rel_base":"last","rel_func":"diff"}}`)
	out = generate(t, g, f)
	assertSeries(t, "max_2 - max_3", out["close_MINMAX_max_2"], nans(nan, nan, 0, 0, 0), 0)
	assertSeries(t, "min_2 - min_3", out["close_MINMAX_min_2"], nans(nan, nan, 1, 1, 1), 0)
}

func TestTalibParameters(t *testing.T) {
	f := randomKlines(9, 200)
	x, _ := f.Col("close")
	out := generate(t, mustBuild(t, "talib",
		`{"columns":"close","functions":["BBANDS","STDDEV","SMA"],"windows":[5],"parameters":{"nbdevup":1,"nbdevdn":3,"nbdev":2}}`), f)
	for i := 4; i < len(x); i++ {
		w := x[i-4 : i+1]
		m := (w[0] + w[1] + w[2] + w[3] + w[4]) / 5
		v := 0.0
		for _, y := range w {
			v += (y - m) * (y - m)
		}
		sd := math.Sqrt(v / 5)
		for name, want := range map[string]float64{
			"close_BBANDS_upperband_5": m + sd, "close_BBANDS_middleband_5": m, "close_BBANDS_lowerband_5": m - 3*sd,
			"close_STDDEV_5": 2 * sd, "close_SMA_5": m,
		} {
			if !closeTo(out[name][i], want, 1e-9, 1e-9) {
				t.Fatalf("%s row %d = %v, want %v", name, i, out[name][i], want)
			}
		}
	}
}

func TestGoTalibPanicBecomesError(t *testing.T) {
	spec := &funcSpec{name: "BOOM", outputs: outReal, run: func([][]float64, int, []float64) [][]float64 {
		var x []float64
		return [][]float64{{x[3]}}
	}}
	err := runGoTalib(&talibCall{spec: spec, period: 5}, [][]float64{{1}}, [][]float64{{0}}, 0)
	if err == nil || !strings.Contains(err.Error(), "BOOM") {
		t.Fatalf("err = %v, want an error naming BOOM", err)
	}
}

func TestTalibMissingColumn(t *testing.T) {
	g := mustBuild(t, "talib", `{"columns":"close","functions":["SMA"],"windows":[5]}`)
	_, err := g.Generate(frameOf(map[string][]float64{"open": {1, 2}}))
	if !errors.Is(err, frame.ErrMissingColumn) {
		t.Fatalf("err = %v, want ErrMissingColumn", err)
	}
}

// TestReferenceConfigRealData runs the 1min reference config on real closes: the values are
// SMA/STDDEV/slope of the right windows, there is no look-ahead and Lookback holds.
func TestReferenceConfigRealData(t *testing.T) {
	x := btcClose2022(t)[:3000]
	f := frameOf(map[string][]float64{"close": x})
	for _, rc := range referenceConfig1m {
		g := mustBuild(t, rc.name, rc.cfg)
		checkNoLookAhead(t, g, f, []int{100, 2000}, 3)
		checkLookback(t, g, f, []int{g.Lookback(), 1000, 2999})
	}
	out := generate(t, mustBuild(t, "talib", referenceConfig1m[0].cfg), f)
	assertSeries(t, "close_SMA_1", out["close_SMA_1"], x, 0)
	for i := 59; i < len(x); i++ {
		s := 0.0
		for _, v := range x[i-59 : i+1] {
			s += v
		}
		if !closeTo(out["close_SMA_60"][i], s/60, 1e-12, 0) {
			t.Fatalf("close_SMA_60 row %d = %v, want %v", i, out["close_SMA_60"][i], s/60)
		}
	}
}

// BenchmarkTalibReference1m computes the 13 talib features of the 1min reference config
// (SMA 1,5,10,15,60; LINEARREG_SLOPE 5,10,15,60; STDDEV 5,10,15,60) over the full
// BTCUSDT-1m-2023 close column (525,520 rows).
func BenchmarkTalibReference1m(b *testing.B) {
	var x []float64
	for _, k := range sharedtest.ReadKlines(b, "BTCUSDT-1m-2023.csv.gz", 0) {
		x = append(x, k.Float(b, 3))
	}
	if len(x) != 525520 {
		b.Fatalf("read %d rows", len(x))
	}
	f := frameOf(map[string][]float64{"close": x})
	var gens []Generator
	for _, rc := range referenceConfig1m[:3] {
		gens = append(gens, mustBuild(b, rc.name, rc.cfg))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		for _, g := range gens {
			cols, err := g.Generate(f)
			if err != nil {
				b.Fatal(err)
			}
			n += len(cols)
		}
		if n != 13 {
			b.Fatalf("%d features", n)
		}
	}
}
