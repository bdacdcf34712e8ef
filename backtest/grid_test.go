package backtest

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func paramsOf(cs []Combo) []string {
	var out []string
	for _, c := range cs {
		var ps []string
		for _, p := range c.Params {
			ps = append(ps, p.String())
		}
		out = append(out, strings.Join(ps, ","))
	}
	return out
}

// sklearn's ParameterGrid: keys sorted, the last key varies fastest.
func TestCombosParameterGridOrder(t *testing.T) {
	cs, err := GridSpec{Grid: map[string]json.RawMessage{
		KeySell: raw(`[-0.1, -0.2]`),
		KeyBuy:  raw(`[0.1, 0.2, 0.3]`),
	}}.Combos()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0.1,-0.1", "0.1,-0.2", "0.2,-0.1", "0.2,-0.2", "0.3,-0.1", "0.3,-0.2"}
	if got := paramsOf(cs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order %v, want %v", got, want)
	}
	if cs[1].Rule.Buy != 0.1 || cs[1].Rule.Sell != -0.2 || !math.IsInf(cs[1].Rule.Buy2, -1) {
		t.Errorf("rule %+v", cs[1].Rule)
	}
}

// buy_sell_equal: the sell keys become None and sell = −buy (ITB writes "None").
func TestCombosBuySellEqual(t *testing.T) {
	cs, err := GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`"0.01:0.04:0.01"`)}, BuySellEqual: true}.Combos()
	if err != nil {
		t.Fatal(err)
	}
	want := "0.01,None,None 0.02,None,None 0.03,None,None"
	if got := strings.Join(paramsOf(cs), " "); got != want {
		t.Errorf("combos %q, want %q", got, want)
	}
	if cs[2].Rule.Sell != -0.03 {
		t.Errorf("sell %v, want -0.03", cs[2].Rule.Sell)
	}
}

// ITB's "np.arange(...).tolist()" strings give numpy's values: numpy fills start + i*delta
// with delta = (start+step) − start (DOUBLE_fill), so np.arange(0.0, 0.5, 0.1) is [0.0, 0.1,
// 0.2, 0.30000000000000004, 0.4] and np.arange(0.02, 0.05, 0.01) ends in 0.02 + 2*(0.03−0.02)
// = 0.039999999999999994, not 0.04; threshold_rule2 takes its _2 thresholds from the generator's
// parameters when the grid does not list them.
func TestParseValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"np.arange(0.0,0.5,0.1).tolist()"`, "0.0 0.1 0.2 0.30000000000000004 0.4"},
		{`"np.arange(0.02, 0.05, 0.01).tolist()"`, "0.02 0.03 0.039999999999999994"},
		{`"-0.01:-0.04:-0.01"`, "-0.01 -0.02 -0.03"},
		{`[0.5, 1]`, "0.5 1.0"},
	} {
		xs, err := ParseValues(raw(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		var got []string
		for _, x := range xs {
			got = append(got, Param{Value: x}.String())
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s = %v, want %s", tc.in, got, tc.want)
		}
	}
	cs, err := GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1]`), KeySell: raw(`[-0.1]`)},
		Base: map[string]float64{KeyBuy2: 0.2, KeySell2: -0.3}, Two: true}.Combos()
	if err != nil || cs[0].Rule != (Rule{0.1, -0.1, 0.2, -0.3}) {
		t.Errorf("threshold_rule2 combos %+v, %v", cs, err)
	}
}

// Bad grids: one error each, naming the key.
func TestCombosErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec GridSpec
		want string
	}{
		{"no values", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[]`), KeySell: raw(`[-0.1]`)}}, `"grid.buy_signal_threshold": no values`},
		{"empty range", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1]`), KeySell: raw(`"0.1:0.0:0.1"`)}}, `"grid.sell_signal_threshold": no values`},
		{"buy below sell", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1, -0.2]`), KeySell: raw(`[-0.1]`)}}, "buy_signal_threshold -0.2 must be above sell_signal_threshold -0.1"},
		{"buy equals sell", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.0]`)}, BuySellEqual: true}, "buy_signal_threshold 0.0 must be above sell_signal_threshold -0.0"},
		{"missing buy", GridSpec{Grid: map[string]json.RawMessage{KeySell: raw(`[-0.1]`)}}, `"grid.buy_signal_threshold": missing`},
		{"unknown key", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1]`), "window": raw(`[3]`)}}, `"grid.window": unknown`},
		{"bad string", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`"range(3)"`), KeySell: raw(`[-0.1]`)}}, `use [numbers]`},
		{"zero step", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`"0:1:0"`), KeySell: raw(`[-0.1]`)}}, `step must not be 0`},
		{"rule2 without _2", GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.1]`), KeySell: raw(`[-0.1]`)}, Two: true}, "threshold_rule2 needs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.spec.Combos()
			if !errors.Is(err, ErrGrid) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err %v, want ErrGrid containing %q", err, tc.want)
			}
		})
	}
}

// NaN scores never pass a threshold: the bar that would buy has a NaN score, so the buy
// happens on the next bar with a number.
func TestNaNScoresNoTrade(t *testing.T) {
	nan := math.NaN()
	tape := &Tape{Bars: flat(100, 101, 102, 103, 104), Score: []float64{nan, nan, 0.5, nan, -0.5}}
	r := Rule{Buy: 0.1, Sell: -0.1}
	if got := r.Signals(tape.Score, nil); got[0] != None || got[1] != None || got[2] != Buy || got[3] != None || got[4] != Sell {
		t.Errorf("signals %v", got)
	}
	s := Kernel(tape, r, Model{Fill: Close, Size: 1, Equity: 1000})
	// Bought at 102, sold at 104: 1000*104/102.
	if s.Trades != 1 || !near(s.Final, 1000.0*104/102) {
		t.Errorf("summary %+v", s)
	}
	all := &Tape{Bars: flat(100, 101, 102), Score: []float64{nan, nan, nan}}
	if s := Kernel(all, r, DefaultModel()); s.Trades != 0 || s.Final != 1000 {
		t.Errorf("all NaN: %+v", s)
	}
}

// signal_models.txt: ITB's header only when the file is new, one line per model (Python
// str()), a blank line after each block.
func TestWriteSignalModels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signal_models.txt")
	cs, err := GridSpec{Grid: map[string]json.RawMessage{KeyBuy: raw(`[0.02]`)}, BuySellEqual: true}.Combos()
	if err != nil {
		t.Fatal(err)
	}
	r := []Ranked{{Combo: cs[0], Perf: Perf{Transactions: 3, Profit: 15, PctProfit: 13.3, Profitable: 2, PctProfitable: 66.7,
		ProfitPerT: 5, PctProfitPerT: 4.4, TransactionsPerM: 1.5, ProfitPerM: 7.5, PctProfitPerM: 6.65}}}
	for range 2 {
		if err := WriteSignalModels(path, r); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	line := "0.02,None,None,3,15.0,13.3,2,66.7,5.0,4.4,1.5,7.5,6.65\n"
	want := "buy_signal_threshold,sell_signal_threshold,sell_signal_threshold_2,#transactions,profit,%profit,#profitable,%profitable,profit/T,%profit/T,#transactions/M,profit/M,%profit/M\n" +
		line + "\n" + line + "\n"
	if string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
}

// ITB's month and per-month keys: 61 days = 2.0054… months; 3 transactions → 1.5.
func TestMonths(t *testing.T) {
	day := int64(86_400_000)
	if m := Months(0, 365*day); !near(m, 12) {
		t.Errorf("a year is %v months", m)
	}
	p := Perf{Transactions: 3, Profit: 15, PctProfit: 13.3}.perMonth(Months(0, 61*day))
	if p.TransactionsPerM != 1.5 || p.ProfitPerM != 7.48 || p.PctProfitPerM != 6.63 {
		t.Errorf("per month %+v", p)
	}
}
