package scores

import (
	"context"
	"fmt"

	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
)

// Apply decides bar's notification for output inside a tick's transaction: it reads the
// previous band from tx, stores the new one and enqueues the message (in
// notify.DefaultParseMode) under DedupKey, so a replayed bar enqueues nothing twice and a
// restart continues from the stored band instead of announcing the first band again.
// A bar without a score (ErrNoScore) changes nothing, and so does a bar closing no later than
// the one the stored band is of (a replayed tick: applied already).
func (c *Config) Apply(ctx context.Context, tx *state.Tx, output string, bar Bar) (Decision, error) {
	prev, prevClose, hasPrev, err := tx.Band(ctx, output)
	if err != nil {
		return Decision{}, err
	}
	if hasPrev && !bar.Open.Add(bar.Interval).After(prevClose) {
		return Decision{BandNo: prev}, nil
	}
	d, err := c.Decide(bar, prev, hasPrev)
	if err != nil {
		return d, fmt.Errorf("%s: %w", output, err)
	}
	if err := tx.SetBand(ctx, output, d.BandNo, d.CloseTime); err != nil {
		return d, err
	}
	if !d.Send {
		return d, nil
	}
	_, _, err = tx.Enqueue(ctx, state.Notification{Kind: state.KindText, Text: d.Message.Format(notify.DefaultParseMode),
		ParseMode: string(notify.DefaultParseMode), DedupKey: DedupKey(output, d.CloseTime)})
	return d, err
}
