package diagram

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
)

// Config is one diagram_notification_model output.
type Config struct {
	// Name identifies the output in dedup keys (e.g. "diagram_notification_model#0").
	Name string
	// Freq is the service's bar interval; NotificationFreq, ResamplingFreq and NRows are
	// the output's notification_freq, resampling_freq and nrows.
	Freq, NotificationFreq, ResamplingFreq time.Duration
	NRows                                  int
	// Score is the first of score_column_names; MAs are optional score moving-average
	// columns ({score}_{ma}) drawn with it when the rows have them.
	Score string
	MAs   []string
	// Chart holds the title and the score_thresholds.
	Chart Chart
}

// Check validates the settings, naming the bad key.
func (c *Config) Check() error {
	switch {
	case c.Freq <= 0:
		return fmt.Errorf("%w: %s: freq must be positive", ErrSeries, c.Name)
	case c.NotificationFreq <= 0:
		return fmt.Errorf("%w: %s: notification_freq must be positive", ErrSeries, c.Name)
	case c.ResamplingFreq < c.Freq:
		return fmt.Errorf("%w: %s: resampling_freq %v is shorter than freq %v", ErrSeries, c.Name, c.ResamplingFreq, c.Freq)
	case c.NRows <= 0:
		return fmt.Errorf("%w: %s: nrows must be positive", ErrSeries, c.Name)
	case c.Score == "":
		return fmt.Errorf("%w: %s: score_column_names is empty", ErrSeries, c.Name)
	}
	return nil
}

// MarkSource gives the transactions to draw between two times (Unix ms, [from, to)), read in
// the tick's transaction; the simulated trader (signaler/trades) is one.
type MarkSource interface {
	Marks(ctx context.Context, tx *state.Tx, from, to int64) ([]Mark, error)
}

// DB is the part of the state database the output uses.
type DB interface {
	Tick(ctx context.Context, fn func(tx *state.Tx) error) error
}

// Output keeps the last NRows×ResamplingFreq of bars it was given and, at every tick When
// says is due, enqueues the diagram as a photo in the state outbox (one transaction, dedup
// key Name@interval start, so a replayed tick sends nothing twice).
type Output struct {
	cfg   Config
	db    DB
	marks MarkSource
	hist  Series
}

// New returns the output; marks may be nil (no trades drawn).
func New(cfg Config, db DB, marks MarkSource) (*Output, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return &Output{cfg: cfg, db: db, marks: marks, hist: Series{MANames: cfg.MAs, MAs: make([][]float64, len(cfg.MAs))}}, nil
}

// Span is how much history the output keeps: NRows resampled intervals plus the one being filled.
func (o *Output) Span() time.Duration { return time.Duration(o.cfg.NRows+1) * o.cfg.ResamplingFreq }

// Add appends the rows of f newer than the history (e.g. the window at start, so the first
// diagram after a restart is complete) and drops rows older than Span.
func (o *Output) Add(f *frame.Frame) error {
	cols := make([][]float64, 5+len(o.cfg.MAs))
	for i, name := range append([]string{"open", "high", "low", "close", o.cfg.Score}, o.cfg.MAs...) {
		v, err := f.Col(name)
		if err != nil {
			return fmt.Errorf("%s: %w", o.cfg.Name, err)
		}
		cols[i] = v
	}
	h := &o.hist
	for i, t := range f.Time {
		if n := h.Len(); n > 0 && t <= h.Time[n-1] {
			continue
		}
		h.Time = append(h.Time, t)
		h.Open, h.High = append(h.Open, cols[0][i]), append(h.High, cols[1][i])
		h.Low, h.Close = append(h.Low, cols[2][i]), append(h.Close, cols[3][i])
		h.Score = append(h.Score, cols[4][i])
		for j := range o.cfg.MAs {
			h.MAs[j] = append(h.MAs[j], cols[5+j][i])
		}
	}
	o.trim()
	return nil
}

// trim drops rows older than Span before the last row. It reslices: append moves the live
// rows to a new array when the old one is full, so memory stays within about twice Span.
func (o *Output) trim() {
	h := &o.hist
	n := h.Len()
	if n == 0 {
		return
	}
	cut := h.Time[n-1] - o.Span().Milliseconds()
	i := 0
	for i < n && h.Time[i] <= cut {
		i++
	}
	h.Time = h.Time[i:]
	h.Open, h.High, h.Low, h.Close, h.Score = h.Open[i:], h.High[i:], h.Low[i:], h.Close[i:], h.Score[i:]
	for j := range h.MAs {
		h.MAs[j] = h.MAs[j][i:]
	}
}

// Len is the number of bars kept.
func (o *Output) Len() int { return o.hist.Len() }

// Warm implements signaler.Warmer: it adds the window of a cold start.
func (o *Output) Warm(_ context.Context, r *signaler.Result) error {
	if r.Rows == nil {
		return nil
	}
	return o.Add(r.Rows)
}

// Publish implements signaler.Output: PublishTx in a transaction of its own.
func (o *Output) Publish(ctx context.Context, r *signaler.Result) error {
	return o.db.Tick(ctx, func(tx *state.Tx) error { return o.PublishTx(ctx, tx, r) })
}

// PublishTx implements signaler.TxOutput: it adds the tick's rows and, for each of them that
// is the last bar of a notification_freq interval (for 1D: the bar closing at 00:00 UTC, which
// the tick after midnight brings), renders the diagram of the history up to that bar and
// enqueues it under the dedup key Name@close time. Deciding by the bars rather than the clock
// makes a catch-up over midnight (a restart, an exchange outage) send the diagram the live
// tick would have sent, the same picture, and never twice.
func (o *Output) PublishTx(ctx context.Context, tx *state.Tx, r *signaler.Result) error {
	if r.Rows == nil || r.Rows.Len() == 0 {
		return nil
	}
	from := 0
	for i, open := range r.Rows.Time {
		closeMs := open + o.cfg.Freq.Milliseconds()
		if !When(time.UnixMilli(closeMs), o.cfg.Freq, o.cfg.NotificationFreq) {
			continue
		}
		if err := o.Add(r.Rows.Slice(from, i+1)); err != nil {
			return err
		}
		from = i + 1
		png, err := o.Render(ctx, tx)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s@%s", o.cfg.Name, time.UnixMilli(closeMs).UTC().Format(time.RFC3339))
		if _, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindPhoto, Photo: png, Filename: "diagram.png", DedupKey: key}); err != nil {
			return err
		}
	}
	if from < r.Rows.Len() {
		return o.Add(r.Rows.Slice(from, r.Rows.Len()))
	}
	return nil
}

// Render draws the diagram of the kept history: resampled, the last NRows, with the marks
// of that span read in tx.
func (o *Output) Render(ctx context.Context, tx *state.Tx) ([]byte, error) {
	rs, err := Resample(&o.hist, o.cfg.ResamplingFreq)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.cfg.Name, err)
	}
	rs = Tail(rs, o.cfg.NRows)
	if rs.Len() == 0 {
		return nil, fmt.Errorf("%w: %s: no bars to draw", ErrSeries, o.cfg.Name)
	}
	var marks []Mark
	if o.marks != nil {
		from, to := rs.Time[0], rs.Time[rs.Len()-1]+o.cfg.ResamplingFreq.Milliseconds()
		if marks, err = o.marks.Marks(ctx, tx, from, to); err != nil {
			return nil, fmt.Errorf("%s: %w", o.cfg.Name, err)
		}
	}
	var buf bytes.Buffer
	if err := PNG(&buf, rs, marks, o.cfg.Chart); err != nil {
		return nil, fmt.Errorf("%s: %w", o.cfg.Name, err)
	}
	return buf.Bytes(), nil
}
