package labels_test

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/labels"
)

// btc is BTCUSDT 1m 2023 on a regular one-minute grid: the 80 minutes missing after the
// 2023-03-24 halt are inserted as NaN rows.
type btc struct {
	time             []int64
	close, high, low []float64
	gap              int // index of the first inserted NaN row
}

var (
	btcOnce sync.Once
	btcData *btc
)

func loadBTC2023(tb testing.TB) *btc {
	tb.Helper()
	btcOnce.Do(func() {
		kl := sharedtest.ReadKlines(tb, "BTCUSDT-1m-2023.csv.gz", 0)
		d := &btc{gap: -1}
		inserted := 0
		for i, k := range kl {
			if i > 0 {
				for t := kl[i-1].OpenTime + 60000; t < k.OpenTime; t += 60000 {
					if d.gap < 0 {
						d.gap = len(d.time)
					}
					d.time = append(d.time, t)
					d.close = append(d.close, math.NaN())
					d.high = append(d.high, math.NaN())
					d.low = append(d.low, math.NaN())
					inserted++
				}
			}
			d.time = append(d.time, k.OpenTime)
			d.high = append(d.high, k.Float(tb, 1))
			d.low = append(d.low, k.Float(tb, 2))
			d.close = append(d.close, k.Float(tb, 3))
		}
		if want := time.Date(2023, 3, 24, 12, 40, 0, 0, time.UTC).UnixMilli(); inserted != 80 || d.gap < 0 || d.time[d.gap] != want || len(d.time) != 525600 {
			tb.Fatalf("BTCUSDT 2023: %d rows, %d inserted, gap at row %d; want 525600 rows and 80 rows inserted at 2023-03-24 12:40", len(d.time), inserted, d.gap)
		}
		btcData = d
	})
	if btcData == nil {
		tb.Fatal("BTCUSDT 2023 data failed to load earlier")
	}
	return btcData
}

func (d *btc) frame(tb testing.TB, i, j int) *frame.Frame {
	tb.Helper()
	f := frame.New(d.time[i:j])
	for _, c := range []struct {
		name string
		data []float64
	}{{"close", d.close[i:j]}, {"high", d.high[i:j]}, {"low", d.low[i:j]}} {
		if err := f.Set(c.name, frame.Float, c.data); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

// bruteHighLow2 is the highlow2 definition of the reference (§4.1) as direct loops: for row i with
// p = ref[i], first = the smallest k in 0..horizon-1 with the target crossed at row i+1+k, second
// the same for the stop; False if first does not exist, True if second does not exist, else
// first <= second. The last horizon rows are False, and (tradectl's fix) so is a row with NaN p.
func bruteHighLow2(ref, up, down []float64, function string, threshold, tolerance float64, horizon int) []bool {
	n := len(ref)
	out := make([]bool, n)
	T := math.Abs(threshold)
	if function == "low" {
		T = -T
	}
	tol := math.Round(-T*tolerance*1e6) / 1e6 // round(-T*tolerance, 6)
	for i := 0; i < n; i++ {
		if i >= n-horizon || math.IsNaN(ref[i]) {
			continue
		}
		p := ref[i]
		first, second := -1, -1
		for k := 0; k < horizon; k++ {
			j := i + 1 + k
			var hitFirst, hitSecond bool
			if function == "high" {
				hitFirst = up[j] > p*(1+T/100)
				hitSecond = down[j] < p*(1+tol/100)
			} else {
				hitFirst = down[j] < p*(1+T/100)
				hitSecond = up[j] > p*(1+tol/100)
			}
			if hitFirst && first < 0 {
				first = k
			}
			if hitSecond && second < 0 {
				second = k
			}
		}
		switch {
		case first < 0:
			out[i] = false
		case second < 0:
			out[i] = true
		default:
			out[i] = first <= second
		}
	}
	return out
}

// compareBool checks a 0/1 column against the expected booleans and returns the count of True.
func compareBool(t *testing.T, what string, got []float64, want []bool) int {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	bad, ones := 0, 0
	for i, w := range want {
		var wv float64
		if w {
			wv = 1
			ones++
		}
		if got[i] != wv {
			if bad < 5 {
				t.Errorf("%s: row %d = %v, want %v", what, i, got[i], wv)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", what, bad, len(want))
	}
	return ones
}

func TestHighLow2RealData(t *testing.T) {
	d := loadBTC2023(t)
	f := d.frame(t, 0, len(d.time))
	n := f.Len()
	settings := []struct {
		function   string
		thresholds []float64
		names      []string
		tolerance  float64
		horizon    int
	}{
		{"high", []float64{2.0}, []string{"high_20"}, 0.2, 120}, // 1min sample
		{"low", []float64{2.0}, []string{"low_20"}, 0.2, 120},
		{"high", []float64{3.0}, []string{"high_30"}, 0.2, 24}, // 1h sample shape
		{"low", []float64{3.0}, []string{"low_30"}, 0.2, 24},
		{"high", []float64{0.5, 1.0}, []string{"high_05", "high_10"}, 0.5, 120},
		{"low", []float64{0.5, 1.0}, []string{"low_05", "low_10"}, 0.5, 120},
		{"high", []float64{0.3}, []string{"high_03"}, 0.1234567891, 15},
		{"low", []float64{0.3}, []string{"low_03"}, 0.1234567891, 15},
	}
	spanning := 0 // True rows whose window holds gap (NaN) rows and real prices after the gap
	for _, s := range settings {
		cfg, _ := json.Marshal(map[string]any{
			"columns": []string{"close", "high", "low"}, "function": s.function,
			"thresholds": s.thresholds, "tolerance": s.tolerance, "horizon": s.horizon, "names": s.names,
		})
		g, err := labels.Default.Build("highlow2", cfg)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := g.Generate(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, thr := range s.thresholds {
			want := bruteHighLow2(d.close, d.high, d.low, s.function, thr, s.tolerance, s.horizon)
			what := fmt.Sprintf("%s (%s %.2f%%, tolerance %v, horizon %d)", s.names[k], s.function, thr, s.tolerance, s.horizon)
			ones := compareBool(t, what, cols[k].Data, want)
			// The comparison must not be vacuous: both classes occur.
			if ones == 0 || ones == n {
				t.Errorf("%s: %d of %d rows True; expected both classes", what, ones, n)
			}
			// Inside the gap the reference price is missing: always False.
			for i := d.gap; i < d.gap+80; i++ {
				if cols[k].Data[i] != 0 {
					t.Errorf("%s: gap row %d = %v, want 0", what, i, cols[k].Data[i])
					break
				}
			}
			for i := n - s.horizon; i < n; i++ {
				if cols[k].Data[i] != 0 {
					t.Errorf("%s: tail row %d = %v, want 0", what, i, cols[k].Data[i])
					break
				}
			}
			for i := d.gap + 80 - s.horizon; i < d.gap; i++ {
				if want[i] {
					spanning++
				}
			}
			t.Logf("%s: %d True of %d", what, ones, n)
		}
	}
	// The gap must be exercised: some labels of the halt rows before it (price 28080) look across
	// the 80 NaN rows at the prices after it and are True (ITB's min_periods rule may drop these).
	if spanning == 0 {
		t.Error("no True label spans the 2023-03-24 gap; the gap behaviour is not exercised")
	}
	t.Logf("%d True labels span the gap", spanning)
}

// bruteHighLow is §4.2 as direct loops over windows i+1..i+H (NaN skipped, NaN when fewer than
// max(H/2,1) present or the window runs past the end).
func bruteHighLow(close, high, low []float64, H int) map[string][]float64 {
	n := len(close)
	hm, lm, ratio := make([]float64, n), make([]float64, n), make([]float64, n)
	minp := H / 2
	if minp < 1 {
		minp = 1
	}
	for i := 0; i < n; i++ {
		hm[i], lm[i], ratio[i] = math.NaN(), math.NaN(), math.NaN()
		if i+H > n-1 {
			continue
		}
		mx, mn := math.Inf(-1), math.Inf(1)
		ch, cl := 0, 0
		for j := i + 1; j <= i+H; j++ {
			if !math.IsNaN(high[j]) {
				ch++
				mx = math.Max(mx, high[j])
			}
			if !math.IsNaN(low[j]) {
				cl++
				mn = math.Min(mn, low[j])
			}
		}
		if ch >= minp {
			hm[i] = 100 * (mx - close[i]) / close[i]
		}
		if cl >= minp {
			lm[i] = 100 * (mn - close[i]) / close[i]
		}
		if hm[i] < 0 {
			hm[i] = 0
		}
		if lm[i] > 0 {
			lm[i] = 0
		}
		h, l := hm[i], -lm[i]
		if h+l != 0 {
			ratio[i] = 2*h/(h+l) - 1
		}
	}
	h := fmt.Sprint(H)
	out := map[string][]float64{"high_max_" + h: hm, "low_min_" + h: lm, "high_to_low_" + h: ratio}
	label := func(name string, src []float64, pred func(float64) bool) {
		col := make([]float64, n)
		for i, v := range src {
			if !math.IsNaN(v) && pred(v) {
				col[i] = 1
			}
		}
		out[name] = col
	}
	for k, lv := range []float64{1.0, 1.5, 2.0, 2.5, 3.0} {
		label([]string{"high_10", "high_15", "high_20", "high_25", "high_30"}[k], hm, func(v float64) bool { return v >= lv })
		label([]string{"low_10", "low_15", "low_20", "low_25", "low_30"}[k], lm, func(v float64) bool { return v <= -lv })
	}
	for k, lv := range []float64{0.1, 0.2, 0.3, 0.4, 0.5} {
		label([]string{"high_01", "high_02", "high_03", "high_04", "high_05"}[k], hm, func(v float64) bool { return v <= lv })
		label([]string{"low_01", "low_02", "low_03", "low_04", "low_05"}[k], lm, func(v float64) bool { return v >= -lv })
	}
	return out
}

func TestHighLowRealData(t *testing.T) {
	d := loadBTC2023(t)
	i0, i1 := d.gap-40000, d.gap+40000 // two months around the halt
	f := d.frame(t, i0, i1)
	for _, H := range []int{120, 7} {
		g, err := labels.Default.Build("highlow", json.RawMessage(fmt.Sprintf(`{"horizon":%d}`, H)))
		if err != nil {
			t.Fatal(err)
		}
		cols, err := g.Generate(f)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteHighLow(d.close[i0:i1], d.high[i0:i1], d.low[i0:i1], H)
		if len(cols) != len(want) {
			t.Fatalf("H=%d: %d columns, want %d", H, len(cols), len(want))
		}
		for _, c := range cols {
			w, ok := want[c.Name]
			if !ok {
				t.Errorf("H=%d: unexpected column %s", H, c.Name)
				continue
			}
			bad, ones := 0, 0
			for r := range w {
				same := c.Data[r] == w[r] || (math.IsNaN(c.Data[r]) && math.IsNaN(w[r]))
				if !same {
					if bad < 3 {
						t.Errorf("H=%d %s row %d = %v, want %v", H, c.Name, r, c.Data[r], w[r])
					}
					bad++
				}
				if w[r] == 1 {
					ones++
				}
			}
			if bad > 0 {
				t.Errorf("H=%d %s: %d rows differ", H, c.Name, bad)
			}
			if c.Kind == frame.Bool && ones == 0 && H == 120 {
				t.Errorf("H=%d %s: never True; the comparison is vacuous", H, c.Name)
			}
		}
	}
}

// bruteTopBot2 is §4.3 as written, with linear scans for every interval: argmax/argmin (first
// occurrence, NaN skipped), last crossing left of the extremum, first crossing right of it, labels
// on (left_tol+1 .. right_tol-1), children [start, left_level] and [right_level, end].
// tradectl's fix: NaN rows are never True.
func bruteTopBot2(v []float64, top bool, level, tolerance float64) []bool {
	n := len(v)
	out := make([]bool, n)
	lvl := math.Abs(level)
	tolFrac := lvl * tolerance
	type interval struct{ start, end int }
	stack := []interval{{0, n - 1}}
	for len(stack) > 0 {
		iv := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x := -1
		for j := iv.start; j <= iv.end; j++ {
			if math.IsNaN(v[j]) {
				continue
			}
			if x < 0 || (top && v[j] > v[x]) || (!top && v[j] < v[x]) {
				x = j
			}
		}
		if x < 0 {
			continue
		}
		e := v[x]
		var levelVal, tolVal float64
		if top {
			levelVal, tolVal = e-lvl*math.Abs(e), e-tolFrac*math.Abs(e)
		} else {
			levelVal, tolVal = e+lvl*math.Abs(e), e+tolFrac*math.Abs(e)
		}
		cross := func(j int, t float64) bool {
			if top {
				return v[j] < t
			}
			return v[j] > t
		}
		lastLeft := func(t float64) int {
			idx := -1
			for j := iv.start; j <= x; j++ {
				if cross(j, t) {
					idx = j
				}
			}
			return idx
		}
		firstRight := func(t float64) int {
			for j := x; j <= iv.end; j++ {
				if cross(j, t) {
					return j
				}
			}
			return -1
		}
		ll, rl := lastLeft(levelVal), firstRight(levelVal)
		lt, rt := lastLeft(tolVal), firstRight(tolVal)
		if ll >= 0 && rl >= 0 {
			for j := lt + 1; j <= rt-1; j++ {
				out[j] = true
			}
		}
		if ll >= 0 && iv.start < ll {
			stack = append(stack, interval{iv.start, ll})
		}
		if rl >= 0 && rl < iv.end {
			stack = append(stack, interval{rl, iv.end})
		}
	}
	for i := range v {
		if math.IsNaN(v[i]) {
			out[i] = false
		}
	}
	return out
}

func TestTopBot2RealData(t *testing.T) {
	d := loadBTC2023(t)
	slices := []struct {
		name   string
		i0, i1 int
		levels []float64
		tols   []float64
	}{
		{"halt and gap", d.gap - 3000, d.gap + 2000, []float64{0.005, 0.01, 0.02}, []float64{0, 0.1, 0.5, 1}},
		{"2023-03-10 (SVB)", 68 * 1440, 68*1440 + 5000, []float64{0.005, 0.01, 0.02}, []float64{0, 0.1, 0.5, 1}},
		{"2023-06 month", 151 * 1440, 151*1440 + 43200, []float64{0.005, 0.01, 0.02}, []float64{0, 0.1, 0.5, 1}},
		{"full year", 0, len(d.time), []float64{0.005, 0.02}, []float64{0.5}},
	}
	for _, sl := range slices {
		f := d.frame(t, sl.i0, sl.i1)
		for _, function := range []string{"top", "bot"} {
			for _, level := range sl.levels {
				names := make([]string, len(sl.tols))
				for k := range names {
					names[k] = fmt.Sprintf("l%d", k)
				}
				cfg, _ := json.Marshal(map[string]any{"columns": "close", "function": function, "level": level, "tolerances": sl.tols, "names": names})
				g, err := labels.Default.Build("topbot2", cfg)
				if err != nil {
					t.Fatal(err)
				}
				cols, err := g.Generate(f)
				if err != nil {
					t.Fatal(err)
				}
				for k, tol := range sl.tols {
					want := bruteTopBot2(d.close[sl.i0:sl.i1], function == "top", level, tol)
					what := fmt.Sprintf("%s %s level %v tolerance %v", sl.name, function, level, tol)
					ones := compareBool(t, what, cols[k].Data, want)
					if ones == 0 && level <= 0.01 && tol > 0 {
						t.Errorf("%s: no True rows; the comparison is vacuous", what)
					}
				}
			}
		}
	}
}

// BenchmarkHighLow2Reference1m computes the two labels of the 1min sample config (high_20 and
// low_20: threshold 2, tolerance 0.2, horizon 120) over the full BTCUSDT 2023 year.
func BenchmarkHighLow2Reference1m(b *testing.B) {
	d := loadBTC2023(b)
	f := d.frame(b, 0, len(d.time))
	var gens []gen.Generator
	for _, fn := range []string{"high", "low"} {
		cfg := fmt.Sprintf(`{"columns":["close","high","low"],"function":%q,"thresholds":[2.0],"tolerance":0.2,"horizon":120,"names":["%s_20"]}`, fn, fn)
		g, err := labels.Default.Build("highlow2", json.RawMessage(cfg))
		if err != nil {
			b.Fatal(err)
		}
		gens = append(gens, g)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, g := range gens {
			if _, err := g.Generate(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
