package signaler

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
)

// Output is the notifier side of a tick: it receives every result with new rows.
type Output interface {
	Publish(ctx context.Context, r *Result) error
}

// Trader receives the signals of every tick whose data is not stale.
type Trader interface {
	Signals(ctx context.Context, r *Result) error
}

// Warmer is an Output that wants the whole window at a cold start (e.g. the diagram, so the
// first one after a restart is complete). Warm does not publish anything.
type Warmer interface {
	Warm(ctx context.Context, r *Result) error
}

// Outputs fans a result out to several outputs, in order; every one runs even if one fails.
type Outputs []Output

// Publish implements Output.
func (o Outputs) Publish(ctx context.Context, r *Result) error {
	var first error
	for _, out := range o {
		if err := out.Publish(ctx, r); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Warm implements Warmer: it warms the outputs that are Warmers.
func (o Outputs) Warm(ctx context.Context, r *Result) error {
	var errs []error
	for _, out := range o {
		if w, ok := out.(Warmer); ok {
			errs = append(errs, w.Warm(ctx, r))
		}
	}
	return errors.Join(errs...)
}

// LogOutput logs the last row of every tick: close, the named columns (scores) and the band,
// as ITB's "Close: ... Signals: ..." line.
type LogOutput struct {
	Log *slog.Logger
	// Columns are logged when present (e.g. the score and signal columns).
	Columns []string
}

// Publish implements Output.
func (o LogOutput) Publish(_ context.Context, r *Result) error {
	i := r.Last()
	attrs := []any{"bar", frame.FormatTime(r.Rows.Time[i]), "new_rows", r.Rows.Len(), "band", r.BandNo}
	attrs = append(attrs, rowAttrs(r.Rows, i, append([]string{"close"}, o.Columns...))...)
	o.Log.Info("tick", attrs...)
	return nil
}

// LogTrader logs the buy and sell signals of the last row; it places no order.
type LogTrader struct {
	Log *slog.Logger
	// Buy and Sell name the signal columns (ITB's buy_signal_column, sell_signal_column).
	Buy, Sell string
}

// Signals implements Trader.
func (t LogTrader) Signals(_ context.Context, r *Result) error {
	i := r.Last()
	side := ""
	if v, err := r.Rows.Col(t.Buy); err == nil && v[i] == 1 {
		side = "BUY"
	}
	if v, err := r.Rows.Col(t.Sell); err == nil && v[i] == 1 {
		if side != "" {
			side = "BOTH"
		} else {
			side = "SELL"
		}
	}
	close := math.NaN()
	if v, err := r.Rows.Col("close"); err == nil {
		close = v[i]
	}
	t.Log.Info("trader signal", "bar_close", time.UnixMilli(r.Rows.Time[i]).UTC().Format(time.DateTime), "side", side, "close", close)
	return nil
}

// rowAttrs are the values of the named columns of row i that f has.
func rowAttrs(f *frame.Frame, i int, names []string) []any {
	var out []any
	for _, n := range names {
		if v, err := f.Col(n); err == nil {
			out = append(out, n, v[i])
		}
	}
	return out
}
