package backtest

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"testing"
)

// A long line is cut to at most maxPoints+2 points that keep every bucket's extremes: the
// single spike and the single dip of a flat series survive.
func TestDecimateKeepsExtremes(t *testing.T) {
	n := 100_000
	tm, y := make([]int64, n), make([]float64, n)
	for i := range y {
		tm[i], y[i] = int64(i)*60_000, 1
	}
	y[12_345], y[77_777] = 5, -3
	pts := decimate(tm, y)
	if len(pts) > maxPoints+2 {
		t.Fatalf("%d points", len(pts))
	}
	var hi, lo bool
	for i, p := range pts {
		hi = hi || (p.Y == 5 && p.X == float64(tm[12_345])/1000)
		lo = lo || (p.Y == -3 && p.X == float64(tm[77_777])/1000)
		if i > 0 && p.X < pts[i-1].X {
			t.Fatal("points out of time order")
		}
	}
	if !hi || !lo {
		t.Error("the spike or the dip was dropped")
	}
}

// The heatmap draws a buy × sell grid and a buy_sell_equal grid (one row).
func TestHeatmapPNG(t *testing.T) {
	for _, spec := range []GridSpec{
		{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1, 0.2]`), KeySell: raw(`[-0.1, -0.2, -0.3]`)}},
		{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1, 0.2]`)}, BuySellEqual: true},
	} {
		cs, err := spec.Combos()
		if err != nil {
			t.Fatal(err)
		}
		var ranked []Ranked
		for i, c := range cs {
			ranked = append(ranked, Ranked{Combo: c, Perf: Perf{PctProfitPerM: float64(i) - 2}})
		}
		var buf bytes.Buffer
		if err := HeatmapPNG(&buf, ranked, cs[0], "%profit/M"); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(&buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := HeatmapPNG(&bytes.Buffer{}, nil, Combo{}, "sharpe"); err == nil {
		t.Error("unknown metric accepted")
	}
}

// Heatmap cells read 4 significant digits, and a metric rounded to -0 reads 0.
func TestCellLabel(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{math.Copysign(0, -1), "0"}, {0, "0"}, {12.845, "12.85"}, {-9.56, "-9.56"}, {-0.004, "-0.004"}} {
		if got := cellLabel(tc.v); got != tc.want {
			t.Errorf("cellLabel(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
