// Package backtest turns buy/sell decisions on bars into fills, trades and an equity curve
// with one fill model, shared by `tradectl simulate` and (later) the paper trader, so that a
// backtest and a paper run on the same bars can never disagree.
//
// The pieces:
//   - Bars: time, open, high, low, close columns.
//   - Signal: the decision taken at a bar's close (Buy, Sell or None).
//   - Model: the fill model (fees and slippage in basis points, fill at the signal bar's close
//     or at the next bar's open, position size as a fraction of equity, optional stop-loss and
//     take-profit, long or short).
//   - Broker: takes one complete bar and the decision made at its close and returns the fills;
//     Paper implements it with Model, a live broker can implement it against an exchange.
//   - Run: a whole backtest (trades and the equity at every close) through Paper.
//   - Grid: the threshold search kernel, the same fill arithmetic in a tight loop.
//   - ITB: ITB's own formulas (simulated_trade_performance), for --compat itb.
//
// Why next-open is the default fill: a signal is computed from a bar's close, which is only
// known once the bar has ended. The earliest price a live trader can trade at after seeing
// it is the next bar's open. Filling at the signal bar's close (ITB's rule) assumes an order
// executed at the very price that produced the signal, which no live trader gets.
package backtest
