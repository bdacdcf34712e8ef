package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SetProgress records bar (the open time of the last processed closed bar) for symbol and freq.
func (t *Tx) SetProgress(ctx context.Context, symbol, freq string, bar time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO progress (symbol, freq, last_bar, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (symbol, freq) DO UPDATE SET last_bar = excluded.last_bar, updated_at = excluded.updated_at`,
		symbol, freq, formatTime(bar), formatTime(t.now))
	if err != nil {
		return fmt.Errorf("state: set progress %s %s: %w", symbol, freq, err)
	}
	return nil
}

// Progress returns the last processed bar for symbol and freq; ok is false if none was stored.
func (t *Tx) Progress(ctx context.Context, symbol, freq string) (bar time.Time, ok bool, err error) {
	var s string
	err = t.tx.QueryRowContext(ctx, `SELECT last_bar FROM progress WHERE symbol = ? AND freq = ?`, symbol, freq).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("state: progress %s %s: %w", symbol, freq, err)
	}
	bar, err = parseTime(s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("state: progress %s %s: %w", symbol, freq, err)
	}
	return bar, true, nil
}

// SetBand records the band number last computed for output at the bar closing at closeTime
// (ITB's prev_band_no, kept across restarts here).
func (t *Tx) SetBand(ctx context.Context, output string, band int, closeTime time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO score_band (output, band, bar, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (output) DO UPDATE SET band = excluded.band, bar = excluded.bar, updated_at = excluded.updated_at`,
		output, band, formatTime(closeTime), formatTime(t.now))
	if err != nil {
		return fmt.Errorf("state: set band %s: %w", output, err)
	}
	return nil
}

// Band returns the band last recorded for output and the close time of its bar; ok is false
// if none was (ITB's None).
func (t *Tx) Band(ctx context.Context, output string) (band int, bar time.Time, ok bool, err error) {
	var s string
	err = t.tx.QueryRowContext(ctx, `SELECT band, bar FROM score_band WHERE output = ?`, output).Scan(&band, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	if err == nil {
		bar, err = parseTime(s)
	}
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("state: band %s: %w", output, err)
	}
	return band, bar, true, nil
}
