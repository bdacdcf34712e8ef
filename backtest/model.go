package backtest

import (
	"errors"
	"fmt"
	"math"
)

// ErrModel is wrapped by every invalid fill-model setting; the message names the setting.
var ErrModel = errors.New("invalid fill model")

// Signal is the decision taken at a bar's close.
type Signal int8

const (
	// None: no decision on this bar (also when both buy and sell fire).
	None Signal = iota
	// Buy opens a long position or closes a short one.
	Buy
	// Sell closes a long position or opens a short one.
	Sell
)

// Decide turns the buy and sell flags of one bar into a Signal: both set means no trade.
func Decide(buy, sell bool) Signal {
	switch {
	case buy && !sell:
		return Buy
	case sell && !buy:
		return Sell
	}
	return None
}

// Fill says at which price a decision taken at a bar's close is executed.
type Fill int8

const (
	// NextOpen fills at the open of the bar after the signal bar (what a live trader gets).
	NextOpen Fill = iota
	// Close fills at the signal bar's own close (ITB's rule; optimistic).
	Close
)

// String names the fill rule as the CLI does.
func (f Fill) String() string {
	if f == Close {
		return "close"
	}
	return "next-open"
}

// ParseFill reads "next-open" or "close".
func ParseFill(s string) (Fill, error) {
	switch s {
	case "next-open", "":
		return NextOpen, nil
	case "close":
		return Close, nil
	}
	return 0, fmt.Errorf("%w: fill %q: use next-open or close", ErrModel, s)
}

// Direction says which side the strategy trades.
type Direction int8

const (
	// Long buys on Buy and sells on Sell.
	Long Direction = iota
	// Short sells (borrowed) on Sell and buys back on Buy.
	Short
)

// String names the direction as ITB's config does.
func (d Direction) String() string {
	if d == Short {
		return "short"
	}
	return "long"
}

// ParseDirection reads "long" or "short".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "long", "":
		return Long, nil
	case "short":
		return Short, nil
	}
	return 0, fmt.Errorf("%w: direction %q: use long or short", ErrModel, s)
}

// Model is the fill model: how decisions become fills and what they cost.
type Model struct {
	// FeeBps is the fee per side in basis points of the traded value (10 = Binance spot 0.1%).
	FeeBps float64 `json:"fee_bps"`
	// SlippageBps moves every fill against the trader: buys pay price*(1+s), sells get price*(1-s).
	SlippageBps float64 `json:"slippage_bps"`
	// Fill is NextOpen (default) or Close.
	Fill Fill `json:"-"`
	// Size is the fraction of equity committed when a position opens, in (0, 1].
	Size float64 `json:"position_size"`
	// StopLoss and TakeProfit are fractions of the entry price (0.02 = 2%); 0 turns them off.
	// They are checked against each bar's low and high after entry; when both are touched in
	// one bar the stop is assumed first; a bar opening beyond the level fills at its open.
	StopLoss   float64 `json:"stop_loss"`
	TakeProfit float64 `json:"take_profit"`
	// Direction is Long or Short.
	Direction Direction `json:"-"`
	// Equity is the starting equity in quote currency (default 1000).
	Equity float64 `json:"initial_equity"`
}

// DefaultModel is the default fill model: 10 bps fees, no slippage, next-open fills, all equity, long.
func DefaultModel() Model {
	return Model{FeeBps: 10, Size: 1, Equity: 1000}
}

// Check validates the settings.
func (m Model) Check() error {
	bad := func(name string, v float64, want string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrModel, name, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(m.FeeBps) || m.FeeBps < 0 || m.FeeBps >= 10000:
		return bad("fee_bps", m.FeeBps, "must be in [0, 10000)")
	case !finite(m.SlippageBps) || m.SlippageBps < 0 || m.SlippageBps >= 10000:
		return bad("slippage_bps", m.SlippageBps, "must be in [0, 10000)")
	case !finite(m.Size) || m.Size <= 0 || m.Size > 1:
		return bad("position_size", m.Size, "must be in (0, 1]")
	case !finite(m.StopLoss) || m.StopLoss < 0 || m.StopLoss >= 1:
		return bad("stop_loss", m.StopLoss, "must be in [0, 1)")
	case !finite(m.TakeProfit) || m.TakeProfit < 0:
		return bad("take_profit", m.TakeProfit, "must not be negative")
	case !finite(m.Equity) || m.Equity <= 0:
		return bad("initial_equity", m.Equity, "must be positive")
	case m.Fill != NextOpen && m.Fill != Close:
		return fmt.Errorf("%w: unknown fill rule %d", ErrModel, m.Fill)
	case m.Direction != Long && m.Direction != Short:
		return fmt.Errorf("%w: unknown direction %d", ErrModel, m.Direction)
	}
	return nil
}

// Exit reasons of a trade.
const (
	ExitSignal     = "signal"
	ExitStopLoss   = "stop-loss"
	ExitTakeProfit = "take-profit"
	// ExitOpen marks a position still open at the last bar, valued at the last close.
	ExitOpen = "open"
)

// account is the money and position state of one run. Paper and the grid kernel share it,
// so both price every fill with the same arithmetic.
type account struct {
	fee, slip, size, sl, tp float64
	short                   bool

	cash float64
	// side is 0 when flat, +1 long, -1 short.
	side int8
	// qty is the position in base units; basis is the quote amount committed at entry
	// (spent for a long, received for a short); entryFee the fee paid at entry.
	qty, basis, entryFee float64
	// ref is the market price of the entry fill (before slippage); stop and take are the
	// absolute stop-loss and take-profit levels (NaN when off).
	ref, stop, take float64
	fees            float64
}

func newAccount(m Model) account {
	return account{
		fee: m.FeeBps / 1e4, slip: m.SlippageBps / 1e4, size: m.Size, sl: m.StopLoss, tp: m.TakeProfit,
		short: m.Direction == Short, cash: m.Equity, stop: math.NaN(), take: math.NaN(),
	}
}

// equity values the account at a market price.
func (a *account) equity(price float64) float64 {
	switch a.side {
	case 1:
		return a.cash + a.qty*price
	case -1:
		return a.cash - a.qty*price
	}
	return a.cash
}

// open enters a position at market price p: Size of the equity (all cash when flat) is
// committed, the fee is taken from it (long) or from the proceeds (short).
func (a *account) open(p float64) {
	commit := a.size * a.cash
	fee := commit * a.fee
	a.basis, a.entryFee, a.ref = commit, fee, p
	if a.short {
		a.side = -1
		a.qty = commit / (p * (1 - a.slip))
		a.cash += commit - fee
		a.stop, a.take = levels(p, a.sl, -a.tp)
	} else {
		a.side = 1
		a.qty = (commit - fee) / (p * (1 + a.slip))
		a.cash -= commit
		a.stop, a.take = levels(p, -a.sl, a.tp)
	}
	a.fees += fee
}

// levels returns p*(1+s) and p*(1+t), NaN for a zero fraction (the level is off).
func levels(p, s, t float64) (stop, take float64) {
	stop, take = math.NaN(), math.NaN()
	if s != 0 {
		stop = p * (1 + s)
	}
	if t != 0 {
		take = p * (1 + t)
	}
	return stop, take
}

// close leaves the position at market price p and returns the trade's net profit and fees.
func (a *account) close(p float64) (pnl, fees float64) {
	if a.short {
		cost := a.qty * p * (1 + a.slip)
		fee := cost * a.fee
		a.cash -= cost + fee
		pnl, fees = a.basis-a.entryFee-cost-fee, a.entryFee+fee
		a.fees += fee
	} else {
		got := a.qty * p * (1 - a.slip)
		fee := got * a.fee
		a.cash += got - fee
		pnl, fees = got-fee-a.basis, a.entryFee+fee
		a.fees += fee
	}
	a.side, a.qty = 0, 0
	return pnl, fees
}

// exitLevel checks a bar against the stop-loss and take-profit of an open position and
// returns the market price of the exit and its reason ("" when neither is touched). A bar
// that opens beyond a level fills at its open; when both levels lie inside the bar's range the
// stop is taken (the pessimistic rule: the path inside the bar is unknown).
func (a *account) exitLevel(o, h, l float64) (float64, string) {
	if a.side == 1 {
		switch {
		case o <= a.stop:
			return o, ExitStopLoss
		case o >= a.take:
			return o, ExitTakeProfit
		case l <= a.stop:
			return a.stop, ExitStopLoss
		case h >= a.take:
			return a.take, ExitTakeProfit
		}
		return 0, ""
	}
	switch {
	case o >= a.stop:
		return o, ExitStopLoss
	case o <= a.take:
		return o, ExitTakeProfit
	case h >= a.stop:
		return a.stop, ExitStopLoss
	case l <= a.take:
		return a.take, ExitTakeProfit
	}
	return 0, ""
}

// entry is the Signal that opens a position in this account's direction.
func (a *account) entry() Signal {
	if a.short {
		return Sell
	}
	return Buy
}
