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
	Config *scores.Config
	// Output names the entry (scores.OutputName(index)); Symbol and Freq are the config's.
	Output, Symbol, Freq string
	// Interval is the bar length.
	Interval time.Duration
	Log      *slog.Logger
}

// PublishTx implements TxOutput: it applies the band rules to the rows (scores.Config.Apply
// passes over the rows it has applied already).
func (o *ScoreOutbox) PublishTx(ctx context.Context, tx *state.Tx, r *Result) error {
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
	for i, ms := range r.Rows.Time {
		open := time.UnixMilli(ms).UTC()
		bar := scores.Bar{Symbol: o.Symbol, Freq: o.Freq, Open: open, Interval: o.Interval, Close: closeCol[i]}
		for _, s := range score {
			bar.Scores = append(bar.Scores, s[i])
		}
		_, err := o.Config.Apply(ctx, tx, o.Output, bar)
		switch {
		case errors.Is(err, scores.ErrNoScore):
			o.logger().Warn("no score for the bar: no notification", "bar", open.Format(time.DateTime))
		case err != nil:
			return fmt.Errorf("score notification: %w", err)
		}
	}
	return nil
}

func (o *ScoreOutbox) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}
