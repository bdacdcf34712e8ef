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

// ScoreOutbox is the output of a score_notification_model entry: for each row, in the tick's
// state-database transaction, it applies ITB's band rules (scores.Config.Apply: the previous
// band and its bar are read from and stored in the database, the message enqueued once under
// its dedup key). A row no later than the stored band's bar was applied already and changes
// nothing, so a restart or a replayed tick neither repeats nor drops a notification, and each
// score output keeps its own place. The outbox's Deliverer sends the messages.
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

// Publish implements Output: PublishTx in a transaction of its own, then Wake.
func (o *ScoreOutbox) Publish(ctx context.Context, r *Result) error {
	sent := 0
	err := o.DB.Tick(ctx, func(tx *state.Tx) error {
		var err error
		sent, err = o.publish(ctx, tx, r)
		return err
	})
	if err != nil {
		return err
	}
	if sent > 0 && o.Wake != nil {
		o.Wake()
	}
	return nil
}

// PublishTx implements TxOutput.
func (o *ScoreOutbox) PublishTx(ctx context.Context, tx *state.Tx, r *Result) error {
	_, err := o.publish(ctx, tx, r)
	return err
}

// publish applies the band rules to the rows (scores.Config.Apply passes over the rows it
// has applied already); sent counts the messages enqueued.
func (o *ScoreOutbox) publish(ctx context.Context, tx *state.Tx, r *Result) (sent int, err error) {
	closeCol, err := r.Rows.Col("close")
	if err != nil {
		return 0, err
	}
	score := make([][]float64, len(o.Config.ScoreColumnNames))
	for j, name := range o.Config.ScoreColumnNames {
		if score[j], err = r.Rows.Col(name); err != nil {
			return 0, err
		}
	}
	for i, ms := range r.Rows.Time {
		open := time.UnixMilli(ms).UTC()
		bar := scores.Bar{Symbol: o.Symbol, Freq: o.Freq, Open: open, Interval: o.Interval, Close: closeCol[i]}
		for _, s := range score {
			bar.Scores = append(bar.Scores, s[i])
		}
		d, err := o.Config.Apply(ctx, tx, o.Output, bar)
		switch {
		case errors.Is(err, scores.ErrNoScore):
			o.logger().Warn("no score for the bar: no notification", "bar", open.Format(time.DateTime))
		case err != nil:
			return sent, fmt.Errorf("score notification: %w", err)
		case d.Send:
			sent++
		}
	}
	return sent, nil
}

func (o *ScoreOutbox) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}
