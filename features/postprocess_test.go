package features

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
)

// ---- helpers shared by the generator tests ----

// klineColumns are the columns randomKlines creates.
var klineColumns = []string{"open", "high", "low", "close", "volume", "trades", "tb_base_av", "periods", "unit"}

// randomKlines returns n rows of a seeded random walk with consistent OHLC, positive volume,
// trades and taker volume, a "periods" column of ints in [2, 30] (for MAVP) and a "unit"
// column in (-1, 1) (for ACOS and ASIN).
func randomKlines(seed int64, n int) *frame.Frame {
	r := rand.New(rand.NewSource(seed))
	tm := make([]int64, n)
	cols := map[string][]float64{}
	for _, c := range klineColumns {
		cols[c] = make([]float64, n)
	}
	price := 100.0
	for i := 0; i < n; i++ {
		tm[i] = int64(i) * 60000
		open := price
		price *= math.Exp(r.NormFloat64() * 0.01)
		cl := price
		cols["open"][i] = open
		cols["close"][i] = cl
		cols["high"][i] = math.Max(open, cl) * (1 + r.Float64()*0.005)
		cols["low"][i] = math.Min(open, cl) * (1 - r.Float64()*0.005)
		v := 10 + r.Float64()*100
		cols["volume"][i] = v
		cols["trades"][i] = float64(100 + r.Intn(1000))
		cols["tb_base_av"][i] = v * r.Float64()
		cols["periods"][i] = float64(2 + r.Intn(29))
		cols["unit"][i] = r.Float64()*1.8 - 0.9
	}
	f := frame.New(tm)
	for _, c := range klineColumns {
		if err := f.Set(c, frame.Float, cols[c]); err != nil {
			panic(err)
		}
	}
	return f
}

// cloneFrame deep-copies a frame.
func cloneFrame(f *frame.Frame) *frame.Frame {
	out := frame.New(append([]int64(nil), f.Time...))
	for _, c := range f.Columns() {
		if err := out.Set(c.Name, c.Kind, append([]float64(nil), c.Data...)); err != nil {
			panic(err)
		}
	}
	return out
}

func mustBuild(t testing.TB, name, cfg string) Generator {
	t.Helper()
	g, err := Default.Build(name, json.RawMessage(cfg))
	if err != nil {
		t.Fatalf("build %s %s: %v", name, cfg, err)
	}
	return g
}

// generate runs g and checks the output contract (names, order, lengths).
func generate(t testing.TB, g Generator, f *frame.Frame) map[string][]float64 {
	t.Helper()
	cols, err := g.Generate(f)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	names := g.Outputs()
	if len(cols) != len(names) {
		t.Fatalf("generate: %d columns, Outputs lists %d", len(cols), len(names))
	}
	out := map[string][]float64{}
	for i, c := range cols {
		if c.Name != names[i] {
			t.Fatalf("column %d is %q, Outputs says %q", i, c.Name, names[i])
		}
		if len(c.Data) != f.Len() {
			t.Fatalf("column %q has %d rows, frame has %d", c.Name, len(c.Data), f.Len())
		}
		out[c.Name] = c.Data
	}
	return out
}

// same reports whether a and b are bit-identical (all NaN are equal).
func same(a, b float64) bool {
	if math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// close reports |a-b| <= rel*max(|a|,|b|) + abs, or both NaN.
func closeTo(a, b, rel, abs float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+abs
}

func nans(xs ...float64) []float64 { return xs }

var nan = math.NaN()

// checkNoLookAhead perturbs every input value after row t (random values, some NaN) and
// asserts the outputs at rows <= t are bit-identical.
func checkNoLookAhead(t *testing.T, g Generator, f *frame.Frame, rows []int, seed int64) {
	t.Helper()
	full := generate(t, g, f)
	r := rand.New(rand.NewSource(seed))
	for _, row := range rows {
		p := cloneFrame(f)
		for _, c := range g.Inputs() {
			x, err := p.Col(c)
			if err != nil {
				t.Fatal(err)
			}
			for i := row + 1; i < len(x); i++ {
				if r.Float64() < 0.1 {
					x[i] = math.NaN()
				} else {
					x[i] *= 0.5 + r.Float64()
				}
			}
		}
		got := generate(t, g, p)
		for name, want := range full {
			for i := 0; i <= row; i++ {
				if !same(got[name][i], want[i]) {
					t.Fatalf("%s row %d changed when rows after %d changed: %v -> %v", name, i, row, want[i], got[name][i])
				}
			}
		}
	}
}

// checkLookback computes over rows [s-Lookback, n) and asserts rows >= s are bit-identical to
// the full computation.
func checkLookback(t *testing.T, g Generator, f *frame.Frame, starts []int) {
	t.Helper()
	lb := g.Lookback()
	if lb < 0 {
		t.Fatalf("Lookback is %d", lb)
	}
	full := generate(t, g, f)
	for _, s := range starts {
		sub := f.Slice(s-lb, f.Len())
		got := generate(t, g, sub)
		for name, want := range full {
			for i := s; i < f.Len(); i++ {
				if !same(got[name][i-(s-lb)], want[i]) {
					t.Fatalf("%s (lookback %d, start %d): row %d is %v, full computation gives %v",
						name, lb, s, i, got[name][i-(s-lb)], want[i])
				}
			}
		}
	}
}

// wantConfigError asserts err wraps ErrConfig and mentions each of words.
func wantConfigError(t *testing.T, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a config error mentioning %q, got nil", words)
	}
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("error %q does not wrap ErrConfig", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q is not one line", err)
	}
}

func frameOf(cols map[string][]float64) *frame.Frame {
	n := -1
	for _, c := range cols {
		n = len(c)
	}
	tm := make([]int64, n)
	for i := range tm {
		tm[i] = int64(i)
	}
	f := frame.New(tm)
	for name, c := range cols {
		if err := f.Set(name, frame.Float, c); err != nil {
			panic(err)
		}
	}
	return f
}

func assertSeries(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range want {
		if !closeTo(got[i], want[i], 0, tol) {
			t.Fatalf("%s[%d] = %v, want %v (all: %v)", name, i, got[i], want[i], got)
		}
	}
}

// ---- tests of postprocess.go ----

func TestFillSeries(t *testing.T) {
	x := nans(nan, nan, 1, nan, nan, 4, 5, nan, nan)
	tests := []struct {
		mode fillMode
		want []float64
	}{
		{fillForward, nans(nan, nan, 1, 1, 1, 4, 5, 5, 5)},
		{fillLinear, nans(nan, nan, 1, 2, 3, 4, 5, 5, 5)},
	}
	for _, tt := range tests {
		got := fillSeries(x, tt.mode)
		assertSeries(t, "fill", got, tt.want, 0)
	}
	if !math.IsNaN(x[3]) {
		t.Fatal("fillSeries modified its input")
	}
	assertSeries(t, "all NaN", fillSeries(nans(nan, nan), fillLinear), nans(nan, nan), 0)
	if got := firstValid(nans(nan, nan, 3)); got != 2 {
		t.Fatalf("firstValid = %d", got)
	}
}

func TestPostProcRelative(t *testing.T) {
	// Three windows of one function; each row is independent.
	a := []float64{1, 2}
	b := []float64{2, 8}
	c := []float64{4, 4}
	tests := []struct {
		post postProc
		want [][]float64
	}{
		{postProc{relBase: "next", relFunc: "rel"}, [][]float64{{0.5, 0.25}, {0.5, 2}, {4, 4}}},
		{postProc{relBase: "prev", relFunc: "diff"}, [][]float64{{1, 2}, {1, 6}, {2, -4}}},
		{postProc{relBase: "last", relFunc: "rel_diff"}, [][]float64{{-0.75, -0.5}, {-0.5, 1}, {4, 4}}},
		// first: relative to the FIRST output (ITB's documentation; its code uses the last).
		{postProc{relBase: "first", relFunc: "rel"}, [][]float64{{1, 2}, {2, 4}, {4, 2}}},
		// percentage multiplies every output, the unchanged one included.
		{postProc{relBase: "next", relFunc: "diff", percentage: true}, [][]float64{{-100, -600}, {-200, 400}, {400, 400}}},
		// percentage without rel_base does nothing (as in ITB); log applies regardless.
		{postProc{percentage: true, log: true}, [][]float64{{0, math.Log(2)}, {math.Log(2), math.Log(8)}, {math.Log(4), math.Log(4)}}},
	}
	for _, tt := range tests {
		outs := [][]float64{append([]float64(nil), a...), append([]float64(nil), b...), append([]float64(nil), c...)}
		tt.post.apply(outs)
		for i := range outs {
			assertSeries(t, tt.post.relBase+"/"+tt.post.relFunc, outs[i], tt.want[i], 1e-15)
		}
	}
	// Division by zero gives NaN, not Inf.
	outs := [][]float64{{1}, {0}}
	postProc{relBase: "next", relFunc: "rel"}.apply(outs)
	if !math.IsNaN(outs[0][0]) {
		t.Fatalf("1/0 gave %v, want NaN", outs[0][0])
	}
}

func TestParsePostErrors(t *testing.T) {
	tests := []struct{ params, word string }{
		{`{"rel_base":"middle"}`, "rel_base"},
		{`{"rel_func":"ratio"}`, "rel_func"},
		{`{"percentage":"yes"}`, "percentage"},
		{`{"log":1}`, "log"},
	}
	for _, tt := range tests {
		m, err := decodeObject(json.RawMessage(tt.params), "parameters")
		if err != nil {
			t.Fatal(err)
		}
		_, err = parsePost(m)
		wantConfigError(t, err, tt.word)
	}
	m, _ := decodeObject(json.RawMessage(`{"rel_base":false,"rel_func":null,"percentage":true,"x":1}`), "p")
	p, err := parsePost(m)
	if err != nil || p.relBase != "" || p.relFunc != "rel" || !p.percentage {
		t.Fatalf("parsePost = %+v, %v", p, err)
	}
	if _, ok := m["x"]; !ok || len(m) != 1 {
		t.Fatalf("parsePost left %v, want only x", m)
	}
}

func TestDecodeOrderedStrings(t *testing.T) {
	got, err := decodeOrderedStrings(json.RawMessage(`{"high":"h","low":"l","close":"c"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []orderedPair{{"high", "h"}, {"low", "l"}, {"close", "c"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, bad := range []string{`{"a":1}`, `{"a":"x","a":"y"}`, `["a"]`} {
		if _, err := decodeOrderedStrings(json.RawMessage(bad)); err == nil {
			t.Fatalf("%s: want an error", bad)
		}
	}
}
