package backtest

import (
	"errors"
	"math"
	"testing"
)

// flat makes bars whose open, high, low and close are all the given price.
func flat(closes ...float64) *Bars {
	b := &Bars{}
	for i, c := range closes {
		b.Time = append(b.Time, int64(i)*60_000)
		b.Open = append(b.Open, c)
		b.High = append(b.High, c)
		b.Low = append(b.Low, c)
		b.Close = append(b.Close, c)
	}
	return b
}

// ohlc makes bars from {open, high, low, close} rows.
func ohlc(rows ...[4]float64) *Bars {
	b := &Bars{}
	for i, r := range rows {
		b.Time = append(b.Time, int64(i)*60_000)
		b.Open = append(b.Open, r[0])
		b.High = append(b.High, r[1])
		b.Low = append(b.Low, r[2])
		b.Close = append(b.Close, r[3])
	}
	return b
}

const (
	N = None
	B = Buy
	S = Sell
)

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func checkCurve(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("equity has %d points, want %d", len(got), len(want))
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("equity[%d] = %.12f, want %.12f", i, got[i], want[i])
		}
	}
}

// Three long round trips with 1% fees and 1% slippage, filled at the close, equity 1000.
//
// Entry: commit the whole cash C, pay fee 0.01*C, buy at close*1.01: qty = 0.99*C/(1.01*close).
// Exit: receive qty*close*0.99, pay 1% of it: cash = qty*close*0.99*0.99.
// So each round trip multiplies the cash by k*exit/entry with k = 0.99^3/1.01 = 0.960692079207920.
//
//	bar 0 close 100  -            1000
//	bar 1 close 100  Buy          q1 = 990/101 = 9.80198...; equity q1*100 = 980.198019801980
//	bar 2 close 110  -            q1*110 = 1078.217821782178
//	bar 3 close 120  Sell         C1 = 1000*k*1.2 = 1152.830495049504
//	bar 4 close 120  -            C1
//	bar 5 close 125  Buy          q2 = C1*0.99/(125*1.01); equity q2*125 = 1130.002168414860
//	bar 6 close 100  Sell         C2 = C1*k*0.8 = 886.012100210723
//	bar 7 close 100  Buy          q3 = C2*0.99/101; equity q3*100 = 868.467306147144
//	bar 8 close 105  Sell         C3 = C2*k*1.05 = 893.744047092556
//	bar 9 close 106  -            C3
func TestThreeTradesWithFeesAndSlippage(t *testing.T) {
	bars := flat(100, 100, 110, 120, 120, 125, 100, 100, 105, 106)
	sig := []Signal{N, B, N, S, N, B, S, B, S, N}
	m := Model{FeeBps: 100, SlippageBps: 100, Fill: Close, Size: 1, Equity: 1000}
	res, err := Run(bars, sig, m)
	if err != nil {
		t.Fatal(err)
	}
	checkCurve(t, res.Equity, []float64{1000, 980.198019801980, 1078.217821782178, 1152.830495049504,
		1152.830495049504, 1130.002168414860, 886.012100210723, 868.467306147144, 893.744047092556, 893.744047092556})
	if len(res.Trades) != 3 {
		t.Fatalf("%d trades, want 3", len(res.Trades))
	}
	// Trade 1 profit: C1 - 1000; fees: 10 at entry + 0.01*q1*120*0.99 = 10 + 11.644752475247525.
	t1 := res.Trades[0]
	if !near(t1.PnL, 152.830495049504) || !near(t1.Fees, 21.644752475247525) || t1.EntryBar != 1 || t1.ExitBar != 3 || t1.Reason != ExitSignal {
		t.Errorf("trade 1 = %+v", t1)
	}
	if res.Trades[1].PnL >= 0 || res.Trades[2].PnL <= 0 {
		t.Errorf("trade 2 must lose and trade 3 win: %+v", res.Trades[1:])
	}
	var fees float64
	for _, tr := range res.Trades {
		fees += tr.Fees
	}
	if !near(res.Fees, fees) {
		t.Errorf("fees paid %v, sum over trades %v", res.Fees, fees)
	}
	// Bars ending with a position open: 1, 2, 5 and 7.
	if res.InMarket != 4 {
		t.Errorf("in market %d bars, want 4", res.InMarket)
	}
}

// The same signals filled at the signal bar's close and at the next bar's open, no costs.
//
//	bar  open close signal
//	0    100  100   Buy     close fill: qty 10 at 100        next-open: order waits
//	1    102  104   -       close: 10*104 = 1040             next-open: buy at 102, qty 1000/102; equity 1000/102*104 = 1019.607843137255
//	2    106  108   Sell    close: sell at 108 → 1080        next-open: 1000/102*108 = 1058.823529411765 (order waits)
//	3    107  109   -       close: 1080                      next-open: sell at 107 → 1000/102*107 = 1049.019607843137
func TestNextOpenDiffersFromClose(t *testing.T) {
	bars := ohlc([4]float64{100, 100, 100, 100}, [4]float64{102, 105, 101, 104}, [4]float64{106, 109, 105, 108}, [4]float64{107, 110, 106, 109})
	sig := []Signal{B, N, S, N}
	for _, tc := range []struct {
		fill  Fill
		curve []float64
		entry float64
		exit  float64
	}{
		{Close, []float64{1000, 1040, 1080, 1080}, 100, 108},
		{NextOpen, []float64{1000, 1019.607843137255, 1058.823529411765, 1049.019607843137}, 102, 107},
	} {
		t.Run(tc.fill.String(), func(t *testing.T) {
			res, err := Run(bars, sig, Model{Fill: tc.fill, Size: 1, Equity: 1000})
			if err != nil {
				t.Fatal(err)
			}
			checkCurve(t, res.Equity, tc.curve)
			if len(res.Trades) != 1 || res.Trades[0].EntryPrice != tc.entry || res.Trades[0].ExitPrice != tc.exit {
				t.Errorf("trades %+v, want one from %v to %v", res.Trades, tc.entry, tc.exit)
			}
		})
	}
}

// Stops and take-profits, long and short, close fills, no costs, equity 1000 bought at 100
// (qty 10) on bar 0; bar 1 decides.
func TestStopsIntrabar(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dir    Direction
		sl, tp float64
		bar1   [4]float64
		price  float64 // exit price
		reason string
		equity float64 // at bar 1's close
	}{
		// Long, stop 5% → 95. The low 94 touches it: sell 10 at 95 = 950.
		{"long stop on the low", Long, 0.05, 0, [4]float64{99, 101, 94, 98}, 95, ExitStopLoss, 950},
		// The bar opens at 90, below the stop: sell at the open, 900.
		{"long gap through stop fills at open", Long, 0.05, 0, [4]float64{90, 92, 88, 91}, 90, ExitStopLoss, 900},
		// Take-profit 5% → 105 on the high 106: 1050.
		{"long take-profit on the high", Long, 0, 0.05, [4]float64{101, 106, 100, 103}, 105, ExitTakeProfit, 1050},
		// Both 95 and 105 inside [94, 106]: the stop is assumed first, 950.
		{"both touched: stop first", Long, 0.05, 0.05, [4]float64{100, 106, 94, 103}, 95, ExitStopLoss, 950},
		// Opens at 110 above the take-profit: sold at the open, 1100.
		{"long gap through take-profit fills at open", Long, 0.05, 0.05, [4]float64{110, 111, 109, 110}, 110, ExitTakeProfit, 1100},
		// Nothing touched: still long, 10*98 = 980.
		{"long untouched", Long, 0.05, 0.05, [4]float64{99, 104, 96, 98}, 0, "", 980},
		// Short 10 at 100 (cash 2000), stop 5% → 105 on the high 106: buy back at 105, 2000-1050 = 950.
		{"short stop on the high", Short, 0.05, 0, [4]float64{101, 106, 99, 102}, 105, ExitStopLoss, 950},
		// Short, the bar opens at 108 above the stop: buy back at 108, 920.
		{"short gap through stop fills at open", Short, 0.05, 0, [4]float64{108, 109, 107, 108}, 108, ExitStopLoss, 920},
		// Short take-profit 5% → 95 on the low 94: 2000-950 = 1050.
		{"short take-profit on the low", Short, 0, 0.05, [4]float64{99, 100, 94, 96}, 95, ExitTakeProfit, 1050},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bars := ohlc([4]float64{100, 100, 100, 100}, tc.bar1)
			entry := Buy
			if tc.dir == Short {
				entry = Sell
			}
			res, err := Run(bars, []Signal{entry, None}, Model{Fill: Close, Size: 1, Equity: 1000, StopLoss: tc.sl, TakeProfit: tc.tp, Direction: tc.dir})
			if err != nil {
				t.Fatal(err)
			}
			if !near(res.Equity[1], tc.equity) {
				t.Errorf("equity %v, want %v", res.Equity[1], tc.equity)
			}
			tr := res.Trades[0]
			if tc.reason == "" {
				if tr.Reason != ExitOpen {
					t.Errorf("trade closed: %+v", tr)
				}
				return
			}
			if tr.Reason != tc.reason || tr.ExitPrice != tc.price || tr.ExitBar != 1 {
				t.Errorf("exit %s at %v on bar %d, want %s at %v on bar 1", tr.Reason, tr.ExitPrice, tr.ExitBar, tc.reason, tc.price)
			}
		})
	}
}

// A stop on the entry bar of a next-open fill: bought at the open of bar 1 (100), whose low
// (94) reaches the 5% stop (95) later in the same bar.
func TestStopOnNextOpenEntryBar(t *testing.T) {
	bars := ohlc([4]float64{100, 100, 100, 100}, [4]float64{100, 101, 94, 97})
	res, err := Run(bars, []Signal{Buy, None}, Model{Size: 1, Equity: 1000, StopLoss: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if tr := res.Trades[0]; tr.Reason != ExitStopLoss || tr.EntryBar != 1 || tr.ExitPrice != 95 || !near(res.Equity[1], 950) {
		t.Errorf("trade %+v, equity %v; want entry and stop at 95 on bar 1, 950", tr, res.Equity[1])
	}
}

// Short round trips: sell 10 at 100, buy back at 90 (+100), sell at 90, buy back at 99 (−10%).
// With no costs: cash 1000 → 1100 → short 1100/90 at 90, buy back at 99: 1100 - 1100/90*9 = 990.
// The end marks an open short: sell at 99 (qty 10), last close 110 → 990 - 10*11 = 880.
func TestShortAccounting(t *testing.T) {
	bars := flat(100, 90, 90, 99, 99, 110)
	sig := []Signal{S, B, S, B, S, N}
	res, err := Run(bars, sig, Model{Fill: Close, Size: 1, Equity: 1000, Direction: Short})
	if err != nil {
		t.Fatal(err)
	}
	checkCurve(t, res.Equity, []float64{1000, 1100, 1100, 990, 990, 880})
	if len(res.Trades) != 3 || !near(res.Trades[0].PnL, 100) || !near(res.Trades[1].PnL, -110) ||
		res.Trades[2].Reason != ExitOpen || !near(res.Trades[2].PnL, -110) {
		t.Errorf("trades %+v", res.Trades)
	}
}

// Half the equity per trade: buy 5 at 100 with cash 1000 (500 committed), sell at 120: +100.
func TestPositionSize(t *testing.T) {
	res, err := Run(flat(100, 120), []Signal{B, S}, Model{Fill: Close, Size: 0.5, Equity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkCurve(t, res.Equity, []float64{1000, 1100})
}

// Repeated buys while long and a sell while flat do nothing; a buy on the last bar with
// next-open fills never (there is no next bar).
func TestIgnoredDecisions(t *testing.T) {
	res, err := Run(flat(100, 100, 110, 120, 130), []Signal{S, B, B, S, B}, Model{Size: 1, Equity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// Buy at bar 2's open (110), sell at bar 4's open (130).
	if len(res.Trades) != 1 || res.Trades[0].EntryPrice != 110 || res.Trades[0].ExitPrice != 130 {
		t.Errorf("trades %+v", res.Trades)
	}
}

func TestModelCheck(t *testing.T) {
	for _, m := range []Model{
		{Size: 0, Equity: 1}, {Size: 1.5, Equity: 1}, {Size: 1, Equity: 0}, {Size: 1, Equity: 1, FeeBps: -1},
		{Size: 1, Equity: 1, StopLoss: 1}, {Size: 1, Equity: 1, SlippageBps: math.NaN()},
	} {
		if _, err := Run(flat(1), []Signal{N}, m); !errors.Is(err, ErrModel) {
			t.Errorf("%+v: err %v, want ErrModel", m, err)
		}
	}
	if _, err := Run(flat(1, 0), []Signal{N, N}, DefaultModel()); !errors.Is(err, ErrBars) {
		t.Errorf("zero price: err %v, want ErrBars", err)
	}
}
