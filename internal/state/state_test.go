package state

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func open(t testing.TB, path string) *DB {
	t.Helper()
	d, err := Open(context.Background(), path, Options{Clock: clock.Fixed{T: t0}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func text(key, body string) Notification {
	return Notification{Kind: KindText, Text: body, ParseMode: "HTML", DedupKey: key}
}

func TestOpenCreatesWALDatabaseAtCurrentVersion(t *testing.T) {
	ctx := context.Background()
	path := Path(t.TempDir())
	d := open(t, path)
	v, err := d.SchemaVersion(ctx)
	if err != nil || v != len(migrations) || v != 2 {
		t.Fatalf("version %d, %v; want %d", v, err, len(migrations))
	}
	var mode string
	if err := d.sql.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	var busy int
	if err := d.sql.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 5000 {
		t.Fatalf("busy_timeout %d, %v", busy, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// Reopening applies nothing and keeps the version.
	d.Close()
	d2 := open(t, path)
	if v, _ := d2.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("reopened at version %d", v)
	}
}

func TestTickIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	boom := errors.New("boom")
	err := d.Tick(ctx, func(tx *Tx) error {
		if err := tx.SetProgress(ctx, "BTCUSDT", "1min", t0); err != nil {
			return err
		}
		if err := tx.SetBand(ctx, "scores#0", 2, t0); err != nil {
			return err
		}
		if _, _, err := tx.Enqueue(ctx, text("k1", "hello")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	err = d.View(ctx, func(tx *Tx) error {
		if _, ok, err := tx.Progress(ctx, "BTCUSDT", "1min"); ok || err != nil {
			return fmt.Errorf("progress survived a rollback: %v %v", ok, err)
		}
		if _, _, ok, err := tx.Band(ctx, "scores#0"); ok || err != nil {
			return fmt.Errorf("band survived a rollback: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Pending(ctx); n != 0 {
		t.Fatalf("%d messages survived a rollback", n)
	}
	// The same changes committed are all there, after a reopen too.
	if err := d.Tick(ctx, func(tx *Tx) error {
		if err := tx.SetProgress(ctx, "BTCUSDT", "1min", t0); err != nil {
			return err
		}
		if err := tx.SetBand(ctx, "scores#0", -2, t0.Add(time.Minute)); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(ctx, text("k1", "hello"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	path := d.Path()
	d.Close()
	d = open(t, path)
	err = d.View(ctx, func(tx *Tx) error {
		bar, ok, err := tx.Progress(ctx, "BTCUSDT", "1min")
		if !ok || err != nil || !bar.Equal(t0) {
			return fmt.Errorf("progress %v %v %v", bar, ok, err)
		}
		if _, ok, _ := tx.Progress(ctx, "ETHUSDT", "1min"); ok {
			return errors.New("progress for a symbol never stored")
		}
		band, closed, ok, err := tx.Band(ctx, "scores#0")
		if !ok || err != nil || band != -2 || !closed.Equal(t0.Add(time.Minute)) {
			return fmt.Errorf("band %d at %v %v %v", band, closed, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Pending(ctx); n != 1 {
		t.Fatalf("pending %d, want 1", n)
	}
}

func TestProgressOverwrites(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	for i := 0; i < 3; i++ {
		bar := t0.Add(time.Duration(i) * time.Minute)
		if err := d.Tick(ctx, func(tx *Tx) error { return tx.SetProgress(ctx, "BTCUSDT", "1min", bar) }); err != nil {
			t.Fatal(err)
		}
	}
	_ = d.View(ctx, func(tx *Tx) error {
		bar, _, _ := tx.Progress(ctx, "BTCUSDT", "1min")
		if want := t0.Add(2 * time.Minute); !bar.Equal(want) {
			t.Errorf("progress %v, want %v", bar, want)
		}
		return nil
	})
}

func TestOutboxOrderDedupAndMarks(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	var ids []int64
	for _, k := range []string{"a", "b", "a", "c"} {
		err := d.Tick(ctx, func(tx *Tx) error {
			id, added, err := tx.Enqueue(ctx, text(k, "msg "+k))
			if added {
				ids = append(ids, id)
			} else if id != 0 {
				t.Errorf("duplicate %s returned id %d", k, id)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids %v: want 3 increasing (the second 'a' ignored)", ids)
	}
	next := func() string {
		m, err := d.NextPending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			return ""
		}
		return m.DedupKey
	}
	if k := next(); k != "a" {
		t.Fatalf("next %q, want a", k)
	}
	retryAt := t0.Add(3 * time.Second)
	if err := d.MarkRetry(ctx, ids[0], retryAt, "telegram down"); err != nil {
		t.Fatal(err)
	}
	m, _ := d.NextPending(ctx)
	if m.DedupKey != "a" || m.Attempts != 1 || !m.NextAttempt.Equal(retryAt) || m.LastError != "telegram down" {
		t.Fatalf("after retry: %+v", m)
	}
	if err := d.MarkSent(ctx, ids[0], t0.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkSent(ctx, ids[0], t0.Add(5*time.Second)); err == nil {
		t.Fatal("marking a sent message sent again must fail")
	}
	if k := next(); k != "b" {
		t.Fatalf("next %q, want b", k)
	}
	if err := d.MarkFailed(ctx, ids[1], t0, "Bad Request: can't parse entities"); err != nil {
		t.Fatal(err)
	}
	if k := next(); k != "c" {
		t.Fatalf("next %q, want c", k)
	}
	if err := d.MarkSent(ctx, ids[2], t0.Add(6*time.Second)); err != nil {
		t.Fatal(err)
	}
	if k := next(); k != "" {
		t.Fatalf("next %q, want none", k)
	}
	// A key already sent is still deduplicated.
	_ = d.Tick(ctx, func(tx *Tx) error {
		if _, added, _ := tx.Enqueue(ctx, text("c", "again")); added {
			t.Error("a sent message was enqueued again")
		}
		return nil
	})
	all, err := d.Messages(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("messages %d, %v", len(all), err)
	}
	if all[0].Attempts != 2 || all[0].Sent.IsZero() {
		t.Fatalf("rows %+v", all)
	}
	if all[1].Failed.IsZero() || !all[1].Sent.IsZero() {
		t.Fatalf("b should be failed and unsent: %+v", all[1])
	}
	if n, err := d.PruneSent(ctx, t0.Add(5*time.Second)); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1 (a)", n, err)
	}
}

func TestEnqueueRejectsBadNotifications(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	for _, n := range []Notification{
		{Kind: KindText, Text: "x"},
		{Kind: KindText, DedupKey: "k"},
		{Kind: KindPhoto, DedupKey: "k", Text: "caption"},
		{Kind: "video", DedupKey: "k", Text: "x"},
	} {
		err := d.Tick(ctx, func(tx *Tx) error { _, _, err := tx.Enqueue(ctx, n); return err })
		if !errors.Is(err, ErrBadNotification) {
			t.Errorf("%+v: got %v, want ErrBadNotification", n, err)
		}
	}
	photo := Notification{Kind: KindPhoto, DedupKey: "p", Photo: []byte("\x89PNG..."), Filename: "d.png"}
	if err := d.Tick(ctx, func(tx *Tx) error { _, _, err := tx.Enqueue(ctx, photo); return err }); err != nil {
		t.Fatal(err)
	}
	m, _ := d.NextPending(ctx)
	if m == nil || string(m.Photo) != "\x89PNG..." || m.Filename != "d.png" || m.Kind != KindPhoto {
		t.Fatalf("photo round trip: %+v", m)
	}
}

var ledgerV2 = migration{len(migrations) + 1, "ledger (test)", `CREATE TABLE ledger (id INTEGER PRIMARY KEY, note TEXT NOT NULL) STRICT;`}

func TestMigrationsForwardAndTooNew(t *testing.T) {
	ctx := context.Background()
	path := Path(t.TempDir())
	opt := Options{Clock: clock.Fixed{T: t0}}
	d, err := openWith(ctx, path, opt, migrations)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Tick(ctx, func(tx *Tx) error { return tx.SetProgress(ctx, "BTCUSDT", "1min", t0) }); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// A newer tradectl adds a table: the old data stays, the new table works.
	v2 := append(append([]migration(nil), migrations...), ledgerV2)
	d, err = openWith(ctx, path, opt, v2)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := d.SchemaVersion(ctx); v != len(v2) {
		t.Fatalf("version %d after migration, want %d", v, len(v2))
	}
	if _, err := d.sql.ExecContext(ctx, `INSERT INTO ledger (note) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	_ = d.View(ctx, func(tx *Tx) error {
		if bar, ok, _ := tx.Progress(ctx, "BTCUSDT", "1min"); !ok || !bar.Equal(t0) {
			t.Errorf("progress lost in migration: %v %v", bar, ok)
		}
		return nil
	})
	d.Close()

	// The older tradectl refuses it, naming the file and both versions.
	_, err = openWith(ctx, path, opt, migrations)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("got %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{path, fmt.Sprintf("version %d", len(v2)), fmt.Sprintf("up to %d", len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tradectl.db")
	if err := os.WriteFile(path, []byte("this is not an sqlite database, just some text that is long enough to matter........................................"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

// TestSQLite3CanReadWhileOpen checks the promise that users can query the file with sqlite3
// while the service has it open.
func TestSQLite3CanReadWhileOpen(t *testing.T) {
	bin, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 not installed")
	}
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	if err := d.Tick(ctx, func(tx *Tx) error {
		if err := tx.SetProgress(ctx, "BTCUSDT", "1min", t0); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(ctx, text("scores#0@2024-03-01T12:01", "<b>hi</b>"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, d.Path(), `SELECT symbol, last_bar FROM progress; SELECT kind, dedup_key, sent_at IS NULL FROM outbox; SELECT MAX(version) FROM schema_version;`).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	want := fmt.Sprintf("BTCUSDT|2024-03-01T12:00:00.000Z\ntext|scores#0@2024-03-01T12:01|1\n%d\n", len(migrations))
	if string(out) != want {
		t.Fatalf("sqlite3 printed\n%s\nwant\n%s", out, want)
	}
}

// BenchmarkTick measures one tick's state changes committed: progress, band and one message.
func BenchmarkTick(b *testing.B) {
	ctx := context.Background()
	d := open(b, Path(b.TempDir()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bar := t0.Add(time.Duration(i) * time.Minute)
		err := d.Tick(ctx, func(tx *Tx) error {
			if err := tx.SetProgress(ctx, "BTCUSDT", "1min", bar); err != nil {
				return err
			}
			if err := tx.SetBand(ctx, "scores#0", i%7-3, bar); err != nil {
				return err
			}
			_, _, err := tx.Enqueue(ctx, text(fmt.Sprintf("scores#0@%d", i), "*〉〉〉📈 ₿ 74,896 Indicator: +0.02 ↑   BUY ZONE 1min*"))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestTwoWritersOnOneFile writes from two handles at once, as `signal once` from cron beside a
// running service would: the busy timeout and immediate transactions make both succeed.
func TestTwoWritersOnOneFile(t *testing.T) {
	ctx := context.Background()
	path := Path(t.TempDir())
	a, b := open(t, path), open(t, path)
	const n = 40
	errs := make(chan error, 2)
	for w, d := range []*DB{a, b} {
		go func() {
			for i := 0; i < n; i++ {
				err := d.Tick(ctx, func(tx *Tx) error {
					bar, _, err := tx.Progress(ctx, "BTCUSDT", "1min")
					if err != nil {
						return err
					}
					if err := tx.SetProgress(ctx, "BTCUSDT", "1min", bar.Add(time.Minute)); err != nil {
						return err
					}
					_, _, err = tx.Enqueue(ctx, text(fmt.Sprintf("w%d-%d", w, i), "x"))
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	_ = a.View(ctx, func(tx *Tx) error {
		// Each tick read and advanced the progress inside its transaction: no lost update.
		bar, _, _ := tx.Progress(ctx, "BTCUSDT", "1min")
		if want := (time.Time{}).Add(2 * n * time.Minute); !bar.Equal(want) {
			t.Errorf("progress %v, want %v (a lost update)", bar, want)
		}
		return nil
	})
	if p, _ := b.Pending(ctx); p != 2*n {
		t.Errorf("pending %d, want %d", p, 2*n)
	}
}

func TestPaperBarsAndFillsRoundTrip(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	b1 := PaperBar{Time: 60_000, Open: 1, High: 2, Low: 0.5, Close: 1.5, Decision: 1}
	f1 := PaperFill{Seq: 1, Time: 120_000, Side: "BUY", Entry: true, Price: 1.6, Qty: 10, Fee: 0.016, Equity: 999.98}
	f2 := PaperFill{Seq: 2, Time: 180_000, Side: "SELL", Price: 1.7, Qty: 10, Fee: 0.017, Reason: "signal", Profit: 0.967, ProfitPct: 6.04, Equity: 1000.9}
	err := d.Tick(ctx, func(tx *Tx) error {
		for i, b := range []PaperBar{b1, b1} {
			added, err := tx.AddPaperBar(ctx, "p", b)
			if err != nil || added != (i == 0) {
				t.Errorf("bar %d: added %v, %v", i, added, err)
			}
		}
		for _, f := range []PaperFill{f1, f2} {
			if err := tx.AddPaperFill(ctx, "p", f); err != nil {
				return err
			}
		}
		if err := tx.AddPaperFill(ctx, "p", f1); err == nil {
			t.Error("a repeated fill seq was stored")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = d.View(ctx, func(tx *Tx) error {
		var bars []PaperBar
		collect := func(b PaperBar) error { bars = append(bars, b); return nil }
		if err := tx.PaperBars(ctx, "p", collect); err != nil || len(bars) != 1 || bars[0] != b1 {
			t.Errorf("bars %+v, %v", bars, err)
		}
		fills, err := tx.PaperFills(ctx, "p", 0, 1<<62)
		if err != nil || len(fills) != 2 || fills[0] != f1 || fills[1] != f2 {
			t.Errorf("fills %+v, %v", fills, err)
		}
		if fills, _ := tx.PaperFills(ctx, "p", 150_000, 180_001); len(fills) != 1 || fills[0].Seq != 2 {
			t.Errorf("fills in [150000, 180001): %+v", fills)
		}
		bars = nil
		if err := tx.PaperBars(ctx, "q", collect); err != nil || len(bars) != 0 {
			t.Errorf("another trader sees %d bars, %v", len(bars), err)
		}
		return nil
	})
}

// TestSavepointUndoesOnlyItsPart: a failing savepoint rolls back its own changes and returns
// its error; the changes before and after it in the transaction commit.
func TestSavepointUndoesOnlyItsPart(t *testing.T) {
	ctx := context.Background()
	d := open(t, Path(t.TempDir()))
	boom := errors.New("boom")
	var got []error
	err := d.Tick(ctx, func(tx *Tx) error {
		got = append(got, tx.Savepoint(ctx, func() error {
			_, _, err := tx.Enqueue(ctx, text("a", "first"))
			return err
		}))
		got = append(got, tx.Savepoint(ctx, func() error {
			if _, _, err := tx.Enqueue(ctx, text("b", "undone")); err != nil {
				return err
			}
			if err := tx.SetBand(ctx, "scores#0", 3, t0); err != nil {
				return err
			}
			return boom
		}))
		got = append(got, tx.Savepoint(ctx, func() error {
			_, _, err := tx.Enqueue(ctx, text("c", "third"))
			return err
		}))
		return tx.SetProgress(ctx, "BTCUSDT", "1min", t0)
	})
	if err != nil || got[0] != nil || !errors.Is(got[1], boom) || got[2] != nil {
		t.Fatalf("tick %v, savepoints %v", err, got)
	}
	ms, err := d.Messages(ctx)
	if err != nil || len(ms) != 2 || ms[0].Text != "first" || ms[1].Text != "third" {
		t.Fatalf("messages %+v (%v), want first and third", ms, err)
	}
	_ = d.View(ctx, func(tx *Tx) error {
		if _, _, ok, _ := tx.Band(ctx, "scores#0"); ok {
			t.Error("the failed savepoint's band was kept")
		}
		if p, ok, _ := tx.Progress(ctx, "BTCUSDT", "1min"); !ok || !p.Equal(t0) {
			t.Errorf("progress %v %v, want %v", p, ok, t0)
		}
		return nil
	})
}
