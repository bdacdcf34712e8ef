package backtest

import (
	"math"
	"testing"
)

const dayMs = int64(86_400_000)

func days(n int) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = int64(i) * dayMs
	}
	return t
}

// Peak 120 on day 1, trough 90 on day 2: depth 25%; under water from day 1 until 130 on
// day 4 (3 days), then from day 4 to the end (1 day): longest 3 days.
func TestMaxDrawdown(t *testing.T) {
	d := MaxDrawdown(days(6), []float64{100, 120, 90, 110, 130, 117})
	if !near(float64(d.Depth), 0.25) || d.Peak != dayMs || d.Trough != 2*dayMs || float64(d.Days) != 3 {
		t.Errorf("%+v", d)
	}
	// Never recovered: under water from day 0 to the end (2 days).
	if d := MaxDrawdown(days(3), []float64{100, 80, 90}); !near(float64(d.Depth), 0.2) || float64(d.Days) != 2 {
		t.Errorf("%+v", d)
	}
}

// Daily returns use each UTC day's last value: day 0 ends at 110 (+10% on the first value
// 100), day 1 ends at 121 (+10%).
func TestDailyReturns(t *testing.T) {
	h := dayMs / 24
	got := DailyReturns([]int64{0, 12 * h, 24 * h, 36 * h}, []float64{100, 110, 99, 121})
	if len(got) != 2 || !near(got[0], 0.1) || !near(got[1], 0.1) {
		t.Errorf("%v", got)
	}
}

// Daily returns 0.1, −0.1, 0.2: mean 1/15, sample sd sqrt(0.07/3) = 0.152753;
// Sharpe = mean/sd*sqrt(365) = 8.338093878518; downside deviation sqrt(0.01/3): Sortino
// 22.060522811257; growth 1.21 over half a year: CAGR 1.21² − 1 = 0.4641; Calmar with a
// 25% drawdown: 1.8564.
func TestRiskRatios(t *testing.T) {
	r := RiskRatios([]float64{0.1, -0.1, 0.2}, 0.5, 1.21, 0.25)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"sharpe", float64(r.Sharpe), 8.338093878518}, {"sortino", float64(r.Sortino), 22.060522811257},
		{"cagr", float64(r.CAGR), 0.4641}, {"calmar", float64(r.Calmar), 1.8564}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %.12f, want %.12f", c.name, c.got, c.want)
		}
	}
}

// Three trades, close fills, no costs, equity 1000, one bar a day:
//
//	100 Buy, 120 Sell: +20% → 1200 (PnL +200)
//	120 Buy, 108 Sell: −10% → 1080 (PnL −120)
//	108 Buy, 118.8 Sell: +10% → 1188 (PnL +108)
//
// win rate 2/3, profit factor 308/120, expectancy 188/3, mean return (20−10+10)/3 %,
// payoff (308/2)/120; exposure 3 of 6 bars; buy and hold 118.8/100 − 1 = +18.8%.
func TestReportTradeMetrics(t *testing.T) {
	bars := flat(100, 120, 120, 108, 108, 118.8)
	bars.Time = days(6)
	res, err := Run(bars, []Signal{B, S, B, S, B, S}, Model{Fill: Close, Size: 1, Equity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReport(bars, res)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"trades", float64(r.Trades), 3}, {"win rate", float64(r.WinRate), 2.0 / 3}, {"net profit", float64(r.NetProfit), 188},
		{"net %", float64(r.NetProfitPct), 18.8}, {"profit factor", float64(r.ProfitFactor), 308.0 / 120},
		{"expectancy", float64(r.Expectancy), 188.0 / 3}, {"expectancy %", float64(r.ExpectancyPct), 20.0 / 3},
		{"payoff", float64(r.Payoff), 154.0 / 120}, {"exposure", float64(r.Exposure), 0.5},
		{"buy and hold %", float64(r.BuyHold.ProfitPct), 18.8}, {"max drawdown", float64(r.MaxDrawdown.Depth), 0.1},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Buy signals against a label: TP, FP, FN, TN over the rows where the label is known.
func TestConfusion(t *testing.T) {
	nan := math.NaN()
	c := ConfusionOf("buy", "high_20", []bool{true, true, false, false, true}, []float64{1, 0, 1, 0, nan})
	if c.TP != 1 || c.FP != 1 || c.FN != 1 || c.TN != 1 || float64(c.Precision) != 0.5 || float64(c.Recall) != 0.5 {
		t.Errorf("%+v", c)
	}
}

var _ Broker = (*Paper)(nil)

// The headline says n/a for a win rate without trades and a Sharpe ratio that is undefined,
// instead of printing NaN.
func TestHeadlineUndefined(t *testing.T) {
	r := &Report{Trades: 0, WinRate: Num(math.NaN()), Ratios: Ratios{Sharpe: Num(math.NaN())}}
	r.BuyHold.ProfitPct = 2.5
	want := "0 trades, win rate n/a, net +0.00% (+0.00%/month), max drawdown 0.0%, Sharpe n/a, fees 0.00; buy-and-hold +2.50%"
	if got := r.Headline(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	r = &Report{Trades: 4, WinRate: 0.75, Ratios: Ratios{Sharpe: 1.234}, NetProfitPct: 1.5, Fees: 3}
	if got := r.Headline(); got != "4 trades, win rate 75.0%, net +1.50% (+0.00%/month), max drawdown 0.0%, Sharpe 1.23, fees 3.00; buy-and-hold +0.00%" {
		t.Errorf("got %s", got)
	}
}
