package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
	"github.com/tradectl/tradectl/signaler/outbox"
)

const (
	token = "7012345678:AAH-s3cr3t_T0ken-value_xyz"
	chat  = "-1001234567890"
)

var start = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type rig struct {
	clk  clock.Clock
	fake *faketelegram.Server
	db   *state.DB
	tg   *notify.Telegram
	d    *outbox.Deliverer
}

func newRig(t testing.TB, clk clock.Clock, apiURL string, cfg outbox.Config) *rig {
	t.Helper()
	r := &rig{clk: clk}
	r.fake = faketelegram.New(faketelegram.Config{Token: token, ChatID: chat, Clock: clk})
	t.Cleanup(r.fake.Close)
	if apiURL == "" {
		apiURL = r.fake.URL()
	}
	var err error
	r.db, err = state.Open(context.Background(), state.Path(t.TempDir()), state.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	r.tg, err = notify.NewTelegram(notify.TelegramConfig{APIURL: apiURL, Token: config.Secret(token), ChatID: chat,
		Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clock, cfg.Logger = clk, quiet
	r.d = outbox.New(r.db, r.tg, cfg)
	return r
}

// tick commits one bar's progress and message, as the service's tick does, and wakes the deliverer.
func (r *rig) tick(t testing.TB, i int) {
	t.Helper()
	ctx := context.Background()
	bar := start.Add(time.Duration(i) * time.Minute)
	err := r.db.Tick(ctx, func(tx *state.Tx) error {
		if err := tx.SetProgress(ctx, "BTCUSDT", "1min", bar); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindText, DedupKey: fmt.Sprintf("scores#0@%d", i),
			Text: notify.Bold(fmt.Sprintf("bar %d: +0.02 (x)", i)).Format(notify.HTML), ParseMode: string(notify.HTML)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r.d.Wake()
}

// waitFor polls cond (real time) and fails the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// visible returns the delivered messages' texts.
func (r *rig) visible() []string {
	var out []string
	for _, m := range r.fake.Messages() {
		out = append(out, m.Visible)
	}
	return out
}

func want(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("bar %d: +0.02 (x)", i))
	}
	return out
}

// TestTelegramOutageOfTenMinutes runs 30 minutes of 1min ticks on a fake clock, one second at a
// time, with Telegram unreachable from 12:05 to 12:15 (dropped connections, 502s and 429s):
// every message arrives once, in order; those of the outage arrive within the backoff cap of
// its end, and the retries are spaced by the backoff, not hammered.
func TestTelegramOutageOfTenMinutes(t *testing.T) {
	clk := clock.NewFake(start)
	maxBackoff := time.Minute
	r := newRig(t, clk, "", outbox.Config{Seed: 1, MinBackoff: time.Second, MaxBackoff: maxBackoff})
	down, up := start.Add(5*time.Minute), start.Add(15*time.Minute)
	r.fake.InjectFunc(func(n int, _ string) faketelegram.Fault {
		now := clk.Now()
		switch {
		case now.Before(down) || !now.Before(up):
			return faketelegram.Fault{}
		case now.Before(down.Add(4 * time.Minute)):
			return faketelegram.Fault{Kind: faketelegram.Down}
		case now.Before(down.Add(8 * time.Minute)):
			return faketelegram.Fault{Kind: faketelegram.BadGateway}
		default:
			return faketelegram.Fault{Kind: faketelegram.TooManyRequests, RetryAfter: 20}
		}
	})
	ctx := context.Background()
	const minutes = 30
	// The clock jumps from event to event, as Run's waits would: the next tick (second 1 of
	// each minute) or the next due delivery, whichever is first.
	tickAt := func(i int) time.Time { return start.Add(time.Duration(i)*time.Minute + time.Second) }
	next := 0
	for steps := 0; ; steps++ {
		for next < minutes && !tickAt(next).After(clk.Now()) {
			r.tick(t, next)
			next++
		}
		due, err := r.d.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ev time.Time
		if next < minutes {
			ev = tickAt(next)
		}
		if !due.IsZero() && (ev.IsZero() || due.Before(ev)) {
			ev = due
		}
		if ev.IsZero() || steps > 10000 {
			break
		}
		clk.Set(ev)
	}
	if got := r.visible(); !slices.Equal(got, want(0, minutes)) {
		t.Fatalf("delivered %d messages:\n%s\nwant each of %d once, in order", len(got), strings.Join(got, "\n"), minutes)
	}
	var failed int
	var lastFail time.Time
	for _, q := range r.fake.Requests() {
		if q.Fault != faketelegram.NoFault {
			failed++
			lastFail = q.At
			if q.At.Before(down) || !q.At.Before(up) {
				t.Errorf("request %d at %v failed outside the outage", q.N, q.At)
			}
		}
	}
	for i, m := range r.fake.Messages() {
		created := start.Add(time.Duration(i)*time.Minute + time.Second)
		latest := created
		if !created.Before(down) && created.Before(up.Add(maxBackoff)) { // queued behind the outage
			latest = up.Add(maxBackoff)
		}
		if m.At.After(latest) {
			t.Errorf("message %d created %v delivered at %v, after %v", i, created.Format("15:04:05"), m.At.Format("15:04:05"), latest.Format("15:04:05"))
		}
	}
	// Backoff 1 s doubling to 1 min over 10 minutes: about 6 + 9 attempts, the 429s add at most
	// one per 20 s; hammering (one a second) would be ~600.
	t.Logf("%d failed attempts during the outage; last at %s", failed, lastFail.Format("15:04:05"))
	if failed < 8 || failed > 40 {
		t.Errorf("%d failed attempts during the outage; backoff not working", failed)
	}
	if lastFail.Before(up.Add(-time.Minute)) {
		t.Errorf("last failed attempt at %v: the outage was not probed to its end", lastFail)
	}
	st := r.d.Stats()
	if st.Sent != minutes || st.Retried != int64(failed) || st.Rejected != 0 {
		t.Errorf("stats %+v, want %d sent and %d retries", st, minutes, failed)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	clk := clock.NewFake(start)
	r := newRig(t, clk, "", outbox.Config{Seed: 3, MinBackoff: time.Second, MaxBackoff: 10 * time.Second})
	r.fake.Inject(1, faketelegram.Fault{Kind: faketelegram.TooManyRequests, RetryAfter: 37})
	r.tick(t, 0)
	ctx := context.Background()
	next, err := r.d.DeliverDue(ctx)
	if err != nil || !next.Equal(start.Add(37*time.Second)) {
		t.Fatalf("next attempt %v, %v; want retry_after 37 s (longer than the backoff cap)", next, err)
	}
	clk.Set(start.Add(36 * time.Second))
	if _, err := r.d.DeliverDue(ctx); err != nil || len(r.fake.Requests()) != 1 {
		t.Fatalf("retried before retry_after: %d requests", len(r.fake.Requests()))
	}
	clk.Set(start.Add(37 * time.Second))
	if next, err := r.d.DeliverDue(ctx); err != nil || !next.IsZero() || len(r.fake.Messages()) != 1 {
		t.Fatalf("not delivered at retry_after: next %v err %v", next, err)
	}
	msgs, _ := r.db.Messages(ctx)
	if len(msgs) != 1 || msgs[0].Attempts != 2 || !msgs[0].Sent.Equal(start.Add(37*time.Second)) || msgs[0].LastError != "" {
		t.Fatalf("outbox row %+v", msgs)
	}
}

func TestRejectedMessageIsSkipped(t *testing.T) {
	clk := clock.NewFake(start)
	r := newRig(t, clk, "", outbox.Config{Seed: 1})
	ctx := context.Background()
	err := r.db.Tick(ctx, func(tx *state.Tx) error {
		// Unescaped MarkdownV2: Telegram refuses it however often it is sent.
		if _, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindText, DedupKey: "bad", Text: "+0.02", ParseMode: "MarkdownV2"}); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindPhoto, DedupKey: "photo", Photo: []byte("png"), Filename: "d.png", Text: "<b>1D</b>", ParseMode: "HTML"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if next, err := r.d.DeliverDue(ctx); err != nil || !next.IsZero() {
		t.Fatalf("next %v, err %v", next, err)
	}
	m := r.fake.Messages()
	if len(m) != 1 || m[0].Method != "sendPhoto" || string(m[0].Photo) != "png" || m[0].Visible != "1D" {
		t.Fatalf("delivered %+v; want only the photo", m)
	}
	rows, _ := r.db.Messages(ctx)
	if rows[0].Failed.IsZero() || !strings.Contains(rows[0].LastError, "can't parse entities") || r.d.Stats().Rejected != 1 {
		t.Fatalf("rejected row %+v", rows[0])
	}
}

// TestUnreachableTelegramAtStart: with nothing listening at the API URL the ticks still commit
// and queue; a restart pointed at a working Telegram delivers the queue in order.
func TestUnreachableTelegramAtStart(t *testing.T) {
	clk := clock.NewFake(start)
	r := newRig(t, clk, "http://127.0.0.1:1", outbox.Config{Seed: 1})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		clk.Set(start.Add(time.Duration(i)*time.Minute + time.Second))
		r.tick(t, i)
		if _, err := r.d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := r.db.Pending(ctx); n != 3 {
		t.Fatalf("%d pending, want 3 queued", n)
	}
	rows, _ := r.db.Messages(ctx)
	if rows[0].Attempts == 0 || !strings.Contains(rows[0].LastError, "telegram sendMessage") || strings.Contains(rows[0].LastError, "s3cr3t") {
		t.Fatalf("first row %+v", rows[0])
	}
	// Restart with Telegram reachable: same database, new deliverer.
	d2 := outbox.New(r.db, mustTelegram(t, r.fake.URL()), outbox.Config{Clock: clk, Logger: quiet})
	clk.Set(start.Add(10 * time.Minute))
	if next, err := d2.DeliverDue(ctx); err != nil || !next.IsZero() {
		t.Fatalf("next %v err %v", next, err)
	}
	if got := r.visible(); !slices.Equal(got, want(0, 3)) {
		t.Fatalf("delivered %q", got)
	}
}

func mustTelegram(t testing.TB, url string) *notify.Telegram {
	tg, err := notify.NewTelegram(notify.TelegramConfig{APIURL: url, Token: config.Secret(token), ChatID: chat, Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestTicksDoNotWaitForTelegram runs the deliverer while Telegram stalls every request: ticks
// go on committing during the stall, and everything is delivered once it ends.
func TestTicksDoNotWaitForTelegram(t *testing.T) {
	r := newRig(t, clock.System{}, "", outbox.Config{Seed: 1, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		SendTimeout: 10 * time.Second})
	var stalled atomic.Int32
	release := make(chan struct{})
	r.fake.InjectFunc(func(int, string) faketelegram.Fault {
		select {
		case <-release:
			return faketelegram.Fault{}
		default:
			stalled.Add(1)
			return faketelegram.Fault{Kind: faketelegram.Slow, Delay: time.Hour} // held until the server closes it
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.d.Run(ctx) }()
	r.tick(t, 0)
	waitFor(t, "the first send to stall", func() bool { return stalled.Load() > 0 })
	ticked := make(chan struct{})
	go func() {
		for i := 1; i < 6; i++ {
			r.tick(t, i)
		}
		close(ticked)
	}()
	select {
	case <-ticked:
	case <-time.After(5 * time.Second):
		t.Fatal("ticks blocked while Telegram stalled")
	}
	if n := len(r.fake.Messages()); n != 0 {
		t.Fatalf("%d delivered during the stall", n)
	}
	close(release)
	r.fake.CloseClientConnections() // the stalled request fails; the retry goes through
	waitFor(t, "six deliveries", func() bool { return len(r.fake.Messages()) >= 6 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.visible(); !slices.Equal(got, want(0, 6)) {
		t.Fatalf("delivered %q", got)
	}
}

// TestShutdownFinishesTheSendInProgress cancels Run while Telegram is slow to answer: Run
// returns only after the message is marked sent, so no duplicate follows a clean stop.
func TestShutdownFinishesTheSendInProgress(t *testing.T) {
	r := newRig(t, clock.System{}, "", outbox.Config{Seed: 1})
	r.fake.Inject(1, faketelegram.Fault{Kind: faketelegram.SlowAnswer, Delay: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	r.tick(t, 0)
	r.tick(t, 1)
	done := make(chan error)
	go func() { done <- r.d.Run(ctx) }()
	waitFor(t, "Telegram to get the message", func() bool { return len(r.fake.Messages()) > 0 })
	cancel() // Telegram has the message; its answer is still on the way
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, _ := r.db.Messages(context.Background())
	if rows[0].Sent.IsZero() {
		t.Fatal("the message Telegram accepted was not marked sent at shutdown")
	}
	if !rows[1].Sent.IsZero() || len(r.fake.Messages()) != 1 {
		t.Fatal("a message was sent after the shutdown began")
	}
}

// BenchmarkTickWhileDelivering measures one tick's enqueue and commit (progress + one message)
// while the deliverer sends to the fake Telegram concurrently.
func BenchmarkTickWhileDelivering(b *testing.B) {
	r := newRig(b, clock.System{}, "", outbox.Config{Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.d.Run(ctx) }()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.tick(b, i)
	}
	b.StopTimer()
	cancel()
	<-done
}

// TestWrongChatKeepsTheQueue: Telegram's "chat not found" is a settings problem, not the
// message's: the message stays queued, and the log says what to check, at error level.
func TestWrongChatKeepsTheQueue(t *testing.T) {
	clk := clock.NewFake(start)
	r := newRig(t, clk, "", outbox.Config{})
	var logs strings.Builder
	tg, err := notify.NewTelegram(notify.TelegramConfig{APIURL: r.fake.URL(), Token: config.Secret(token), ChatID: "-42", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	d := outbox.New(r.db, tg, outbox.Config{Clock: clk, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r.tick(t, 0)
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.db.Pending(context.Background()); n != 1 || d.Stats().Rejected != 0 {
		t.Fatalf("pending %d, stats %+v: the message must stay queued", n, d.Stats())
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "telegram_chat_id") || strings.Contains(l, "s3cr3t") {
		t.Fatalf("log %q", l)
	}
}
