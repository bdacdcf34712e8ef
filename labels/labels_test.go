package labels_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/labels"
)

var nan = math.NaN()

// bits turns "1001" into []float64{1, 0, 0, 1}; spaces are ignored.
func bits(s string) []float64 {
	var out []float64
	for _, r := range s {
		switch r {
		case '0':
			out = append(out, 0)
		case '1':
			out = append(out, 1)
		}
	}
	return out
}

func fmtBits(x []float64) string {
	var b strings.Builder
	for _, v := range x {
		switch v {
		case 0:
			b.WriteByte('0')
		case 1:
			b.WriteByte('1')
		default:
			b.WriteByte('?') // neither 0 nor 1 (e.g. NaN): always a failure
		}
	}
	return b.String()
}

func equalBits(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] { // NaN never equals
			return false
		}
	}
	return true
}

// Reference setting of the 1min sample: threshold 2 %, tolerance 0.2. For a reference price of 100
// the target is up > 102 (high) / down < 98 (low) and the stop down < 99.6 (high) / up > 100.4 (low).
// Each case is row 0 with ref 100 and horizon 3 over rows 1..3; rows 1..3 are the last horizon rows,
// so the whole expected vector is "x000".
func TestHighLow2HandCases(t *testing.T) {
	type tc struct {
		name     string
		ref0     float64
		up, down []float64 // rows 1..3
		want     string
	}
	high := []tc{
		{"TP first", 100, []float64{101, 102.5, 101}, []float64{99.8, 99.9, 99.0}, "1000"},
		{"SL first", 100, []float64{101, 101, 103}, []float64{99.5, 100, 100}, "0000"},
		{"both in the same bar", 100, []float64{101, 103, 101}, []float64{99.8, 99.0, 99.8}, "1000"},
		{"neither, prices equal to the levels", 100, []float64{101.9, 102, 101}, []float64{99.7, 99.6, 99.9}, "0000"},
		{"only SL", 100, []float64{101, 101, 101}, []float64{99.8, 99.0, 99.9}, "0000"},
		{"only TP, in the last bar", 100, []float64{101, 101, 102.01}, []float64{99.8, 99.7, 99.9}, "1000"},
		{"NaN ref", nan, []float64{101, 103, 101}, []float64{99.8, 99.9, 99.8}, "0000"},
		{"NaN future then TP", 100, []float64{nan, 103, 101}, []float64{nan, 99.8, 99.8}, "1000"},
		{"NaN future then SL then TP", 100, []float64{nan, 101, 103}, []float64{nan, 99.0, 99.8}, "0000"},
		// ITB's argmax check counts a NaN first future bar as a crossing and marks this True.
		{"NaN first future bar, no crossing", 100, []float64{nan, 101, 101}, []float64{nan, 99.8, 99.8}, "0000"},
		{"all future NaN", 100, []float64{nan, nan, nan}, []float64{nan, nan, nan}, "0000"},
	}
	low := []tc{
		{"TP first", 100, []float64{99, 100.2, 101}, []float64{99, 97.5, 99}, "1000"},
		{"SL first", 100, []float64{100.5, 99, 99}, []float64{99.5, 97, 97}, "0000"},
		{"both in the same bar", 100, []float64{100.2, 101, 100}, []float64{99, 97, 99}, "1000"},
		{"neither, prices equal to the levels", 100, []float64{100.4, 100.3, 100}, []float64{98, 98.5, 99}, "0000"},
		{"only SL", 100, []float64{100.2, 100.5, 100.3}, []float64{99, 99, 99}, "0000"},
		{"only TP, in the last bar", 100, []float64{100.2, 100.3, 100.1}, []float64{99, 99, 97.99}, "1000"},
		{"NaN ref", nan, []float64{100.2, 100.2, 100.2}, []float64{97, 97, 97}, "0000"},
		{"NaN future then TP", 100, []float64{nan, 100.2, 100}, []float64{nan, 97.9, 99}, "1000"},
		{"NaN future then SL then TP", 100, []float64{nan, 101, 100}, []float64{nan, 99, 97}, "0000"},
		{"NaN first future bar, no crossing", 100, []float64{nan, 100.2, 100.2}, []float64{nan, 99, 99}, "0000"},
	}
	for _, fn := range []struct {
		function string
		cases    []tc
	}{{"high", high}, {"low", low}} {
		for _, c := range fn.cases {
			ref := []float64{c.ref0, 100, 100, 100}
			up := append([]float64{100}, c.up...)
			down := append([]float64{100}, c.down...)
			got, err := labels.HighLow2(ref, up, down, fn.function, 2.0, 0.2, 3)
			if err != nil {
				t.Fatalf("%s/%s: %v", fn.function, c.name, err)
			}
			if !equalBits(got, bits(c.want)) {
				t.Errorf("%s/%s: got %s, want %s", fn.function, c.name, fmtBits(got), c.want)
			}
		}
	}
}

// A target one bar beyond the horizon does not count.
func TestHighLow2HorizonBoundary(t *testing.T) {
	ref := []float64{100, 100, 100, 100, 100}
	up := []float64{100, 101, 101, 101, 110}
	down := []float64{100, 99.9, 99.9, 99.9, 99.9}
	got, err := labels.HighLow2(ref, up, down, "high", 2, 0.2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := "01000"; fmtBits(got) != want {
		t.Errorf("horizon 3: got %s, want %s", fmtBits(got), want)
	}
	got, err = labels.HighLow2(ref, up, down, "high", 2, 0.2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := "10000"; fmtBits(got) != want {
		t.Errorf("horizon 4: got %s, want %s", fmtBits(got), want)
	}
}

// A whole series with every row worked out by hand (horizon 2).
func TestHighLow2HandSeries(t *testing.T) {
	ref := []float64{100, 100, 100, nan, 100, 100, 100, 100}
	up := []float64{100.5, 102.5, 101, nan, 103, 100.2, 100.3, 105}
	down := []float64{99.8, 99.9, 99.5, nan, 97.5, 99.9, 99.95, 95}
	// high: row0 TP at row1; row1 SL at row2; row2 NaN row3 then tie at row4; row3 NaN ref;
	// row4 nothing; row5 tie at row7; rows 6-7 last horizon rows.
	// low: row0 SL (up 102.5) at row1; row1 SL (up 101) at row2; row2 tie at row4 (down 97.5,
	// up 103); row3 NaN ref; row4 nothing; row5 tie at row7; rows 6-7 last.
	for _, c := range []struct{ function, want string }{{"high", "10100100"}, {"low", "00100100"}} {
		got, err := labels.HighLow2(ref, up, down, c.function, 2, 0.2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if fmtBits(got) != c.want {
			t.Errorf("%s: got %s, want %s", c.function, fmtBits(got), c.want)
		}
	}
}

// Every row would be True with an unbounded future; the last horizon rows must still be False,
// and a series no longer than the horizon is all False.
func TestHighLow2LastRowsFalse(t *testing.T) {
	n := 10
	ref, up, down := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		ref[i] = 100 * math.Pow(1.05, float64(i))
		up[i], down[i] = ref[i], ref[i]
	}
	for h, want := range map[int]string{1: "1111111110", 3: "1111111000", 9: "1000000000", 10: "0000000000", 50: "0000000000"} {
		got, err := labels.HighLow2(ref, up, down, "high", 2, 0.2, h)
		if err != nil {
			t.Fatal(err)
		}
		if fmtBits(got) != want {
			t.Errorf("horizon %d: got %s, want %s", h, fmtBits(got), want)
		}
	}
	got, err := labels.HighLow2(nil, nil, nil, "low", 2, 0.2, 5)
	if err != nil || len(got) != 0 {
		t.Errorf("empty input: got %v, %v", got, err)
	}
}

// The stop threshold is round(-T*tolerance, 6): with tolerance 0.1234567891 and T = 2 the stop is
// -0.246914 %, i.e. 99.753086 for a price of 100, while the unrounded -0.2469135782 % would put it
// at 99.7530864218. A low of 99.7530863 lies between the two: not a stop with rounding.
func TestHighLow2ToleranceRounding(t *testing.T) {
	ref := []float64{100, 100, 100, 100}
	up := []float64{100, 100, 100, 102.5}
	down := []float64{100, 99.7530863, 99.8, 99.8}
	got, err := labels.HighLow2(ref, up, down, "high", 2, 0.1234567891, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1000"; fmtBits(got) != want {
		t.Errorf("high: got %s, want %s", fmtBits(got), want)
	}
	// Mirror for low: stop up > 100.246914; 100.2469137 is above the unrounded 100.2469135782 only.
	up = []float64{100, 100.2469137, 100.2, 100.2}
	down = []float64{100, 99.5, 99.5, 97.5}
	if got, err = labels.HighLow2(ref, up, down, "low", 2, 0.1234567891, 3); err != nil {
		t.Fatal(err)
	}
	if want := "1000"; fmtBits(got) != want {
		t.Errorf("low: got %s, want %s", fmtBits(got), want)
	}
	// Just beyond the rounded stop it is a stop.
	up[1] = 100.2469141
	if got, err = labels.HighLow2(ref, up, down, "low", 2, 0.1234567891, 3); err != nil {
		t.Fatal(err)
	}
	if want := "0000"; fmtBits(got) != want {
		t.Errorf("low past the stop: got %s, want %s", fmtBits(got), want)
	}
}

// The sign of the threshold is ignored: function decides the direction.
func TestHighLow2ThresholdSign(t *testing.T) {
	ref := []float64{100, 100, 100}
	up := []float64{100, 103, 100}
	down := []float64{100, 99.9, 100}
	for _, thr := range []float64{2, -2} {
		got, err := labels.HighLow2(ref, up, down, "high", thr, 0.2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if fmtBits(got) != "100" {
			t.Errorf("threshold %v: got %s, want 100", thr, fmtBits(got))
		}
	}
}

func TestHighLow2KernelErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	if _, err := labels.HighLow2(x, x[:2], x, "high", 2, 0.2, 1); !errors.Is(err, frame.ErrLength) {
		t.Errorf("length mismatch: got %v, want frame.ErrLength", err)
	}
	for name, call := range map[string]func() error{
		"function":  func() error { _, err := labels.HighLow2(x, x, x, "up", 2, 0.2, 1); return err },
		"threshold": func() error { _, err := labels.HighLow2(x, x, x, "high", 0, 0.2, 1); return err },
		"tolerance": func() error { _, err := labels.HighLow2(x, x, x, "high", 2, -0.1, 1); return err },
		"horizon":   func() error { _, err := labels.HighLow2(x, x, x, "high", 2, 0.2, 0); return err },
	} {
		err := call()
		if !errors.Is(err, gen.ErrConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s: got %v, want an ErrConfig naming it", name, err)
		}
	}
}

func TestHighLow2Generator(t *testing.T) {
	f := frame.New([]int64{0, 60000, 120000, 180000})
	mustSet(t, f, "c", []float64{100, 100, 100, 100})
	mustSet(t, f, "h", []float64{100, 101, 103, 100})
	mustSet(t, f, "l", []float64{100, 99.9, 99.9, 99.9})
	cfg := `{"columns":["c","h","l"],"function":"high","thresholds":[2.0, 0.5],"tolerance":0.2,"horizon":2,"names":["up2","up05"]}`
	g, err := labels.Default.Build("highlow2", json.RawMessage(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.Inputs(), ","); got != "c,h,l" {
		t.Errorf("Inputs = %s", got)
	}
	if got := strings.Join(g.Outputs(), ","); got != "up2,up05" {
		t.Errorf("Outputs = %s", got)
	}
	if g.Window() != 0 || g.Lookback() != -1 {
		t.Errorf("Window, Lookback = %d, %d; want 0, -1", g.Window(), g.Lookback())
	}
	if hz, ok := g.(labels.Horizoner); !ok || hz.Horizon() != 2 {
		t.Errorf("Horizoner: ok=%v", ok)
	}
	cols, err := g.Generate(f)
	if err != nil {
		t.Fatal(err)
	}
	// up2 (target 102, stop 99.6): rows 0 and 1 reach 103 at row 2 without a stop.
	// up05 (target 100.5, stop 99.9): row 0 reaches 101 at row 1, row 1 reaches 103 at row 2.
	want := map[string]string{"up2": "1100", "up05": "1100"}
	if len(cols) != 2 {
		t.Fatalf("got %d columns", len(cols))
	}
	for _, c := range cols {
		if c.Kind != frame.Bool {
			t.Errorf("%s: kind %v, want bool", c.Name, c.Kind)
		}
		if fmtBits(c.Data) != want[c.Name] {
			t.Errorf("%s: got %s, want %s", c.Name, fmtBits(c.Data), want[c.Name])
		}
	}
	// A missing input column is reported.
	g2, err := labels.Default.Build("highlow2", json.RawMessage(strings.Replace(cfg, `"l"`, `"low"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g2.Generate(f); !errors.Is(err, frame.ErrMissingColumn) {
		t.Errorf("missing column: got %v", err)
	}
}

func mustSet(t *testing.T, f *frame.Frame, name string, data []float64) {
	t.Helper()
	if err := f.Set(name, frame.Float, data); err != nil {
		t.Fatal(err)
	}
}

// Hand-computed highlow, horizon 2 (min_periods 1).
func TestHighLowHand(t *testing.T) {
	close := []float64{100, 100, 96, 100, 101, 100, 100}
	high := []float64{100, 101.5, 100.25, 100, 100.5, nan, 100}
	low := []float64{100, 99.75, 99.5, 97, 99, nan, 100}
	cols, err := labels.HighLow(close, high, low, 2)
	if err != nil {
		t.Fatal(err)
	}
	// row0: max high 101.5 -> 1.5, min low 99.5 -> -0.5, ratio 2*1.5/2-1 = 0.5
	// row1: 100.25 -> 0.25, 97 -> -3, ratio 0.5/3.25-1 = -11/13
	// row2 (close 96): 100.5 -> 4.6875, 97 -> +1.0417 clipped to 0, ratio 1
	// row3: 100.5 (NaN skipped) -> 0.5, 99 -> -1, ratio 1/1.5-1 = -1/3
	// row4 (close 101): 100 -> -0.990 clipped to 0, 100 -> -100/101, ratio -1
	// rows 5, 6: last horizon rows, NaN.
	wantF := map[string][]float64{
		"high_max_2":    {1.5, 0.25, 4.6875, 0.5, 0, nan, nan},
		"low_min_2":     {-0.5, -3, 0, -1, -100.0 / 101, nan, nan},
		"high_to_low_2": {0.5, -11.0 / 13, 1, -1.0 / 3, -1, nan, nan},
	}
	wantB := map[string]string{
		"high_10": "1010000", "high_15": "1010000", "high_20": "0010000", "high_25": "0010000", "high_30": "0010000",
		"high_01": "0000100", "high_02": "0000100", "high_03": "0100100", "high_04": "0100100", "high_05": "0101100",
		"low_01": "0010000", "low_02": "0010000", "low_03": "0010000", "low_04": "0010000", "low_05": "1010000",
		"low_10": "0101000", "low_15": "0100000", "low_20": "0100000", "low_25": "0100000", "low_30": "0100000",
	}
	names := labels.HighLowNames(2)
	if len(cols) != 23 || len(names) != 23 {
		t.Fatalf("got %d columns and %d names, want 23", len(cols), len(names))
	}
	for i, c := range cols {
		if c.Name != names[i] {
			t.Errorf("column %d is %s, want %s", i, c.Name, names[i])
		}
		if w, ok := wantF[c.Name]; ok {
			if c.Kind != frame.Float {
				t.Errorf("%s: kind %v", c.Name, c.Kind)
			}
			for r := range w {
				if math.IsNaN(w[r]) != math.IsNaN(c.Data[r]) || (!math.IsNaN(w[r]) && math.Abs(w[r]-c.Data[r]) > 1e-12) {
					t.Errorf("%s[%d] = %v, want %v", c.Name, r, c.Data[r], w[r])
				}
			}
			continue
		}
		w, ok := wantB[c.Name]
		if !ok {
			t.Errorf("unexpected column %s", c.Name)
			continue
		}
		if c.Kind != frame.Bool {
			t.Errorf("%s: kind %v", c.Name, c.Kind)
		}
		if fmtBits(c.Data) != w {
			t.Errorf("%s: got %s, want %s", c.Name, fmtBits(c.Data), w)
		}
	}
}

// pandas min_periods = H/2: with H = 4 a window needs 2 present prices.
func TestHighLowMinPeriods(t *testing.T) {
	close := []float64{100, 100, 100, 100, 100, 100, 100}
	high := []float64{100, nan, nan, nan, 105, 100, 100}
	low := []float64{100, nan, nan, nan, 99, 100, 100}
	cols, err := labels.HighLow(close, high, low, 4)
	if err != nil {
		t.Fatal(err)
	}
	// row0 window rows1-4 has 1 value -> NaN; row1 rows2-5 has 2 -> max 105 -> 5; row2 rows3-6 -> 5.
	want := []float64{nan, 5, 5, nan, nan, nan, nan}
	for r, w := range want {
		g := cols[0].Data[r]
		if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && g != w) {
			t.Errorf("high_max_4[%d] = %v, want %v", r, g, w)
		}
	}
	if got := fmtBits(cols[3].Data); cols[3].Name != "high_10" || got != "0110000" {
		t.Errorf("%s = %s, want 0110000", cols[3].Name, got)
	}
}

func TestHighLowGenerator(t *testing.T) {
	g, err := labels.Default.Build("highlow", json.RawMessage(`{"horizon": 60}`))
	if err != nil {
		t.Fatal(err)
	}
	if hz, ok := g.(labels.Horizoner); !ok || hz.Horizon() != 60 {
		t.Errorf("Horizon: ok=%v", ok)
	}
	if got := strings.Join(g.Inputs(), ","); got != "close,high,low" {
		t.Errorf("Inputs = %s", got)
	}
	out := g.Outputs()
	if len(out) != 23 || out[0] != "high_max_60" || out[1] != "low_min_60" || out[2] != "high_to_low_60" || out[22] != "low_30" {
		t.Errorf("Outputs = %v", out)
	}
	f := frame.New([]int64{0})
	mustSet(t, f, "close", []float64{1})
	if _, err := g.Generate(f); !errors.Is(err, frame.ErrMissingColumn) {
		t.Errorf("missing high/low: got %v", err)
	}
}

func TestTopBot2Hand(t *testing.T) {
	cases := []struct {
		name       string
		v          []float64
		function   string
		level, tol float64
		want       string
	}{
		// max 105 (row 4): level 100.8 crossed at rows 1 and 7, tolerance 102.9 at rows 2 and 6.
		// The sub-intervals [0,1] and [7,10] hold no accepted top (102 at row 8 has no left level).
		{name: "one top", v: []float64{99, 100, 101, 103, 105, 103, 101, 100, 102, 99, 98}, function: "top", level: 0.04, tol: 0.5, want: "00011100000"},
		{name: "one top, level sign ignored", v: []float64{99, 100, 101, 103, 105, 103, 101, 100, 102, 99, 98}, function: "top", level: -0.04, tol: 0.5, want: "00011100000"},
		{name: "one top, tolerance 1", v: []float64{99, 100, 101, 103, 105, 103, 101, 100, 102, 99, 98}, function: "top", level: 0.04, tol: 1, want: "00111110000"},
		// mirror: min 95 (row 4), level 98.8 crossed at rows 2 and 6, tolerance 96.9 at rows 3 and 5.
		{name: "one bottom", v: []float64{101, 100, 99, 97, 95, 97, 99, 100, 98, 101, 102}, function: "bot", level: 0.04, tol: 0.5, want: "00001000000"},
		{name: "one bottom, tolerance 1", v: []float64{101, 100, 99, 97, 95, 97, 99, 100, 98, 101, 102}, function: "bot", level: 0.04, tol: 1, want: "00011100000"},
		{name: "no bottom at 10%", v: []float64{101, 100, 99, 97, 95, 97, 99, 100, 98, 101, 102}, function: "bot", level: 0.1, tol: 0.5, want: "00000000000"},
		// 120 (row 5) never falls back 5 % on its right: rejected, but [0,4] is still split and
		// holds the top 110 (level 104.5 at rows 1 and 3, tolerance 107.25 at the same rows).
		{name: "rejected top still splits", v: []float64{95, 100, 110, 100, 105, 120, 119, 118}, function: "top", level: 0.05, tol: 0.5, want: "00100000"},
		// Two equal maxima: the first (row 2) wins; its tolerance 109.56 is crossed at rows 1 and 3.
		// Taking the second would label row 4 instead.
		{name: "first maximum wins", v: []float64{98, 100, 110, 107, 110, 100, 90}, function: "top", level: 0.04, tol: 0.1, want: "0010000"},
		// A NaN never crosses a level and is never labelled True.
		{name: "NaN inside", v: []float64{99, 100, 101, 103, 105, nan, 103, 101, 100, 102, 99, 98}, function: "top", level: 0.04, tol: 0.5, want: "000110100000"},
		{name: "all NaN", v: []float64{nan, nan, nan}, function: "top", level: 0.04, tol: 0.5, want: "000"},
		{name: "empty", v: nil, function: "bot", level: 0.04, tol: 0.5, want: ""},
	}
	for _, c := range cases {
		got, err := labels.TopBot2(c.v, c.function, c.level, c.tol)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if fmtBits(got) != c.want {
			t.Errorf("%s: got %s, want %s", c.name, fmtBits(got), c.want)
		}
	}
}

func TestTopBot2KernelErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	for name, call := range map[string]func() error{
		"function":  func() error { _, err := labels.TopBot2(x, "max", 0.02, 0.5); return err },
		"level":     func() error { _, err := labels.TopBot2(x, "top", 0, 0.5); return err },
		"tolerance": func() error { _, err := labels.TopBot2(x, "top", 0.02, 1.5); return err },
	} {
		err := call()
		if !errors.Is(err, gen.ErrConfig) || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s: got %v, want an ErrConfig naming it", name, err)
		}
	}
}

func TestTopBot2Generator(t *testing.T) {
	f := frame.New(make([]int64, 11))
	mustSet(t, f, "close", []float64{101, 100, 99, 97, 95, 97, 99, 100, 98, 101, 102})
	g, err := labels.Default.Build("topbot2", json.RawMessage(`{"columns":"close","function":"bot","level":0.04,"tolerances":[0.5,1.0],"names":["bot4_05","bot4_1"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if hz, ok := g.(labels.Horizoner); !ok || hz.Horizon() != -1 {
		t.Errorf("Horizoner: ok=%v", ok)
	}
	if g.Window() != 0 || g.Lookback() != -1 || strings.Join(g.Inputs(), ",") != "close" {
		t.Errorf("Window %d Lookback %d Inputs %v", g.Window(), g.Lookback(), g.Inputs())
	}
	cols, err := g.Generate(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, bits string }{{"bot4_05", "00001000000"}, {"bot4_1", "00011100000"}}
	if len(cols) != len(want) {
		t.Fatalf("got %d columns", len(cols))
	}
	for i, w := range want {
		if cols[i].Name != w.name || cols[i].Kind != frame.Bool || fmtBits(cols[i].Data) != w.bits {
			t.Errorf("column %d: %s %v %s, want %s bool %s", i, cols[i].Name, cols[i].Kind, fmtBits(cols[i].Data), w.name, w.bits)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	const hl2 = `"columns":["close","high","low"],"function":"high","thresholds":[2.0],"tolerance":0.2,"horizon":120,"names":["high_20"]`
	const tb2 = `"columns":"close","function":"top","level":0.02,"tolerances":[0.1],"names":["top2_01"]`
	cases := []struct {
		gen, cfg, key string
	}{
		{"highlow2", `[1,2]`, "JSON object"},
		{"highlow2", `{` + hl2 + `,"Horizon":5}`, `"Horizon"`},
		{"highlow2", `{` + hl2 + `,"extra":1}`, `"extra"`},
		{"highlow2", `{"function":"high","thresholds":[2.0],"tolerance":0.2,"horizon":120,"names":["a"]}`, `"columns"`},
		{"highlow2", `{"columns":["close","high","low"],"thresholds":[2.0],"tolerance":0.2,"horizon":120,"names":["a"]}`, `"function"`},
		{"highlow2", `{"columns":["close","high","low"],"function":"high","tolerance":0.2,"horizon":120,"names":["a"]}`, `"thresholds"`},
		{"highlow2", `{"columns":["close","high","low"],"function":"high","thresholds":[2.0],"horizon":120,"names":["a"]}`, `"tolerance"`},
		{"highlow2", `{"columns":["close","high","low"],"function":"high","thresholds":[2.0],"tolerance":0.2,"names":["a"]}`, `"horizon"`},
		{"highlow2", `{"columns":["close","high","low"],"function":"high","thresholds":[2.0],"tolerance":0.2,"horizon":120}`, `"names"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["close","high","low"]`, `"close"`, 1), `"columns"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["close","high","low"]`, `["close","high"]`, 1), `"columns"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `"high","thresholds"`, `"up","thresholds"`, 1), `"function"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `"high","thresholds"`, `1,"thresholds"`, 1), `"function"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `[2.0]`, `["2.0"]`, 1), `"thresholds"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `[2.0]`, `[]`, 1), `"thresholds"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `[2.0]`, `[0]`, 1), `"thresholds"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `0.2`, `"0.2"`, 1), `"tolerance"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `0.2`, `null`, 1), `"tolerance"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `0.2`, `-0.2`, 1), `"tolerance"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `120`, `120.5`, 1), `"horizon"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `120`, `"120"`, 1), `"horizon"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `120`, `0`, 1), `"horizon"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["high_20"]`, `["a","b"]`, 1), `"names"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["high_20"]`, `[]`, 1), `"names"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["high_20"]`, `[""]`, 1), `"names"`},
		{"highlow2", strings.Replace(strings.Replace(`{`+hl2+`}`, `["high_20"]`, `["a","a"]`, 1), `[2.0]`, `[1,2]`, 1), `"names"`},
		{"highlow2", strings.Replace(`{`+hl2+`}`, `["high_20"]`, `[1]`, 1), `"names"`},
		{"highlow", `{}`, `"horizon"`},
		{"highlow", `{"horizon":60,"columns":["close"]}`, `"columns"`},
		{"highlow", `{"horizon":-1}`, `"horizon"`},
		{"topbot2", `{` + tb2 + `,"horizon":5}`, `"horizon"`},
		{"topbot2", `{"function":"top","level":0.02,"tolerances":[0.1],"names":["a"]}`, `"columns"`},
		{"topbot2", `{"columns":"close","level":0.02,"tolerances":[0.1],"names":["a"]}`, `"function"`},
		{"topbot2", `{"columns":"close","function":"top","tolerances":[0.1],"names":["a"]}`, `"level"`},
		{"topbot2", `{"columns":"close","function":"top","level":0.02,"names":["a"]}`, `"tolerances"`},
		{"topbot2", `{"columns":"close","function":"top","level":0.02,"tolerances":[0.1]}`, `"names"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `"close"`, `["close"]`, 1), `"columns"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `"top"`, `"high"`, 1), `"function"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `0.02`, `0`, 1), `"level"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `0.02`, `"2%"`, 1), `"level"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `[0.1]`, `[1.5]`, 1), `"tolerances"`},
		{"topbot2", strings.Replace(`{`+tb2+`}`, `[0.1]`, `[0.1,0.2]`, 1), `"names"`},
	}
	for _, c := range cases {
		_, err := labels.Default.Build(c.gen, json.RawMessage(c.cfg))
		if err == nil {
			t.Errorf("%s %s: no error", c.gen, c.cfg)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, gen.ErrConfig) || !strings.Contains(msg, c.key) || strings.Contains(msg, "\n") {
			t.Errorf("%s %s: got %q, want a one-line ErrConfig naming %s", c.gen, c.cfg, msg, c.key)
		}
	}
	// Accepted shapes: a single threshold number and a single name string (ITB wraps non-lists).
	ok := []struct{ gen, cfg string }{
		{"highlow2", `{` + hl2 + `}`},
		{"highlow2", `{"columns":["close","high","low"],"function":"low","thresholds":2,"tolerance":0,"horizon":120.0,"names":"low_20"}`},
		{"highlow", `{"horizon":120}`},
		{"topbot2", `{` + tb2 + `}`},
		{"topbot2", `{"columns":"close","function":"bot","level":-0.02,"tolerances":0,"names":"b"}`},
	}
	for _, c := range ok {
		if _, err := labels.Default.Build(c.gen, json.RawMessage(c.cfg)); err != nil {
			t.Errorf("%s %s: %v", c.gen, c.cfg, err)
		}
	}
	if _, err := labels.Default.Build("topbot", nil); !errors.Is(err, gen.ErrUnknownGenerator) {
		t.Errorf("topbot: got %v, want ErrUnknownGenerator (not implemented)", err)
	}
	if got := strings.Join(labels.Default.Names(), ","); got != "highlow,highlow2,topbot2" {
		t.Errorf("registered: %s", got)
	}
}
