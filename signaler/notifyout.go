package signaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/scores"
)

// ScoreOutbox is the Output of a score_notification_model entry: for each new row, in one
// state-database transaction per tick, it applies ITB's band rules (scores.Config.Apply: the
// previous band is read from and stored in the database, the message enqueued once under its
// dedup key) and records the row as processed. Rows at or before the stored progress are
// skipped, so a restart or a replayed tick neither repeats nor drops a notification. The
// outbox's Deliverer sends the messages.
type ScoreOutbox struct {
	DB     *state.DB
	Config *scores.Config
	// Output names the entry (scores.OutputName(index)); Symbol and Freq are the config's.
	Output, Symbol, Freq string
	// Interval is the bar length.
	Interval time.Duration
	// Wake, if set, is called after a tick enqueued messages (outbox.Deliverer.Wake).
	Wake func()
	Log  *slog.Logger
}

// Publish implements Output.
func (o *ScoreOutbox) Publish(ctx context.Context, r *Result) error {
	closeCol, err := r.Rows.Col("close")
	if err != nil {
		return err
	}
	score := make([][]float64, len(o.Config.ScoreColumnNames))
	for j, name := range o.Config.ScoreColumnNames {
		if score[j], err = r.Rows.Col(name); err != nil {
			return err
		}
	}
	sent := 0
	err = o.DB.Tick(ctx, func(tx *state.Tx) error {
		done, ok, err := tx.Progress(ctx, o.Symbol, o.Freq)
		if err != nil {
			return err
		}
		for i, ms := range r.Rows.Time {
			open := time.UnixMilli(ms).UTC()
			if ok && !open.After(done) {
				continue
			}
			bar := scores.Bar{Symbol: o.Symbol, Freq: o.Freq, Open: open, Interval: o.Interval, Close: closeCol[i]}
			for _, s := range score {
				bar.Scores = append(bar.Scores, s[i])
			}
			d, err := o.Config.Apply(ctx, tx, o.Output, bar)
			switch {
			case errors.Is(err, scores.ErrNoScore):
				o.logger().Warn("no score for the bar: no notification", "bar", open.Format(time.DateTime))
			case err != nil:
				return err
			case d.Send:
				sent++
			}
			if err := tx.SetProgress(ctx, o.Symbol, o.Freq, open); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("score notification: %w", err)
	}
	if sent > 0 && o.Wake != nil {
		o.Wake()
	}
	return nil
}

// LastBar is the open time of the last bar the output processed (the stored progress).
func (o *ScoreOutbox) LastBar(ctx context.Context) (last time.Time, ok bool, err error) {
	err = o.DB.View(ctx, func(tx *state.Tx) error {
		last, ok, err = tx.Progress(ctx, o.Symbol, o.Freq)
		return err
	})
	return last, ok, err
}

func (o *ScoreOutbox) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}
