package features

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

func TestItblibLegacyOutputs(t *testing.T) {
	g := mustBuild(t, "itblib", `{"base_window":360,"windows":[1,10,60]}`)
	want := []string{"close_1", "close_10", "close_60", "close_std_10", "close_std_60",
		"volume_1", "volume_10", "volume_60", "span_1", "span_10", "span_60", "trades_1", "trades_10", "trades_60",
		"tb_base_1", "tb_base_10", "tb_base_60", "close_area_10", "close_area_60",
		"close_trend_10", "close_trend_60", "volume_trend_10", "volume_trend_60"}
	if got := g.Outputs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("outputs\n%v\nwant (ITB v0.5 list)\n%v", got, want)
	}
	if got := g.Inputs(); !reflect.DeepEqual(got, []string{"close", "volume", "high", "low", "trades", "tb_base_av"}) {
		t.Fatalf("inputs %v", got)
	}
	// The base window dominates; differences need one more row.
	if g.Window() != 360 || g.Lookback() != 360 {
		t.Fatalf("Window %d Lookback %d, want 360 360", g.Window(), g.Lookback())
	}
}

func TestItblibWindowAndLookback(t *testing.T) {
	tests := []struct {
		cfg              string
		window, lookback int
	}{
		{`{"base_window":30,"windows":[5],"functions":["span_SMA"]}`, 30, 29},      // span reads high/low: no difference
		{`{"base_window":30,"windows":[5],"functions":["close_WMA"]}`, 30, 30},     // differenced close
		{`{"base_window":30,"windows":[5],"use_differences":false}`, 30, 29},       // no differences
		{`{"base_window":3,"windows":[5,40],"functions":["close_SLOPE"]}`, 40, 40}, // no base for slopes
		{`{"base_window":50,"windows":[5,40],"functions":["close_AREA"]}`, 40, 40}, // nor for the area
		{`{"base_window":3,"windows":[5,40],"functions":["volume_SMA"]}`, 40, 40},  // window larger than base
		{`{"base_window":3,"windows":[5,40],"functions":["close_slope"]}`, 40, 40}, // case-insensitive
		{`{"base_window":3,"windows":[1,7],"functions":["close_std","span_sma"]}`, 7, 7},
		{`{"base_window":3,"windows":[1,7],"functions":["span_sma"]}`, 7, 6},
	}
	for _, tt := range tests {
		g := mustBuild(t, "itblib", tt.cfg)
		if g.Window() != tt.window || g.Lookback() != tt.lookback {
			t.Errorf("%s: Window %d Lookback %d, want %d %d", tt.cfg, g.Window(), g.Lookback(), tt.window, tt.lookback)
		}
	}
}

// rollWin returns the valid values of x in the rolling window ending at t, or nil when there
// are fewer than max(1, w/2) of them.
func rollWin(x []float64, t, w int) []float64 {
	var v []float64
	for i := max(0, t-w+1); i <= t; i++ {
		if !math.IsNaN(x[i]) {
			v = append(v, x[i])
		}
	}
	if len(v) < max(1, w/2) {
		return nil
	}
	return v
}

// TestItblibValues checks every itblib feature against a direct computation in the test.
func TestItblibValues(t *testing.T) {
	f := randomKlines(31, 120)
	get := func(c string) []float64 { x, _ := f.Col(c); return x }
	avg := func(v []float64) float64 {
		if v == nil {
			return math.NaN()
		}
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	sd := func(v []float64) float64 {
		if v == nil {
			return math.NaN()
		}
		m := avg(v)
		s := 0.0
		for _, x := range v {
			s += (x - m) * (x - m)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	slope := func(v []float64) float64 {
		if len(v) < 2 {
			return math.NaN()
		}
		// Closed form: cov(i, y)/var(i).
		n := float64(len(v))
		var si, sy, sii, siy float64
		for i, y := range v {
			fi := float64(i)
			si, sy, sii, siy = si+fi, sy+y, sii+fi*fi, siy+fi*y
		}
		return (n*siy - si*sy) / (n*sii - si*si)
	}
	area := func(v []float64) float64 {
		if v == nil {
			return math.NaN()
		}
		level := v[len(v)-1]
		var a, b float64
		for _, x := range v {
			a += x - level
			b += math.Abs(x - level)
		}
		return a / b
	}
	rel := func(a, b float64) float64 { return 100 * (a - b) / b }
	for _, diff := range []bool{false, true} {
		cl, vol, tr := get("close"), get("volume"), get("trades")
		if diff {
			pct := func(x []float64) []float64 {
				out := make([]float64, len(x))
				out[0] = math.NaN()
				for i := 1; i < len(x); i++ {
					out[i] = (x[i] - x[i-1]) / x[i-1] * 100
				}
				return out
			}
			cl, vol, tr = pct(cl), pct(vol), pct(tr)
		}
		n := len(cl)
		prod, span, tb := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range prod {
			prod[i] = cl[i] * vol[i]
			span[i] = get("high")[i] - get("low")[i]
			tb[i] = get("tb_base_av")[i] / vol[i]
		}
		const bw = 12
		cfg := `{"base_window":12,"windows":[1,5],"use_differences":` + map[bool]string{true: "true", false: "false"}[diff] + `}`
		out := generate(t, mustBuild(t, "itblib", cfg), f)
		for i := 0; i < n; i++ {
			wma := func(w int) float64 { return avg(rollWin(prod, i, w)) / avg(rollWin(vol, i, w)) }
			want := map[string]float64{
				"close_1":        rel(wma(1), wma(bw)),
				"close_5":        rel(wma(5), wma(bw)),
				"close_std_5":    rel(sd(rollWin(cl, i, 5)), sd(rollWin(cl, i, bw))),
				"volume_5":       rel(avg(rollWin(vol, i, 5)), avg(rollWin(vol, i, bw))),
				"span_1":         rel(span[i], avg(rollWin(span, i, bw))),
				"span_5":         rel(avg(rollWin(span, i, 5)), avg(rollWin(span, i, bw))),
				"trades_5":       rel(avg(rollWin(tr, i, 5)), avg(rollWin(tr, i, bw))),
				"tb_base_5":      rel(avg(rollWin(tb, i, 5)), avg(rollWin(tb, i, bw))),
				"close_area_5":   area(rollWin(cl, i, 5)),
				"close_trend_5":  slope(rollWin(cl, i, 5)),
				"volume_trend_5": slope(rollWin(vol, i, 5)),
				"trades_1":       rel(avg(rollWin(tr, i, 1)), avg(rollWin(tr, i, bw))),
				"volume_1":       rel(avg(rollWin(vol, i, 1)), avg(rollWin(vol, i, bw))),
				"tb_base_1":      rel(avg(rollWin(tb, i, 1)), avg(rollWin(tb, i, bw))),
			}
			if len(want) != len(out) {
				t.Fatalf("%d outputs, want %d (no std, area or trend for window 1)", len(out), len(want))
			}
			for name, w := range want {
				got, ok := out[name]
				if !ok {
					t.Fatalf("no output %s", name)
				}
				if math.IsInf(w, 0) {
					w = math.NaN()
				}
				if !closeTo(got[i], w, 1e-9, 1e-9) {
					t.Fatalf("diff=%v %s row %d = %v, want %v", diff, name, i, got[i], w)
				}
			}
		}
	}
}

func TestItblibITBVectors(t *testing.T) {
	f := frameOf(map[string][]float64{"close": slopeVector})
	out := generate(t, mustBuild(t, "itblib", `{"base_window":2,"windows":[2,6],"functions":["close_SLOPE"],"use_differences":false}`), f)
	assertSeries(t, "close_trend_2", out["close_trend_2"], nans(nan, 10, 20, 0, -10, -20), 1e-12)
	assertSeries(t, "close_trend_6", out["close_trend_6"], nans(nan, nan, 15, 11, 6, 0.857143), 5e-7)
	out = generate(t, mustBuild(t, "itblib", `{"base_window":2,"windows":[4],"functions":["close_AREA"],"use_differences":false}`),
		frameOf(map[string][]float64{"close": areaVector}))
	if a := out["close_area_4"]; a[6] != -1 || a[5] != 0 {
		t.Fatalf("close_area_4 = %v, want last -1, second-to-last 0", a)
	}
}

func TestItblibConfigErrors(t *testing.T) {
	tests := []struct{ cfg, word string }{
		{`{"windows":[5]}`, "base_window"},
		{`{"base_window":"x","windows":[5]}`, "base_window"},
		{`{"base_window":0,"windows":[5]}`, "base_window"},
		{`{"base_window":10}`, "windows"},
		{`{"base_window":10,"windows":["5"]}`, "windows[0]"},
		{`{"base_window":10,"windows":[5],"functions":["close_EMA"]}`, `"close_EMA"`},
		{`{"base_window":10,"windows":[5],"use_differences":"yes"}`, "use_differences"},
		{`{"base_window":10,"windows":[5],"columns":["close"]}`, `"columns"`},
		{`{"base_window":10,"windows":[1],"functions":["close_SLOPE"]}`, "no output"},
	}
	for _, tt := range tests {
		_, err := Default.Build("itblib", json.RawMessage(tt.cfg))
		wantConfigError(t, err, tt.word)
	}
}

func TestItblibNoLookAheadAndLookback(t *testing.T) {
	f := randomKlines(41, 300)
	for _, cfg := range []string{
		`{"base_window":30,"windows":[1,4,11]}`,
		`{"base_window":7,"windows":[1,4,11],"use_differences":false}`,
		`{"base_window":30,"windows":[3],"functions":["span_SMA"]}`,
	} {
		g := mustBuild(t, "itblib", cfg)
		checkNoLookAhead(t, g, f, []int{40, 150}, 9)
		checkLookback(t, g, f, []int{g.Lookback(), 77, 299})
	}
}

func TestItblibMissingColumn(t *testing.T) {
	g := mustBuild(t, "itblib", `{"base_window":3,"windows":[2],"functions":["trades_SMA"]}`)
	if _, err := g.Generate(frameOf(map[string][]float64{"close": {1, 2, 3}})); err == nil {
		t.Fatal("want a missing-column error for trades")
	}
}
