// Package outbox delivers the notifications a tick enqueued in the state database.
//
// A tick writes its messages into the outbox table in the same transaction as its progress
// (state.Tx.Enqueue) and calls Wake; it never waits for Telegram. The Deliverer sends the
// pending messages one at a time in enqueue order, marks each sent when Telegram acknowledges
// it, and on failure waits an exponential, jittered backoff (or Telegram's retry_after)
// before trying the same message again. Messages Telegram rejects for their content (bad
// markup, too long) are marked failed and skipped; everything else is retried until it goes.
//
// Delivery is at least once. The one window for a duplicate is between Telegram accepting a
// message and the commit that marks it sent: if the process dies there (kill -9, power loss),
// the message is still pending after the restart and is sent again. The window is one HTTP
// answer plus one small SQLite commit, and holds at most one message, because messages are
// sent one at a time. A shutdown through the context does not open it: the send in progress
// and its mark are finished (bounded by SendTimeout) before Run returns. The dedup key stops
// the same notification from being enqueued twice, so a replayed tick adds nothing.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
)

// Store is the outbox part of the state database (*state.DB).
type Store interface {
	NextPending(ctx context.Context) (*state.Message, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	MarkRetry(ctx context.Context, id int64, next time.Time, lastErr string) error
	MarkFailed(ctx context.Context, id int64, at time.Time, lastErr string) error
}

// Config configures a Deliverer; zero fields take the defaults.
type Config struct {
	// Clock tells the time and waits; nil means clock.System.
	Clock clock.Clock
	// Seed seeds the backoff jitter, so a run is reproducible.
	Seed uint64
	// MinBackoff is the wait after the first failure (default 1 s); each further failure of
	// the same message doubles it, up to MaxBackoff (default 5 min). The wait is drawn
	// uniformly from [b/2, b] for the current bound b.
	MinBackoff, MaxBackoff time.Duration
	// SendTimeout bounds one attempt (default 30 s).
	SendTimeout time.Duration
	// Logger gets delivery failures (default slog.Default()).
	Logger *slog.Logger
}

// Stats counts deliveries since New.
type Stats struct {
	Sent, Retried, Rejected int64
}

// Deliverer sends the outbox's pending messages.
type Deliverer struct {
	store Store
	n     notify.Notifier
	cfg   Config
	log   *slog.Logger
	wake  chan struct{}

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	sent, retried, rejected atomic.Int64
}

// New returns a Deliverer for store through n.
func New(store Store, n notify.Notifier, cfg Config) *Deliverer {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	cfg.MinBackoff = max(cfg.MinBackoff, time.Millisecond) // the state database keeps milliseconds
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Deliverer{store: store, n: n, cfg: cfg, log: log, wake: make(chan struct{}, 1),
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x6f7574626f78))}
}

// Wake tells Run that messages were enqueued. It never blocks.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stats returns the delivery counters.
func (d *Deliverer) Stats() Stats {
	return Stats{Sent: d.sent.Load(), Retried: d.retried.Load(), Rejected: d.rejected.Load()}
}

// Run delivers until ctx ends, waking when a message is due or Wake is called. It returns nil
// after a shutdown through ctx; the send in progress is finished first.
func (d *Deliverer) Run(ctx context.Context) error {
	for {
		next, err := d.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var wait <-chan time.Time
		switch {
		case err != nil:
			d.log.Error("notification outbox", "err", err)
			wait = d.cfg.Clock.After(d.cfg.MinBackoff)
		case !next.IsZero():
			wait = d.cfg.Clock.After(next.Sub(d.cfg.Clock.Now()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-wait:
		}
	}
}

// DeliverDue sends the pending messages that are due, in order, and stops at the first one
// that is not due or fails. It returns when the first pending message is due next (zero if
// none is pending). It stops between messages when ctx ends, never inside one.
func (d *Deliverer) DeliverDue(ctx context.Context) (next time.Time, err error) {
	for ctx.Err() == nil {
		m, err := d.store.NextPending(ctx)
		if err != nil || m == nil {
			return time.Time{}, err
		}
		if now := d.cfg.Clock.Now(); m.NextAttempt.After(now) {
			return m.NextAttempt, nil
		}
		retryAt, err := d.attempt(ctx, m)
		if err != nil || !retryAt.IsZero() {
			return retryAt, err
		}
	}
	return time.Time{}, nil
}

// attempt sends m once and records the outcome: retryAt is when to try m again after a
// failure, zero when m is done (sent or rejected) and the next message may go. The send and its mark use a context that a shutdown does not cancel, so the
// window between Telegram's answer and the mark is never widened by it.
func (d *Deliverer) attempt(ctx context.Context, m *state.Message) (retryAt time.Time, err error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.SendTimeout)
	defer cancel()
	sendErr := d.send(sctx, m)
	now := d.cfg.Clock.Now()
	if sendErr == nil {
		if err := d.store.MarkSent(sctx, m.ID, now); err != nil {
			return time.Time{}, err
		}
		d.sent.Add(1)
		return time.Time{}, nil
	}
	var te *notify.Error
	if errors.As(sendErr, &te) && te.Rejected() {
		d.rejected.Add(1)
		d.log.Error("telegram rejected a notification; it will not be sent", "id", m.ID, "key", m.DedupKey, "err", sendErr)
		return time.Time{}, d.store.MarkFailed(sctx, m.ID, now, sendErr.Error())
	}
	wait := d.backoff(m.Attempts + 1)
	if te != nil && te.RetryAfter > 0 {
		wait = te.RetryAfter
	}
	d.retried.Add(1)
	level, msg := slog.LevelWarn, "notification not delivered; will retry"
	if te != nil && te.Code >= 400 && te.Code < 500 && te.Code != 429 {
		// A wrong token, chat or blocked bot: it will not clear up by itself.
		level, msg = slog.LevelError, "telegram refuses the bot or chat (check telegram_bot_token and telegram_chat_id); will retry"
	}
	d.log.Log(ctx, level, msg, "id", m.ID, "key", m.DedupKey, "attempt", m.Attempts+1, "retry_in", wait, "err", sendErr)
	retryAt = now.Add(wait)
	return retryAt, d.store.MarkRetry(sctx, m.ID, retryAt, sendErr.Error())
}

func (d *Deliverer) send(ctx context.Context, m *state.Message) error {
	mode := notify.ParseMode(m.ParseMode)
	if m.Kind == state.KindPhoto {
		return d.n.SendPhoto(ctx, m.Photo, m.Filename, m.Text, mode)
	}
	return d.n.SendText(ctx, m.Text, mode)
}

// backoff is the wait after failure number n (1-based) of a message: uniform in [b/2, b]
// with b = MinBackoff·2^(n−1) capped at MaxBackoff.
func (d *Deliverer) backoff(n int) time.Duration {
	b := d.cfg.MinBackoff
	for i := 1; i < n && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	d.mu.Lock()
	j := time.Duration(d.rng.Int64N(int64(b/2) + 1))
	d.mu.Unlock()
	return b - b/2 + j
}
