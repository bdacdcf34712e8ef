package backtest

import (
	"fmt"
	"math"
)

// Rule is ITB's threshold rule (§6.3): buy when score >= Buy, sell when score <= Sell; with
// a second score (threshold_rule2) both scores must pass their thresholds. NaN never passes,
// and a bar where both buy and sell pass is no trade.
type Rule struct {
	Buy, Sell   float64
	Buy2, Sell2 float64 // ignored without a second score
}

// Signals applies the rule to every bar (score2 nil for the one-score rule).
func (r Rule) Signals(score, score2 []float64) []Signal {
	out := make([]Signal, len(score))
	for i, x := range score {
		buy, sell := x >= r.Buy, x <= r.Sell
		if score2 != nil {
			buy = buy && score2[i] >= r.Buy2
			sell = sell && score2[i] <= r.Sell2
		}
		out[i] = Decide(buy, sell)
	}
	return out
}

// Summary is what a run amounts to; the grid ranks combinations by it. A position still open
// at the end counts as a trade marked to market at the last close.
type Summary struct {
	Trades, Wins int
	// Final is the equity at the last close; Start the starting equity.
	Start, Final float64
	// SumReturn is the sum of per-trade returns (PnL / committed) as a fraction.
	SumReturn              float64
	GrossProfit, GrossLoss float64 // sums of winning PnL and of losing PnL (<= 0)
	Fees                   float64
	InMarket, Bars         int
	LastTradeOpen          bool
	FirstTime, LastTime    int64
}

// Profit is the net profit in quote currency.
func (s Summary) Profit() float64 { return s.Final - s.Start }

// Summarize reduces a full Result to a Summary.
func Summarize(bars *Bars, r *Result) Summary {
	s := Summary{Start: r.Model.Equity, Final: r.Model.Equity, Fees: r.Fees, InMarket: r.InMarket, Bars: bars.Len()}
	if n := len(r.Equity); n > 0 {
		s.Final = r.Equity[n-1]
		s.FirstTime, s.LastTime = bars.Time[0], bars.Time[n-1]
	}
	for _, t := range r.Trades {
		s.add(t.PnL, t.Committed)
		s.LastTradeOpen = t.Reason == ExitOpen
	}
	return s
}

func (s *Summary) add(pnl, committed float64) {
	s.Trades++
	s.SumReturn += pnl / committed
	if pnl > 0 {
		s.Wins++
		s.GrossProfit += pnl
	} else {
		s.GrossLoss += pnl
	}
}

// Tape is the input of the grid kernel: bars and one or two score columns.
type Tape struct {
	Bars   *Bars
	Score  []float64
	Score2 []float64 // nil for the one-score rule
}

// Check verifies the column lengths and the prices.
func (t *Tape) Check() error {
	if err := t.checkLengths(); err != nil {
		return err
	}
	return t.Bars.Check()
}

func (t *Tape) checkLengths() error {
	n := t.Bars.Len()
	if len(t.Bars.Close) != n || len(t.Score) != n || (t.Score2 != nil && len(t.Score2) != n) {
		return fmt.Errorf("%w: close/score columns have %d/%d/%d rows, time %d", ErrBars, len(t.Bars.Close), len(t.Score), len(t.Score2), n)
	}
	return nil
}

// Kernel runs one rule over the tape with the fill model in a single pass without allocating:
// the same account arithmetic as Paper, with the rule applied inline. It returns what
// Summarize(Run(bars, rule.Signals(...), m)) returns.
func Kernel(t *Tape, r Rule, m Model) Summary {
	b := t.Bars
	n := b.Len()
	open, high, low, cls := b.Open[:n], b.High[:n], b.Low[:n], b.Close[:n]
	sc := t.Score[:n]
	sc2 := t.Score2
	if sc2 == nil {
		// One score: the second test always passes for a number and NaN fails the first one.
		sc2, r.Buy2, r.Sell2 = sc, math.Inf(-1), math.Inf(1)
	}
	sc2 = sc2[:n]
	a := newAccount(m)
	s := Summary{Start: m.Equity, Bars: n}
	stops := m.StopLoss > 0 || m.TakeProfit > 0
	atClose := m.Fill == Close
	short := m.Direction == Short
	pending := false
	var before float64 // equity before the open position's entry
	step := func(px float64) {
		if a.side == 0 {
			before = a.cash
			a.open(px)
			return
		}
		pnl, _ := a.close(px)
		s.add(pnl, a.basis)
	}
	// Bars where nothing can happen are skipped by a tight scan (no order pending, and
	// thresholds that cannot both pass).
	skip := r.Buy > r.Sell || r.Buy2 > r.Sell2
	for i := 0; i < n; {
		if pending {
			step(open[i])
			pending = false
		}
		if stops && a.side != 0 {
			if px, why := a.exitLevel(open[i], high[i], low[i]); why != "" {
				pnl, _ := a.close(px)
				s.add(pnl, a.basis)
			}
		}
		x, y := sc[i], sc2[i]
		buy := x >= r.Buy && y >= r.Buy2
		sell := x <= r.Sell && y <= r.Sell2
		if buy != sell {
			var want bool
			if a.side == 0 {
				want = buy != short && a.cash > 0
			} else {
				want = buy == short
			}
			if want {
				if atClose {
					step(cls[i])
				} else {
					pending = true
				}
			}
		}
		if a.side != 0 {
			s.InMarket++
		}
		i++
		if !skip || pending {
			continue
		}
		if a.side == 0 && !(a.cash > 0) {
			break
		}
		// The next bar where something can happen: the decision that changes the position
		// (Buy when flat long or in a short, else Sell) or, in the market, a touched level.
		var j int
		switch {
		case stops && a.side != 0 && short:
			j = scanLevels(sc, sc2, low, high, false, r.Buy, r.Buy2, a.take, a.stop, i)
		case stops && a.side != 0:
			j = scanLevels(sc, sc2, low, high, true, r.Sell, r.Sell2, a.stop, a.take, i)
		case (a.side == 0) != short:
			j = scanAbove(sc, t.Score2, r.Buy, r.Buy2, i)
		default:
			j = scanBelow(sc, t.Score2, r.Sell, r.Sell2, i)
		}
		if a.side != 0 {
			s.InMarket += j - i
		}
		i = j
	}
	s.Fees = a.fees
	if n > 0 {
		s.Final = a.equity(cls[n-1])
		s.FirstTime, s.LastTime = b.Time[0], b.Time[n-1]
	} else {
		s.Final = a.cash
	}
	if a.side != 0 {
		s.add(s.Final-before, a.basis)
		s.LastTradeOpen = true
	}
	return s
}

// Grid runs the kernel for every rule, spread over workers goroutines (<= 0: one per core).
// The result is in the order of rules whatever the scheduling.
func Grid(t *Tape, rules []Rule, m Model, workers int) []Summary {
	out := make([]Summary, len(rules))
	parallel(len(rules), workers, func() func(int) {
		return func(i int) { out[i] = Kernel(t, rules[i], m) }
	})
	return out
}

// scanAbove returns the first row >= i where x >= b (and y >= b2 when y is not nil), or len(x).
func scanAbove(x, y []float64, b, b2 float64, i int) int {
	if y == nil {
		for ; i < len(x); i++ {
			if x[i] >= b {
				return i
			}
		}
		return i
	}
	y = y[:len(x)]
	for ; i < len(x); i++ {
		if x[i] >= b && y[i] >= b2 {
			return i
		}
	}
	return i
}

// scanBelow returns the first row >= i where x <= s (and y <= s2 when y is not nil), or len(x).
func scanBelow(x, y []float64, s, s2 float64, i int) int {
	if y == nil {
		for ; i < len(x); i++ {
			if x[i] <= s {
				return i
			}
		}
		return i
	}
	y = y[:len(x)]
	for ; i < len(x); i++ {
		if x[i] <= s && y[i] <= s2 {
			return i
		}
	}
	return i
}

// scanLevels returns the first row >= i where the exit rule passes (x <= t1 and y <= t2 when
// below, x >= t1 and y >= t2 otherwise) or the bar reaches a level (lo[i] <= loLvl or
// hi[i] >= hiLvl; a NaN level is never reached), or len(x). A bar opening beyond a level also
// reaches it, since low <= open <= high.
func scanLevels(x, y, lo, hi []float64, below bool, t1, t2, loLvl, hiLvl float64, i int) int {
	n := len(x)
	y, lo, hi = y[:n], lo[:n], hi[:n]
	if below {
		for ; i < n; i++ {
			if (x[i] <= t1 && y[i] <= t2) || lo[i] <= loLvl || hi[i] >= hiLvl {
				return i
			}
		}
		return i
	}
	for ; i < n; i++ {
		if (x[i] >= t1 && y[i] >= t2) || lo[i] <= loLvl || hi[i] >= hiLvl {
			return i
		}
	}
	return i
}
