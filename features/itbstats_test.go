package features

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// ITB tests/test_utils.py vectors.
var (
	areaVector  = []float64{10, 20, 30, 20, 10, 20, 30}
	slopeVector = []float64{10, 20, 40, 40, 30, 10}
)

func TestAreaFnITBVector(t *testing.T) {
	// The last two windows of 4: [30,20,10,20] (level 20) -> 0, [20,10,20,30] (level 30) -> -1.
	if got := areaFn([]float64{20, 10, 20, 30}, false); got != -1 {
		t.Fatalf("area past = %v, want -1", got)
	}
	if got := areaFn([]float64{30, 20, 10, 20}, false); got != 0 {
		t.Fatalf("area past = %v, want 0", got)
	}
	// Future: the level is the first value: [20,10,20,30] around 20 -> (0-10+0+10)/20 = 0.
	if got := areaFn([]float64{20, 10, 20, 30}, true); got != 0 {
		t.Fatalf("area future = %v, want 0", got)
	}
	if got := areaFn([]float64{5, 5, 5}, false); !math.IsNaN(got) {
		t.Fatalf("area of a flat window = %v, want NaN", got)
	}
	out := generate(t, mustBuild(t, "itbstats", `{"columns":"close","functions":["area"],"windows":[4]}`),
		frameOf(map[string][]float64{"close": areaVector}))["close_area_4"]
	if out[6] != -1 || out[5] != 0 {
		t.Fatalf("close_area_4 = %v, want last -1 and second-to-last 0", out)
	}
}

func TestSlopeITBVector(t *testing.T) {
	// ITB's vector uses every window from one point on (min_periods 1); one point gives NaN.
	tests := []struct {
		w    int
		want []float64
	}{
		{2, nans(nan, 10, 20, 0, -10, -20)},
		{6, nans(nan, 10, 15, 11, 6, 0.857143)},
	}
	for _, tt := range tests {
		out := make([]float64, len(slopeVector))
		rollingApply(slopeVector, tt.w, 1, olsSlope, out, 0, len(out))
		assertSeries(t, "slope", out, tt.want, 5e-7)
	}
	// The generator uses min_periods = max(1, w/2): 3 for w=6, so rows 0-1 are NaN.
	out := generate(t, mustBuild(t, "itbstats", `{"columns":"close","functions":["slope"],"windows":[2,6]}`),
		frameOf(map[string][]float64{"close": slopeVector}))
	assertSeries(t, "close_slope_2", out["close_slope_2"], nans(nan, 10, 20, 0, -10, -20), 1e-12)
	assertSeries(t, "close_slope_6", out["close_slope_6"], nans(nan, nan, 15, 11, 6, 0.857143), 5e-7)
}

func TestItbstatsFunctionsHandComputed(t *testing.T) {
	// x = 1,2,3,4,10: mean 4, deviations -3,-2,-1,0,6; Σd² = 50, Σd³ = 180, Σd⁴ = 1394.
	x := []float64{1, 2, 3, 4, 10}
	m2, m3, m4 := 50.0/5, 180.0/5, 1394.0/5
	g1 := m3 / math.Pow(m2, 1.5)
	G1 := math.Sqrt(5*4) / 3 * g1
	g2 := m4/(m2*m2) - 3
	G2 := 1.0/3/2*((25-1)*m4/(m2*m2)-3*16) + 3 - 3
	tests := []struct {
		fn   string
		bias bool
		want float64
	}{
		{"mean", false, 4},
		{"std", false, math.Sqrt(10)},
		{"scipy_skew", true, g1},
		{"scipy_skew", false, G1},
		{"pandas_skew", false, G1},
		{"scipy_kurtosis", true, g2},
		{"scipy_kurtosis", false, G2},
		{"pandas_kurtosis", false, 167280.0/15000 - 8},
		{"lsbm", false, 3},
		{"fmax", false, 0.8},
		{"area", false, -1},
		{"slope", false, 2},
	}
	f := frameOf(map[string][]float64{"close": x})
	for _, tt := range tests {
		cfg := `{"columns":["close","open"],"functions":["` + tt.fn + `"],"windows":[5],"parameters":{"bias":` +
			map[bool]string{true: "true", false: "false"}[tt.bias] + `}}`
		out := generate(t, mustBuild(t, "itbstats", cfg), f)["close_"+tt.fn+"_5"]
		if !closeTo(out[4], tt.want, 1e-12, 1e-12) {
			t.Errorf("%s (bias %v) = %v, want %v", tt.fn, tt.bias, out[4], tt.want)
		}
	}
	if math.Abs(G2-(167280.0/15000-8)) > 1e-12 {
		t.Fatalf("unbiased kurtosis formulas disagree: %v %v", G2, 167280.0/15000-8)
	}
	// A constant window: scipy gives NaN, pandas 0, lsbm 0, fmax 0, std 0, area NaN, slope 0.
	c := []float64{7, 7, 7, 7}
	want := map[string]float64{"scipy_skew": nan, "scipy_kurtosis": nan, "pandas_skew": 0, "pandas_kurtosis": 0,
		"lsbm": 0, "fmax": 0, "std": 0, "area": nan, "slope": 0, "mean": 7}
	for fn, w := range want {
		got := itbStatFuncs[fn](c, false)
		if !same(got, w) {
			t.Errorf("%s of a constant window = %v, want %v", fn, got, w)
		}
	}
	// Too few values: pandas skew needs 3, pandas kurtosis 4, slope 2.
	if !math.IsNaN(pandasSkew([]float64{1, 2})) || !math.IsNaN(pandasKurtosis([]float64{1, 2, 3})) || !math.IsNaN(olsSlope([]float64{1})) {
		t.Fatal("short windows must give NaN")
	}
}

func TestItbstatsMinPeriodsAndNaming(t *testing.T) {
	x := nans(nan, 1, 2, 3, 4, 5, 6)
	g := mustBuild(t, "itbstats", `{"columns":"close","functions":["Mean","std"],"windows":[4,1]}`)
	if got, want := g.Outputs(), []string{"close_Mean_4", "close_Mean_1", "close_std_4", "close_std_1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
	if g.Window() != 4 || g.Lookback() != 3 || !reflect.DeepEqual(g.Inputs(), []string{"close"}) {
		t.Fatalf("Window %d Lookback %d Inputs %v", g.Window(), g.Lookback(), g.Inputs())
	}
	out := generate(t, g, frameOf(map[string][]float64{"close": x}))
	// w=4: min_periods 2; row 1 has one valid value (NaN), row 2 two (partial window).
	assertSeries(t, "close_Mean_4", out["close_Mean_4"], nans(nan, nan, 1.5, 2, 2.5, 3.5, 4.5), 1e-15)
	assertSeries(t, "close_Mean_1", out["close_Mean_1"], nans(nan, 1, 2, 3, 4, 5, 6), 0)
	assertSeries(t, "close_std_1", out["close_std_1"], nans(nan, 0, 0, 0, 0, 0, 0), 0)
}

func TestItbstatsPostProcessingAndFill(t *testing.T) {
	x := nans(2, 4, nan, 8)
	out := generate(t, mustBuild(t, "itbstats",
		`{"columns":"close","functions":["mean"],"windows":[1,2],"parameters":{"rel_base":"last","rel_func":"diff"}}`),
		frameOf(map[string][]float64{"close": x}))
	// ffill: 2,4,4,8; mean_1 - mean_2 = x_t - (x_{t-1}+x_t)/2; mean_2 over 1 value at row 0.
	assertSeries(t, "close_mean_1", out["close_mean_1"], nans(0, 1, 0, 2), 1e-15)
	assertSeries(t, "close_mean_2", out["close_mean_2"], nans(2, 3, 4, 6), 1e-15)
	out = generate(t, mustBuild(t, "itbstats", `{"columns":"close","functions":["mean"],"windows":[1],"parameters":{"fill":"linear","log":true}}`),
		frameOf(map[string][]float64{"close": x}))
	assertSeries(t, "linear+log", out["close_mean_1"], nans(math.Log(2), math.Log(4), math.Log(6), math.Log(8)), 1e-15)
}

func TestRollingMeanEqualsRollingApply(t *testing.T) {
	x := randomKlines(61, 3000)
	c, _ := x.Col("close")
	c = append([]float64(nil), c...)
	for i := 0; i < len(c); i += 17 {
		c[i] = math.NaN()
	}
	for _, w := range []int{1, 4, 33} {
		a, b := make([]float64, len(c)), make([]float64, len(c))
		rollingApply(c, w, minPeriods(w), mean, a, 0, len(c))
		rollingMean(c, w, minPeriods(w), b, 0, len(c))
		for i := range a {
			if !same(a[i], b[i]) {
				t.Fatalf("w=%d row %d: rollingMean %v, rollingApply(mean) %v", w, i, b[i], a[i])
			}
		}
	}
}

func TestItbstatsConfigErrors(t *testing.T) {
	tests := []struct{ cfg, word string }{
		{`{"columns":"close","functions":["median"],"windows":[5]}`, `"median"`},
		{`{"columns":"close","functions":["mean"],"windows":[5],"names":"x"}`, `"names"`},
		{`{"columns":"close","functions":["mean"],"windows":"5"}`, "windows"},
		{`{"columns":"close","functions":["mean"]}`, "windows"},
		{`{"columns":"close","windows":[5]}`, "functions"},
		{`{"functions":["mean"],"windows":[5]}`, "columns"},
		{`{"columns":"close","functions":["mean"],"windows":[5],"parameters":{"bias":"no"}}`, "bias"},
		{`{"columns":"close","functions":["mean"],"windows":[5],"parameters":{"nbdev":2}}`, `"nbdev"`},
		{`{"columns":"close","functions":["mean","MEAN"],"windows":[5],"parameters":{}}`, ""},
		{`{"columns":"close","functions":["mean","mean"],"windows":[5]}`, "duplicate"},
	}
	for _, tt := range tests {
		_, err := Default.Build("itbstats", json.RawMessage(tt.cfg))
		if tt.word == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.cfg, err)
			}
			continue
		}
		wantConfigError(t, err, tt.word)
	}
}

func TestItbstatsNoLookAheadAndLookback(t *testing.T) {
	f := randomKlines(21, 300)
	x, _ := f.Col("close")
	for i := 100; i < 104; i++ {
		x[i] = math.NaN()
	}
	var fns []string
	for fn := range itbStatFuncs {
		fns = append(fns, `"`+fn+`"`)
	}
	cfg := `{"columns":"close","functions":[` + join(fns) + `],"windows":[1,3,10,25],"parameters":{"bias":true}}`
	g := mustBuild(t, "itbstats", cfg)
	checkNoLookAhead(t, g, f, []int{50, 101, 200}, 5)
	checkLookback(t, g, f, []int{24, 60, 102, 299})
}

func join(xs []string) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}
