package state

import (
	"context"
	"fmt"
)

// PaperBar is one bar the paper trader was given with the decision taken at its close.
// Replaying a trader's bars through the fill model rebuilds its exact state after a restart.
type PaperBar struct {
	Time                   int64 // open time, Unix ms
	Open, High, Low, Close float64
	Decision               int // 0 none, 1 buy, 2 sell
}

// PaperFill is one fill of the paper trader.
type PaperFill struct {
	Seq   int
	Time  int64  // open time of the bar it filled in, Unix ms
	Side  string // "BUY" or "SELL"
	Entry bool
	// Price is the market price before slippage; Fee the fee of this fill.
	Price, Qty, Fee float64
	Reason          string
	// Profit is the net profit of the round trip an exit closes (0 for an entry), ProfitPct
	// 100 × Profit / the quote committed at entry, Equity the account at the close of the
	// fill's bar.
	Profit, ProfitPct, Equity float64
}

// AddPaperBar stores trader's bar; added is false when a bar with that time was stored before.
func (t *Tx) AddPaperBar(ctx context.Context, trader string, b PaperBar) (added bool, err error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO paper_bar (trader, time, open, high, low, close, decision)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trader, time) DO NOTHING`,
		trader, b.Time, b.Open, b.High, b.Low, b.Close, b.Decision)
	if err != nil {
		return false, fmt.Errorf("state: paper bar %s %d: %w", trader, b.Time, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PaperBars calls fn with each of trader's bars in time order, without holding them all
// (a year of 1m bars is half a million rows); an error from fn stops the scan and is returned.
func (t *Tx) PaperBars(ctx context.Context, trader string, fn func(PaperBar) error) error {
	rows, err := t.tx.QueryContext(ctx, `SELECT time, open, high, low, close, decision FROM paper_bar WHERE trader = ? ORDER BY time`, trader)
	if err != nil {
		return fmt.Errorf("state: paper bars %s: %w", trader, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b PaperBar
		if err := rows.Scan(&b.Time, &b.Open, &b.High, &b.Low, &b.Close, &b.Decision); err != nil {
			return fmt.Errorf("state: paper bars %s: %w", trader, err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state: paper bars %s: %w", trader, err)
	}
	return nil
}

// AddPaperFill stores one of trader's fills (its Seq must be new).
func (t *Tx) AddPaperFill(ctx context.Context, trader string, f PaperFill) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO paper_fill (trader, seq, time, side, entry, price, qty, fee, reason, profit, profit_pct, equity)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		trader, f.Seq, f.Time, f.Side, f.Entry, f.Price, f.Qty, f.Fee, f.Reason, f.Profit, f.ProfitPct, f.Equity)
	if err != nil {
		return fmt.Errorf("state: paper fill %s #%d: %w", trader, f.Seq, err)
	}
	return nil
}

// PaperFills returns trader's fills with from <= Time < to (Unix ms), in order.
func (t *Tx) PaperFills(ctx context.Context, trader string, from, to int64) ([]PaperFill, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT seq, time, side, entry, price, qty, fee, reason, profit, profit_pct, equity
FROM paper_fill WHERE trader = ? AND time >= ? AND time < ? ORDER BY seq`, trader, from, to)
	if err != nil {
		return nil, fmt.Errorf("state: paper fills %s: %w", trader, err)
	}
	defer rows.Close()
	var out []PaperFill
	for rows.Next() {
		var f PaperFill
		if err := rows.Scan(&f.Seq, &f.Time, &f.Side, &f.Entry, &f.Price, &f.Qty, &f.Fee, &f.Reason, &f.Profit, &f.ProfitPct, &f.Equity); err != nil {
			return nil, fmt.Errorf("state: paper fills %s: %w", trader, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
