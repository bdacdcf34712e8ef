package backtest

import (
	"math"

	"github.com/tradectl/tradectl/train/metrics"
)

// ITBPerf is one of the performance dicts of ITB's simulated_trade_performance
// (common/backtesting.py), with its rounding: profit and profit/T to 2 decimals, the
// percentages to 1.
type ITBPerf struct {
	Transactions  int
	Profit        float64
	PctProfit     float64
	Profitable    int
	PctProfitable float64
	ProfitPerT    float64
	PctProfitPerT float64
}

// ITB reproduces ITB's simulated_trade_performance on a price column and buy/sell flags,
// bugs included, for --compat itb:
//   - fills at the signal bar's price, no fees, no slippage, no sizing: profit is in price
//     units per one unit of the asset, %profit the sum of per-trade percentages;
//   - rows whose price is 0 or NaN are skipped; a buy is looked for in buy mode, a sell in
//     sell mode, whatever the other flag says;
//   - the first event of each list counts as a transaction with profit 0;
//   - buys go to the "shorts" list and sells to "longs" (ITB since 2023-11-19): a long profit
//     is the sell price minus the previous SELL price, a short profit the previous BUY price
//     minus the buy price;
//   - an open position at the end is ignored.
//
// It returns the long and the short dict. ITB divides profit/T by zero when there is no
// transaction; this returns 0 there, as the reference describes.
func ITB(price []float64, buy, sell []bool) (long, short ITBPerf) {
	var lAcc, sAcc itbAcc
	buyMode := true
	for i, p := range price {
		if p == 0 || math.IsNaN(p) {
			continue
		}
		if buyMode {
			if buy[i] {
				sAcc.event(sAcc.last-p, p) // "short close / long open", appended to shorts
				buyMode = false
			}
		} else if sell[i] {
			lAcc.event(p-lAcc.last, p) // appended to longs
			buyMode = true
		}
	}
	return lAcc.perf(), sAcc.perf()
}

// itbAcc accumulates one of ITB's lists: last is the price of its last entry (0 when empty).
type itbAcc struct {
	last, profit, pct float64
	n, profitable     int
}

// event adds an entry at price p whose profit against the previous entry is diff (ignored
// for the first entry, whose profit is 0).
func (a *itbAcc) event(diff, p float64) {
	profit, pct := 0.0, 0.0
	if a.last > 0 {
		profit = diff
		pct = 100 * profit / a.last
	}
	a.profit += profit
	a.pct += pct
	a.n++
	if profit > 0 {
		a.profitable++
	}
	a.last = p
}

func (a *itbAcc) perf() ITBPerf {
	r := metrics.PyRound
	out := ITBPerf{Transactions: a.n, Profit: r(a.profit, 2), PctProfit: r(a.pct, 1), Profitable: a.profitable}
	if a.n > 0 {
		n := float64(a.n)
		out.PctProfitable = r(100*float64(a.profitable)/n, 1)
		out.ProfitPerT = r(a.profit/n, 2)
		out.PctProfitPerT = r(a.pct/n, 1)
	}
	return out
}
