package backtest

import (
	"errors"
	"fmt"
	"math"
)

// Bar is one complete candle; Time is its open time in Unix milliseconds.
type Bar struct {
	Time                   int64
	Open, High, Low, Close float64
}

// Bars holds candles column-wise (the layout of the frame files).
type Bars struct {
	Time                   []int64
	Open, High, Low, Close []float64
}

// Len is the number of bars.
func (b *Bars) Len() int { return len(b.Time) }

// At returns bar i.
func (b *Bars) At(i int) Bar {
	return Bar{b.Time[i], b.Open[i], b.High[i], b.Low[i], b.Close[i]}
}

// ErrBars is wrapped by errors about unusable bars.
var ErrBars = errors.New("invalid bars")

// Check verifies that every column has one value per bar and that prices are finite and
// positive, naming the first bad row.
func (b *Bars) Check() error {
	n := len(b.Time)
	for _, c := range []struct {
		name string
		v    []float64
	}{{"open", b.Open}, {"high", b.High}, {"low", b.Low}, {"close", b.Close}} {
		if len(c.v) != n {
			return fmt.Errorf("%w: column %s has %d rows, time has %d", ErrBars, c.name, len(c.v), n)
		}
		for i, x := range c.v {
			if !(x > 0) || math.IsInf(x, 0) {
				return fmt.Errorf("%w: row %d: %s is %v (prices must be positive numbers)", ErrBars, i, c.name, x)
			}
		}
	}
	return nil
}

// Execution is one fill: an entry or an exit of a position.
type Execution struct {
	// Bar is the index of the bar the fill happened in (Paper counts the bars it was given).
	Bar  int
	Time int64
	// Side is Buy or Sell; Entry tells whether it opened a position.
	Side  Signal
	Entry bool
	// Price is the market price of the fill (open, close or a stop level) and Qty the base quantity.
	Price, Qty float64
	// Fee is the fee paid on this fill; Reason is why an exit happened (ExitSignal, ...).
	Fee    float64
	Reason string
}

// Trade is one round trip.
type Trade struct {
	Direction              Direction
	EntryBar, ExitBar      int
	EntryTime, ExitTime    int64
	EntryPrice, ExitPrice  float64 // market prices before slippage
	Qty                    float64
	Committed              float64 // quote amount committed at entry
	Fees                   float64 // entry + exit fees
	PnL                    float64 // net profit in quote currency, after fees and slippage
	Return                 float64 // PnL / Committed
	Reason                 string  // exit reason; ExitOpen for a position still open at the end
	EquityBefore, EquityAt float64 // equity before entry and after exit
}

// Broker executes decisions. Each complete bar is given once, in order, with the decision
// taken at its close; the broker returns the fills that happened during that bar (pending
// orders at its open, stops inside it, and orders at its close). Paper implements it with the
// fill model; a live or paper trader can implement it against an exchange.
type Broker interface {
	OnBar(b Bar, d Signal) ([]Execution, error)
}

// Paper is the simulated broker: it fills decisions with a Model and keeps the account,
// the trades and their fills. The zero value is not usable; call NewPaper.
type Paper struct {
	m       Model
	a       account
	n       int
	pending Signal
	last    Bar
	open    Trade
	trades  []Trade
	fills   []Execution
}

// NewPaper returns a paper broker with the model's starting equity.
func NewPaper(m Model) (*Paper, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	return &Paper{m: m, a: newAccount(m)}, nil
}

// OnBar advances the paper account by one bar: a pending next-open order fills at the
// bar's open, an open position is checked against its stop-loss and take-profit, then the
// decision d (taken at this bar's close) fills at the close or waits for the next open.
func (p *Paper) OnBar(b Bar, d Signal) ([]Execution, error) {
	if !(b.Open > 0 && b.High > 0 && b.Low > 0 && b.Close > 0) || math.IsInf(b.High, 0) {
		return nil, fmt.Errorf("%w: bar %d: prices must be positive numbers", ErrBars, p.n)
	}
	p.fills = p.fills[:0]
	if p.pending != None {
		p.act(b, p.pending, b.Open)
		p.pending = None
	}
	if p.a.side != 0 {
		if px, why := p.a.exitLevel(b.Open, b.High, b.Low); why != "" {
			p.exit(b, px, why)
		}
	}
	if d != None {
		if p.m.Fill == Close {
			p.act(b, d, b.Close)
		} else if p.wants(d) {
			p.pending = d
		}
	}
	p.last = b
	p.n++
	return p.fills, nil
}

// wants reports whether a decision would change the position now.
func (p *Paper) wants(d Signal) bool {
	if p.a.side == 0 {
		return d == p.a.entry() && p.a.cash > 0
	}
	return d != p.a.entry()
}

// act executes decision d at market price px if it changes the position.
func (p *Paper) act(b Bar, d Signal, px float64) {
	if !p.wants(d) {
		return
	}
	if p.a.side != 0 {
		p.exit(b, px, ExitSignal)
		return
	}
	eq := p.a.cash
	fees := p.a.fees
	p.a.open(px)
	p.open = Trade{Direction: p.m.Direction, EntryBar: p.n, EntryTime: b.Time, EntryPrice: px,
		Qty: p.a.qty, Committed: p.a.basis, EquityBefore: eq}
	p.fills = append(p.fills, Execution{Bar: p.n, Time: b.Time, Side: d, Entry: true, Price: px, Qty: p.a.qty, Fee: p.a.fees - fees})
}

// exit closes the open position at market price px.
func (p *Paper) exit(b Bar, px float64, why string) {
	qty := p.a.qty
	side := Sell
	if p.a.side < 0 {
		side = Buy
	}
	before := p.a.fees
	pnl, fees := p.a.close(px)
	t := p.open
	t.ExitBar, t.ExitTime, t.ExitPrice, t.Fees, t.PnL, t.Reason = p.n, b.Time, px, fees, pnl, why
	t.Return = pnl / t.Committed
	t.EquityAt = p.a.cash
	p.trades = append(p.trades, t)
	p.fills = append(p.fills, Execution{Bar: p.n, Time: b.Time, Side: side, Price: px, Qty: qty, Fee: p.a.fees - before, Reason: why})
}

// Equity is the account's value at the last bar's close.
func (p *Paper) Equity() float64 { return p.a.equity(p.last.Close) }

// Fees is the total fee paid so far.
func (p *Paper) Fees() float64 { return p.a.fees }

// Trades returns the closed trades and, if a position is open, that position marked to
// market at the last close (Reason ExitOpen, no exit costs).
func (p *Paper) Trades() []Trade {
	out := append([]Trade(nil), p.trades...)
	if p.a.side != 0 {
		t := p.open
		t.ExitBar, t.ExitTime, t.ExitPrice, t.Reason = p.n-1, p.last.Time, p.last.Close, ExitOpen
		t.Fees = p.a.entryFee
		eq := p.a.equity(p.last.Close)
		// The position's share of the mark-to-market equity change.
		t.PnL = eq - t.EquityBefore
		t.Return = t.PnL / t.Committed
		t.EquityAt = eq
		out = append(out, t)
	}
	return out
}

// Result is a whole backtest.
type Result struct {
	Model  Model
	Trades []Trade
	// Equity is the account value at every bar's close (open positions marked to market).
	Equity []float64
	// InMarket counts the bars that ended with a position open.
	InMarket int
	Fees     float64
}

// Run backtests decisions (one per bar) on bars with the fill model through Paper.
func Run(bars *Bars, sig []Signal, m Model) (*Result, error) {
	if len(sig) != bars.Len() {
		return nil, fmt.Errorf("%w: %d decisions for %d bars", ErrBars, len(sig), bars.Len())
	}
	p, err := NewPaper(m)
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m, Equity: make([]float64, bars.Len())}
	for i := range sig {
		if _, err := p.OnBar(bars.At(i), sig[i]); err != nil {
			return nil, err
		}
		res.Equity[i] = p.Equity()
		if p.a.side != 0 {
			res.InMarket++
		}
	}
	res.Trades = p.Trades()
	res.Fees = p.Fees()
	return res, nil
}
