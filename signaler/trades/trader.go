// Package trades is ITB's simulated trader (trader_simulation): it runs the service's signals
// through the same fill model as `tradectl simulate` (backtest.Paper), keeps every bar and
// fill in the state database so a restart rebuilds the exact account, and enqueues ITB's
// transaction and 4-week statistics messages.
package trades

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/diagram"
	"github.com/tradectl/tradectl/signaler/notify"
)

// ErrReplay is returned by Open when the stored bars no longer give the stored fills (the
// fill model changed since they were recorded).
var ErrReplay = errors.New("paper trader: stored bars replay to different fills")

// StatsWindow is the span of the statistics message (ITB: 4 weeks).
const StatsWindow = 28 * 24 * time.Hour

// Config is one trader_simulation output.
type Config struct {
	// Name identifies the trader in the state database and the dedup keys
	// (e.g. "trader_simulation#0"); a new name starts a new account.
	Name string
	// Buy and Sell name the signal columns (buy_signal_column, sell_signal_column): 1 fires.
	Buy, Sell string
	// Model is the fill model, the same one simulate uses.
	Model backtest.Model
	// Log, if set, gets the bars PublishTx skips.
	Log *slog.Logger
}

// DB is the part of the state database the trader uses.
type DB interface {
	Tick(ctx context.Context, fn func(tx *state.Tx) error) error
	View(ctx context.Context, fn func(tx *state.Tx) error) error
}

// Trader is the paper trader. It implements signaler.Output and signaler.TxOutput; it is not
// safe for concurrent use.
type Trader struct {
	cfg   Config
	db    DB
	paper *backtest.Paper
	last  int64 // open time of the last bar given (math.MinInt64 before the first)
	seq   int   // fills so far
}

// Open returns the trader named cfg.Name, rebuilt from its stored bars: they are replayed
// through a fresh backtest.Paper, which must give the stored fills again (ErrReplay
// otherwise, e.g. when the fill model changed).
func Open(ctx context.Context, cfg Config, db DB) (*Trader, error) {
	if cfg.Name == "" || cfg.Buy == "" || cfg.Sell == "" {
		return nil, fmt.Errorf("paper trader %q: name, buy_signal_column and sell_signal_column are required", cfg.Name)
	}
	t := &Trader{cfg: cfg, db: db}
	if err := t.reload(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// reload rebuilds the account from the database.
func (t *Trader) reload(ctx context.Context) error {
	p, err := backtest.NewPaper(t.cfg.Model)
	if err != nil {
		return fmt.Errorf("paper trader %s: %w", t.cfg.Name, err)
	}
	var n int
	var last int64
	err = t.db.View(ctx, func(tx *state.Tx) error {
		var err error
		n, last, err = t.replay(ctx, tx, p)
		return err
	})
	if err != nil {
		return err
	}
	t.paper, t.seq, t.last = p, n, last
	return nil
}

// replay gives p the stored bars, checking its fills against the stored ones; it returns the
// number of fills and the last bar's time (math.MinInt64 when there is none).
func (t *Trader) replay(ctx context.Context, tx *state.Tx, p *backtest.Paper) (n int, last int64, err error) {
	stored, err := tx.PaperFills(ctx, t.cfg.Name, math.MinInt64, math.MaxInt64)
	if err != nil {
		return 0, 0, err
	}
	last = math.MinInt64
	err = tx.PaperBars(ctx, t.cfg.Name, func(b state.PaperBar) error {
		ex, err := p.OnBar(backtest.Bar{Time: b.Time, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close}, backtest.Signal(b.Decision))
		if err != nil {
			return fmt.Errorf("paper trader %s: stored bar %s: %w", t.cfg.Name, frame.FormatTime(b.Time), err)
		}
		for _, e := range ex {
			if n >= len(stored) || !sameFill(e, stored[n]) {
				return fmt.Errorf("%w: %s: fill %d at %s (was the fill model changed? use a new output name)",
					ErrReplay, t.cfg.Name, n+1, frame.FormatTime(e.Time))
			}
			n++
		}
		last = b.Time
		return nil
	})
	if err == nil && n != len(stored) {
		err = fmt.Errorf("%w: %s: the bars give %d fills, %d are stored (was the fill model changed? use a new output name)",
			ErrReplay, t.cfg.Name, n, len(stored))
	}
	return n, last, err
}

// sameFill reports whether a replayed execution is the stored fill (same bar, side, price
// and quantity: the stored floats round-trip exactly).
func sameFill(e backtest.Execution, f state.PaperFill) bool {
	side := "SELL"
	if e.Side == backtest.Buy {
		side = "BUY"
	}
	return e.Time == f.Time && side == f.Side && e.Entry == f.Entry && e.Price == f.Price && e.Qty == f.Qty
}

// Publish implements signaler.Output: PublishTx in a transaction of its own. A bad bar is
// skipped and returned as an error after the other rows are stored. If the transaction
// fails, the account is rebuilt from the database and the error returned, so the same rows
// can be given again.
func (t *Trader) Publish(ctx context.Context, r *signaler.Result) error {
	var bad error
	err := t.db.Tick(ctx, func(tx *state.Tx) error {
		var err error
		bad, err = t.publish(ctx, tx, r)
		return err
	})
	if err != nil {
		return t.abort(ctx, errors.Join(bad, err))
	}
	return bad
}

// PublishTx implements signaler.TxOutput: every row of r.Rows newer than the last bar given
// goes through the fill model with the decision of its signal columns (both or neither:
// none), and the bars, the fills and their messages are stored in tx. A bar the fill model
// refuses (a missing or non-positive price: an empty grid row after a gap) is skipped with a
// warning (Config.Log); the fill model sees the next bar as the next one. If tx is rolled
// back, Rollback must be called.
func (t *Trader) PublishTx(ctx context.Context, tx *state.Tx, r *signaler.Result) error {
	bad, err := t.publish(ctx, tx, r)
	if bad != nil && t.cfg.Log != nil {
		t.cfg.Log.Warn("paper trader: bars skipped", "error", bad)
	}
	return err
}

// abort rebuilds the account from the database after a failed tick and returns err.
func (t *Trader) abort(ctx context.Context, err error) error {
	if rerr := t.reload(ctx); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// Rollback implements signaler.Rollbacker: it rebuilds the account from the database.
func (t *Trader) Rollback(ctx context.Context) error { return t.reload(ctx) }

// publish runs the new rows through the fill model and stores them in tx; bad names the
// bars skipped.
func (t *Trader) publish(ctx context.Context, tx *state.Tx, r *signaler.Result) (bad, err error) {
	if r.Rows == nil || r.Rows.Len() == 0 {
		return nil, nil
	}
	cols, err := t.columns(r.Rows)
	if err != nil {
		return nil, err
	}
	var bars []state.PaperBar
	var fills []state.PaperFill
	var skipped []error
	for i, ts := range r.Rows.Time {
		if ts <= t.last {
			continue
		}
		b := state.PaperBar{Time: ts, Open: cols[0][i], High: cols[1][i], Low: cols[2][i], Close: cols[3][i],
			Decision: int(backtest.Decide(cols[4][i] == 1, cols[5][i] == 1))}
		ex, err := t.paper.OnBar(backtest.Bar{Time: ts, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close}, backtest.Signal(b.Decision))
		if err != nil { // Paper refuses a bad bar before changing anything
			skipped = append(skipped, fmt.Errorf("paper trader %s: bar %s: %w", t.cfg.Name, frame.FormatTime(ts), err))
			continue
		}
		t.last = ts
		bars = append(bars, b)
		fills = append(fills, t.record(ex)...)
	}
	if len(bars) == 0 {
		return errors.Join(skipped...), nil
	}
	return errors.Join(skipped...), t.store(ctx, tx, bars, fills)
}

// columns returns open, high, low, close, buy and sell of f, naming a missing one.
func (t *Trader) columns(f *frame.Frame) ([6][]float64, error) {
	var out [6][]float64
	for i, name := range []string{"open", "high", "low", "close", t.cfg.Buy, t.cfg.Sell} {
		v, err := f.Col(name)
		if err != nil {
			return out, fmt.Errorf("paper trader %s: %w", t.cfg.Name, err)
		}
		out[i] = v
	}
	return out, nil
}

// record numbers the fills of one bar and prices their round trips.
func (t *Trader) record(ex []backtest.Execution) []state.PaperFill {
	if len(ex) == 0 {
		return nil
	}
	var closed backtest.Trade
	for _, tr := range t.paper.Trades() {
		if tr.Reason != backtest.ExitOpen {
			closed = tr // at most one exit per bar: the last closed trade
		}
	}
	out := make([]state.PaperFill, 0, len(ex))
	for _, e := range ex {
		t.seq++
		f := state.PaperFill{Seq: t.seq, Time: e.Time, Side: "SELL", Entry: e.Entry, Price: e.Price, Qty: e.Qty,
			Fee: e.Fee, Reason: e.Reason, Equity: t.paper.Equity()}
		if e.Side == backtest.Buy {
			f.Side = "BUY"
		}
		if !e.Entry {
			f.Profit, f.ProfitPct = closed.PnL, 100*closed.Return
		}
		out = append(out, f)
	}
	return out
}

// store writes one tick's bars and fills and enqueues their messages.
func (t *Trader) store(ctx context.Context, tx *state.Tx, bars []state.PaperBar, fills []state.PaperFill) error {
	for _, b := range bars {
		added, err := tx.AddPaperBar(ctx, t.cfg.Name, b)
		if err != nil {
			return err
		}
		if !added {
			return fmt.Errorf("paper trader %s: bar %s is already stored (two traders with one name?)", t.cfg.Name, frame.FormatTime(b.Time))
		}
	}
	for _, f := range fills {
		if err := tx.AddPaperFill(ctx, t.cfg.Name, f); err != nil {
			return err
		}
		if err := t.enqueue(ctx, tx, fmt.Sprintf("%s/fill/%d", t.cfg.Name, f.Seq), TransactionMessage(f)); err != nil {
			return err
		}
		if f.Entry {
			continue
		}
		recent, err := tx.PaperFills(ctx, t.cfg.Name, f.Time-StatsWindow.Milliseconds(), f.Time+1)
		if err != nil {
			return err
		}
		msg := StatsMessage(t.cfg.Model.Direction, StatsOf(recent))
		if err := t.enqueue(ctx, tx, fmt.Sprintf("%s/stats/%d", t.cfg.Name, f.Seq), msg); err != nil {
			return err
		}
	}
	return nil
}

func (t *Trader) enqueue(ctx context.Context, tx *state.Tx, key string, r notify.Rich) error {
	_, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindText, Text: r.Format(notify.DefaultParseMode),
		ParseMode: string(notify.DefaultParseMode), DedupKey: key})
	return err
}

// Trades returns the closed round trips and the open position marked to market, as
// backtest.Run reports them.
func (t *Trader) Trades() []backtest.Trade { return t.paper.Trades() }

// Equity is the account's value at the last bar's close.
func (t *Trader) Equity() float64 { return t.paper.Equity() }

// Fills returns the stored fills with from <= Time < to (Unix ms).
func (t *Trader) Fills(ctx context.Context, from, to int64) ([]state.PaperFill, error) {
	var out []state.PaperFill
	err := t.db.View(ctx, func(tx *state.Tx) error {
		var err error
		out, err = tx.PaperFills(ctx, t.cfg.Name, from, to)
		return err
	})
	return out, err
}

// Marks implements diagram.MarkSource: the fills in [from, to) as buy and sell markers.
func (t *Trader) Marks(ctx context.Context, tx *state.Tx, from, to int64) ([]diagram.Mark, error) {
	fills, err := tx.PaperFills(ctx, t.cfg.Name, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]diagram.Mark, len(fills))
	for i, f := range fills {
		out[i] = diagram.Mark{Time: f.Time, Price: f.Price, Buy: f.Side == "BUY"}
	}
	return out, nil
}
