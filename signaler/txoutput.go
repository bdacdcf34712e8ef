package signaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/state"
)

// TxOutput is an output whose state changes (bands, messages, paper bars and fills) join the
// tick's one state transaction.
type TxOutput interface {
	PublishTx(ctx context.Context, tx *state.Tx, r *Result) error
}

// Rollbacker is a TxOutput with state in memory: Rollback rebuilds it from the database after
// its part of a tick was rolled back.
type Rollbacker interface {
	Rollback(ctx context.Context) error
}

// TxOutputs runs the state-keeping outputs of a tick in one transaction, row by row (a
// catch-up's messages interleave as live ticks' would), each output's row in a savepoint (an
// output that fails is rolled back alone, given no later row of the tick, and its error
// returned after the commit), then
// records the last row as processed (the progress a restart resumes after) and calls Wake.
// A crash before the commit leaves none of the tick's changes, so the restart hands the same
// rows to every output again; after it, all of them, so none is repeated.
type TxOutputs struct {
	DB      *state.DB
	Outputs []TxOutput
	// Trader, if set, joins the transaction last, unless the data is stale.
	Trader TxOutput
	// Symbol and Freq key the progress row.
	Symbol, Freq string
	// Wake is called after a commit (outbox.Deliverer.Wake); nil skips it.
	Wake func()
}

// Publish implements Output.
func (o *TxOutputs) Publish(ctx context.Context, r *Result) error {
	if r.Last() < 0 {
		return nil
	}
	var failed []TxOutput
	var errs []error
	outs := o.all(!r.Stale)
	err := o.DB.Tick(ctx, func(tx *state.Tx) error {
		failed, errs = failed[:0], errs[:0]
		stopped := make([]bool, len(outs))
		for i := range r.Rows.Len() {
			row := rowOf(r, i)
			for k, out := range outs {
				if stopped[k] {
					continue // its memory is rebuilt after the commit; the rows after wait
				}
				if err := tx.Savepoint(ctx, func() error { return out.PublishTx(ctx, tx, row) }); err != nil {
					stopped[k] = true
					failed, errs = append(failed, out), append(errs, err)
				}
			}
		}
		return o.advance(ctx, tx, time.UnixMilli(r.Rows.Time[r.Last()]).UTC())
	})
	if err != nil { // nothing committed: every output with memory rebuilds it
		failed, errs = outs, append(errs, err)
	}
	for _, out := range failed {
		if rb, ok := out.(Rollbacker); ok {
			if err := rb.Rollback(context.WithoutCancel(ctx)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if o.Wake != nil {
		o.Wake()
	}
	if len(errs) > 0 {
		return fmt.Errorf("outputs of bar %s: %w", frame.FormatTime(r.Rows.Time[r.Last()]), errors.Join(errs...))
	}
	return nil
}

// rowOf is r with only row i (r itself when it has one row): the outputs take a catch-up's
// rows one by one, so their messages interleave as the live ticks' would.
func rowOf(r *Result, i int) *Result {
	if r.Rows.Len() == 1 {
		return r
	}
	one := *r
	one.Rows = r.Rows.Slice(i, i+1)
	return &one
}

// all is the outputs, then the trader if it is set and wanted.
func (o *TxOutputs) all(trader bool) []TxOutput {
	if o.Trader == nil || !trader {
		return o.Outputs
	}
	return append(o.Outputs[:len(o.Outputs):len(o.Outputs)], o.Trader)
}

// advance records bar as the last processed one unless a later one is stored: a replay
// restarted from its file's cold start ticks the processed bars again, and the progress
// (where a restart resumes) must not go back.
func (o *TxOutputs) advance(ctx context.Context, tx *state.Tx, bar time.Time) error {
	done, ok, err := tx.Progress(ctx, o.Symbol, o.Freq)
	if err != nil || (ok && !bar.After(done)) {
		return err
	}
	return tx.SetProgress(ctx, o.Symbol, o.Freq, bar)
}

// LastBar is the open time of the last bar processed (the stored progress): Options.Resume.
func (o *TxOutputs) LastBar(ctx context.Context) (last time.Time, ok bool, err error) {
	err = o.DB.View(ctx, func(tx *state.Tx) error {
		last, ok, err = tx.Progress(ctx, o.Symbol, o.Freq)
		return err
	})
	return last, ok, err
}

// Warm implements Warmer: it warms the outputs (and the trader) that are Warmers.
func (o *TxOutputs) Warm(ctx context.Context, r *Result) error {
	var errs []error
	for _, out := range o.all(true) {
		if w, ok := out.(Warmer); ok {
			errs = append(errs, w.Warm(ctx, r))
		}
	}
	return errors.Join(errs...)
}
