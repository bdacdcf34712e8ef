package synth

import (
	"math"
	"testing"
)

func TestKlinesAreConsistentAndSeeded(t *testing.T) {
	o := Options{Seed: 7, Start: 1700000000000 - 1700000000000%60000, Rows: 5000, Halt: 1000, HaltFlat: 72, HaltGap: 80}
	f := Klines(o)
	if f.Len() != 5000-80 {
		t.Fatalf("rows %d", f.Len())
	}
	open, _ := f.Col("open")
	high, _ := f.Col("high")
	low, _ := f.Col("low")
	close, _ := f.Col("close")
	vol, _ := f.Col("volume")
	for i := range open {
		if high[i] < math.Max(open[i], close[i]) || low[i] > math.Min(open[i], close[i]) || vol[i] < 0 {
			t.Fatalf("row %d violates OHLC: %v %v %v %v", i, open[i], high[i], low[i], close[i])
		}
		if i > 0 && f.Time[i] <= f.Time[i-1] {
			t.Fatalf("time not increasing at %d", i)
		}
	}
	for i := 1000; i < 1072; i++ {
		if vol[i] != 0 || high[i] != low[i] {
			t.Fatalf("halt bar %d not flat", i)
		}
	}
	if f.Time[1072]-f.Time[1071] != 81*60000 {
		t.Fatalf("gap after halt: %d ms", f.Time[1072]-f.Time[1071])
	}
	g := Klines(o)
	c2, _ := g.Col("close")
	for i := range close {
		if close[i] != c2[i] {
			t.Fatal("same seed, different market")
		}
	}
	o.Seed = 8
	h := Klines(o)
	c3, _ := h.Col("close")
	if c3[100] == close[100] && c3[200] == close[200] {
		t.Fatal("different seed, same market")
	}
}
