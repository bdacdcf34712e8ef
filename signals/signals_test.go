package signals_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/signals"
)

var nan = math.NaN()

// same compares within 1e-12 (hand values are written as decimals), NaN equal to NaN.
func same(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && math.Abs(g-w) > 1e-12) {
			t.Fatalf("%s: row %d = %v, want %v (all: %v)", what, i, g, w, got)
		}
	}
}

// run builds one signal set and applies it to a frame of the given columns.
func run(t *testing.T, generator, cfg string, cols map[string][]float64) *frame.Frame {
	t.Helper()
	n := 0
	for _, c := range cols {
		n = len(c)
	}
	times := make([]int64, n)
	for i := range times {
		times[i] = int64(i) * 60000
	}
	f := frame.New(times)
	for _, name := range []string{"up", "down", "a", "b", "x", "s", "s1", "s2"} {
		if c, ok := cols[name]; ok {
			f.Set(name, frame.Float, c)
		}
	}
	steps, err := gen.Build("signal_sets", []config.GeneratorSet{{Generator: generator, Config: json.RawMessage(cfg)}}, signals.Default)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Apply(f, steps); err != nil {
		t.Fatal(err)
	}
	return f
}

func col(t *testing.T, f *frame.Frame, name string) []float64 {
	t.Helper()
	c, err := f.Col(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Rows: both valid, up < down, up NaN, down NaN, both 0, up+down = 0 with up != 0, up valid down NaN.
var (
	up   = []float64{0.3, 0.1, nan, 0.2, 0, 0.5, 0.4}
	down = []float64{0.1, 0.3, 0.2, nan, 0, -0.5, nan}
)

func TestCombineModes(t *testing.T) {
	cases := []struct {
		name, cfg string
		want      []float64
	}{
		{"difference", `"combine":"difference"`, []float64{0.2, -0.2, nan, nan, 0, 1, nan}},
		// 2*0.3/0.4-1 = 0.5; 2*0.1/0.4-1 = -0.5; 0/0 = NaN; 0.5/0 = +Inf, written as NaN.
		{"relative", `"combine":"relative"`, []float64{0.5, -0.5, nan, nan, nan, nan, nan}},
		// up if up >= down else -down; NaN >= x is false: NaN up gives -down, NaN down gives -NaN.
		{"default", `"combine":"no_combine"`, []float64{0.3, -0.3, -0.2, nan, 0, 0.5, nan}},
		{"missing key is default", ``, []float64{0.3, -0.3, -0.2, nan, 0, 0.5, nan}},
		// (up - down) * 2 + 0.1
		{"coefficient and constant", `"combine":"difference","coefficient":2,"constant":0.1`, []float64{0.5, -0.3, nan, nan, 0.1, 2.1, nan}},
		// ITB applies them only when truthy: 0 leaves the score as it is.
		{"zero coefficient is skipped", `"combine":"difference","coefficient":0,"constant":0`, []float64{0.2, -0.2, nan, nan, 0, 1, nan}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := `{"columns":["up","down"],"names":"score"`
			if c.cfg != "" {
				cfg += "," + c.cfg
			}
			f := run(t, "combine", cfg+"}", map[string][]float64{"up": up, "down": down})
			same(t, c.name, col(t, f, "score"), c.want)
			if f.Kind("score") != frame.Float {
				t.Fatalf("kind %v", f.Kind("score"))
			}
		})
	}
	// The kernel itself returns the infinity; the step turns it into NaN.
	if v := signals.Combine([]float64{0.5}, []float64{-0.5}, signals.Relative, 0, 0); !math.IsInf(v[0], 1) {
		t.Fatalf("kernel relative 0.5/0 = %v, want +Inf", v)
	}
}

func TestSmoothen(t *testing.T) {
	x := []float64{1, 2, nan, 4, 6, nan, nan, nan}
	cases := []struct {
		name, cfg string
		cols      map[string][]float64
		want      []float64
		kind      frame.Kind
	}{
		{"row mean skips NaN", `{"columns":["a","b"],"names":"o"}`,
			map[string][]float64{"a": {1, nan, nan, 4}, "b": {3, 2, nan, nan}}, []float64{2, 2, nan, 4}, frame.Float},
		{"columns as a string", `{"columns":"a","names":"o"}`,
			map[string][]float64{"a": {1, nan, 3}}, []float64{1, nan, 3}, frame.Float},
		{"point threshold gives booleans, NaN false", `{"columns":["a","b"],"names":"o","point_threshold":2}`,
			map[string][]float64{"a": {1, nan, nan, 4}, "b": {2, 2, nan, nan}}, []float64{0, 1, 0, 1}, frame.Bool},
		{"point threshold 0 is skipped as in ITB", `{"columns":"a","names":"o","point_threshold":0}`,
			map[string][]float64{"a": {-1, 1}}, []float64{-1, 1}, frame.Float},
		// window 4, min_periods 2: [1] NaN, [1,2] 1.5, [1,2,-] 1.5, [1,2,-,4] 7/3, [2,-,4,6] 4,
		// [-,4,6,-] 5, [4,6,-,-] 5, [6,-,-,-] one value < 2: NaN.
		{"rolling int window", `{"columns":"x","names":"o","window":4}`,
			map[string][]float64{"x": x}, []float64{nan, 1.5, 1.5, 7.0 / 3, 4, 5, 5, nan}, frame.Float},
		// window 1: min_periods 0, but a window without values is still NaN.
		{"rolling window 1", `{"columns":"x","names":"o","window":1}`,
			map[string][]float64{"x": x}, x, frame.Float},
		// span 3: alpha 0.5, min_periods max(floor(1.5), 1) = 1; x = [-, 2, 4, -, 8]:
		// 2; (0.5*2 + 0.5*4)/1 = 3; NaN keeps 3 and decays its weight to 0.25;
		// (0.25*3 + 0.5*8)/0.75 = 19/3.
		{"EWM float window with NaN", `{"columns":"x","names":"o","window":3.0}`,
			map[string][]float64{"x": {nan, 2, 4, nan, 8}}, []float64{nan, 2, 3, 3, 19.0 / 3}, frame.Float},
		// span 5: alpha 1/3, min_periods 2: NaN; (2/3*1 + 1/3*2) = 4/3; 2/3*4/3 + 1/3*3 = 17/9.
		{"EWM min_periods", `{"columns":"x","names":"o","window":5.0}`,
			map[string][]float64{"x": {1, 2, 3}}, []float64{nan, 4.0 / 3, 17.0 / 9}, frame.Float},
		// threshold then rolling mean of the 0/1 values (window 2, min_periods 1).
		{"threshold then rolling", `{"columns":"a","names":"o","point_threshold":0.5,"window":2}`,
			map[string][]float64{"a": {0.6, 0.4, nan, 0.9}}, []float64{1, 0.5, 0, 0.5}, frame.Float},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := run(t, "smoothen", c.cfg, c.cols)
			same(t, c.name, col(t, f, "o"), c.want)
			if f.Kind("o") != c.kind {
				t.Fatalf("kind %v, want %v", f.Kind("o"), c.kind)
			}
		})
	}
	// Equal values give that value exactly, as pandas does (a plain sum would not: 0.1*3/3 != 0.1).
	if v := signals.RollingMean([]float64{0.1, 0.1, 0.1}, 3, 1); v[2] != 0.1 {
		t.Fatalf("rolling mean of equal values = %.17g", v[2])
	}
}

func TestThresholdRules(t *testing.T) {
	score := []float64{0.02, 0.015, 0, -0.015, -0.03, nan}
	for _, columns := range []string{`"s"`, `["s"]`} {
		f := run(t, "threshold_rule", `{"columns":`+columns+`,"names":["buy","sell"],"parameters":{"buy_signal_threshold":0.015,"sell_signal_threshold":-0.015}}`,
			map[string][]float64{"s": score})
		same(t, "buy "+columns, col(t, f, "buy"), []float64{1, 1, 0, 0, 0, 0})
		same(t, "sell "+columns, col(t, f, "sell"), []float64{0, 0, 0, 1, 1, 0})
		if f.Kind("buy") != frame.Bool || f.Kind("sell") != frame.Bool {
			t.Fatal("signals are not boolean columns")
		}
	}
	// Overlapping thresholds: both signals on the same row.
	f := run(t, "threshold_rule", `{"columns":"s","names":["buy","sell"],"parameters":{"buy_signal_threshold":-0.01,"sell_signal_threshold":0.01}}`,
		map[string][]float64{"s": score})
	same(t, "overlap buy", col(t, f, "buy"), []float64{1, 1, 1, 0, 0, 0})
	same(t, "overlap sell", col(t, f, "sell"), []float64{0, 0, 1, 1, 1, 0})

	f = run(t, "threshold_rule2", `{"columns":["s1","s2"],"names":["buy","sell"],"parameters":{"buy_signal_threshold":0.05,"buy_signal_threshold_2":0.1,"sell_signal_threshold":-0.05,"sell_signal_threshold_2":-0.1}}`,
		map[string][]float64{"s1": {0.1, 0.1, -0.1, nan, -0.1}, "s2": {0.2, 0.0, -0.2, 0.3, nan}})
	same(t, "rule2 buy", col(t, f, "buy"), []float64{1, 0, 0, 0, 0})
	same(t, "rule2 sell", col(t, f, "sell"), []float64{0, 0, 1, 0, 0})
}

func TestConfigErrors(t *testing.T) {
	params := `"parameters":{"buy_signal_threshold":0.1,"sell_signal_threshold":-0.1}`
	cases := []struct{ generator, cfg, want string }{
		{"combine", `{"columns":["up"],"names":"o"}`, `key "columns": want 2 column names`},
		{"combine", `{"columns":"up","names":"o"}`, `key "columns": want a list of strings`},
		{"combine", `{"columns":["up","down"]}`, `missing key "names"`},
		{"combine", `{"columns":["up","down"],"names":["o"]}`, `key "names": want a string`},
		{"combine", `{"columns":["up","down"],"names":"o","combine":"diference"}`, `key "combine": want "difference" or "relative"`},
		{"combine", `{"columns":["up","down"],"names":"o","coeficient":2}`, `unknown key "coeficient"`},
		{"smoothen", `{"columns":[],"names":"o"}`, `key "columns": empty list`},
		{"smoothen", `{"columns":"a","names":"o","window":0}`, `key "window": want a rolling window >= 1 row, got 0`},
		{"smoothen", `{"columns":"a","names":"o","window":0.5}`, `key "window": want an EWM span >= 1, got 0.5`},
		{"smoothen", `{"columns":"a","names":"o","window":"3"}`, `key "window": want a number`},
		{"threshold_rule", `{"columns":["a","b"],"names":["b","s"],` + params + `}`, `want one score column (a string), got 2 (use threshold_rule2`},
		{"threshold_rule", `{"columns":"a","names":["b"],` + params + `}`, `key "names": 1 names for 2 signals`},
		{"threshold_rule", `{"columns":"a","names":["b","s"]}`, `missing key "parameters"`},
		{"threshold_rule", `{"columns":"a","names":["b","s"],"parameters":{"buy_signal_threshold":0.1}}`, `key "parameters": invalid generator config: missing key "sell_signal_threshold"`},
		{"threshold_rule", `{"columns":"a","names":["b","s"],"parameters":{"buy_threshold":0.1,"sell_signal_threshold":-0.1}}`, `key "parameters": invalid generator config: unknown key "buy_threshold"`},
		{"threshold_rule2", `{"columns":"a","names":["b","s"],` + params + `}`, `key "columns": want a list of strings`},
		{"threshold_rule2", `{"columns":["a","c"],"names":["b","s"],` + params + `}`, `missing key "buy_signal_threshold_2"`},
	}
	for _, c := range cases {
		_, err := signals.Default.Build(c.generator, json.RawMessage(c.cfg))
		if !errors.Is(err, gen.ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want one containing %q", c.generator, c.cfg, err, c.want)
		}
	}
}
