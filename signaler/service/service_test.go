package service

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
)

// span is the simulated stretch a test serves: the cold start at From (a boundary plus the
// settle second), then a tick every minute until To.
type span struct{ From, To time.Time }

// daySpan is a whole day (1,440 ticks) from noon to noon; -short trims it to outageSpan.
func daySpan() span {
	if testing.Short() {
		return outageSpan()
	}
	return span{midnight.Add(-12*time.Hour + time.Second), midnight.Add(12*time.Hour + time.Second)}
}

// outageSpan is the stretch from 23:30 to 02:35 the outage and restart tests serve: it holds
// the diagram at midnight and a round trip of the paper trader (02:17–02:32).
func outageSpan() span {
	return span{midnight.Add(-30*time.Minute + time.Second), midnight.Add(2*time.Hour + 35*time.Minute + time.Second)}
}

// firstBar and lastBar are the bars the span's ticks hand on: from the one open at the cold
// start to the one closed at the last tick.
func (s span) firstBar() time.Time { return s.From.Truncate(time.Minute) }
func (s span) lastBar() time.Time  { return s.To.Truncate(time.Minute).Add(-time.Minute) }
func (s span) ticks() int          { return int(s.To.Sub(s.From) / time.Minute) }

// cleanRun is an uninterrupted run of a span.
type cleanRun struct {
	span  span
	msgs  []faketelegram.Message
	ticks []tickRun
	fills []state.PaperFill
	took  time.Duration
}

var (
	cleanMu   sync.Mutex
	cleanRuns = map[span]*cleanRun{}
)

// getClean runs sp once without faults (per test binary) and returns what Telegram got.
func getClean(t *testing.T, sp span) *cleanRun {
	t.Helper()
	cleanMu.Lock()
	defer cleanMu.Unlock()
	if r, ok := cleanRuns[sp]; ok {
		return r
	}
	e := newEnv(t, sp.From)
	r := &cleanRun{span: sp}
	start := time.Now()
	e.run(sp.To, func(s *Service) {
		r.took = time.Since(start)
		r.fills = fills(t, s)
		checkAllSent(t, s, e.tg)
	})
	r.msgs, r.ticks = e.tg.Messages(), e.ticks.get()
	if e.clk.stuckCount() > 0 {
		t.Fatal("the service did not settle within 10 s (a message due was never sent)")
	}
	cleanRuns[sp] = r
	return r
}

// fills are the paper trader's fills in the state database.
func fills(t testing.TB, s *Service) []state.PaperFill {
	t.Helper()
	var out []state.PaperFill
	err := s.DB().View(context.Background(), func(tx *state.Tx) error {
		var err error
		out, err = tx.PaperFills(context.Background(), GenPaper+"#2", math.MinInt64, math.MaxInt64)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkAllSent: every message of the outbox was sent, and Telegram received each exactly
// once, in the outbox's order.
func checkAllSent(t testing.TB, s *Service, tg *faketelegram.Server) {
	t.Helper()
	msgs, err := s.DB().Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := tg.Messages()
	if len(got) != len(msgs) {
		t.Fatalf("Telegram received %d messages, the outbox holds %d", len(got), len(msgs))
	}
	for i, m := range msgs {
		if m.Sent.IsZero() {
			t.Fatalf("outbox message %d (%s) was not sent: %s", m.ID, m.DedupKey, m.LastError)
		}
		if got[i].Text != m.Text || !bytes.Equal(got[i].Photo, m.Photo) {
			t.Fatalf("Telegram message %d is %q, the outbox's %d-th (%s) is %q", i, got[i].Text, i, m.DedupKey, m.Text)
		}
	}
}

// split separates the band messages (score notifications) from the photos and the trader's.
func split(msgs []faketelegram.Message) (bands, photos, trader []faketelegram.Message) {
	for _, m := range msgs {
		switch {
		case m.Method == "sendPhoto":
			photos = append(photos, m)
		case strings.Contains(m.Visible, " Indicator: "):
			bands = append(bands, m)
		default:
			trader = append(trader, m)
		}
	}
	return
}

// checkBands compares the band messages Telegram got with the reference ones.
func checkBands(t testing.TB, got []faketelegram.Message, want []refMessage) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i].Visible != want[i].Text || strings.HasPrefix(got[i].Text, "<b>") != want[i].Bold {
			t.Fatalf("band message %d (bar %s): got %q, want %q (bold %v)", i, want[i].Bar.Format(time.DateTime), got[i].Text, want[i].Text, want[i].Bold)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d band messages, want %d", len(got), len(want))
	}
}

// sameMessages: got is want, message for message (method, text and photo).
func sameMessages(t testing.TB, got, want []faketelegram.Message) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i].Method != want[i].Method || got[i].Text != want[i].Text || !bytes.Equal(got[i].Photo, want[i].Photo) {
			t.Fatalf("message %d: got %s %q, the uninterrupted run's is %s %q", i, got[i].Method, got[i].Text, want[i].Method, want[i].Text)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, the uninterrupted run sent %d", len(got), len(want))
	}
}

// sameInOrder: got is want, message for message and in the same order (a catch-up's rows
// reach the outputs one by one, so its messages interleave as live ticks' would). Photos are
// compared byte for byte when photos is set.
func sameInOrder(t *testing.T, got, want []faketelegram.Message, photos bool) {
	t.Helper()
	if !photos {
		got, want = blank(got), blank(want)
	}
	sameMessages(t, got, want)
}

// blank returns the messages without their photos.
func blank(ms []faketelegram.Message) []faketelegram.Message {
	out := make([]faketelegram.Message, len(ms))
	for i, m := range ms {
		m.Photo = nil
		out[i] = m
	}
	return out
}

// checkTickTimes: every tick ran at its boundary plus the settle second (within 500 ms of
// real compute) and handed on the bar that had just closed.
func checkTickTimes(t testing.TB, runs []tickRun) {
	t.Helper()
	for _, r := range runs {
		at := r.Now.Truncate(time.Minute).Add(time.Second)
		if d := r.Now.Sub(at); d < 0 || d > 500*time.Millisecond {
			t.Fatalf("tick at %s: %v after the boundary plus settle", r.Now.Format(time.RFC3339Nano), d)
		}
	}
}

// barsHanded checks that the results handed on every bar from first to last exactly once,
// in order, and returns how many results there were.
func barsHanded(t testing.TB, runs []tickRun, first, last time.Time) {
	t.Helper()
	next := first
	for _, r := range runs {
		for _, ms := range r.Rows {
			if bar := time.UnixMilli(ms).UTC(); !bar.Equal(next) {
				t.Fatalf("the result at %s handed bar %s, want %s", r.Now.Format(time.DateTime), bar.Format(time.DateTime), next.Format(time.DateTime))
			}
			next = next.Add(time.Minute)
		}
	}
	if want := last.Add(time.Minute); !next.Equal(want) {
		t.Fatalf("the bars handed on end before %s, want up to %s", next.Format(time.DateTime), last.Format(time.DateTime))
	}
}

// metric reads one sample of a Prometheus text body.
func metric(t testing.TB, body, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics:\n%s", name, body)
	return 0
}

// TestSimulatedDay serves a day of real bars (1,440 ticks) from a fake Binance on the
// simulated clock: Telegram receives exactly the band messages that ITB's rules (§7.3, as
// reference_test.go reads them) give for the batch run's scores, each within 2 s of its bar's
// close; one diagram at 00:00 UTC; and the paper trader's messages, one per fill plus a
// statistics message per exit.
func TestSimulatedDay(t *testing.T) {
	d := getClean(t, daySpan())
	w := getWorld(t)
	sp := d.span
	if len(d.ticks) != sp.ticks() {
		t.Fatalf("%d ticks, want %d", len(d.ticks), sp.ticks())
	}
	checkTickTimes(t, d.ticks)
	barsHanded(t, d.ticks, sp.firstBar(), sp.lastBar())

	want := refNotifications(t, w, sp.firstBar(), sp.lastBar())
	bands, photos, trader := split(d.msgs)
	checkBands(t, bands, want)
	// The bars cross every band; the rules send on band changes both ways and on time.
	if len(want) < 50 {
		t.Fatalf("only %d band messages: the day does not exercise the rules", len(want))
	}

	var worst time.Duration
	for i, m := range bands {
		lat := m.At.Sub(want[i].Bar.Add(time.Minute))
		if lat < time.Second || lat > maxLatency {
			t.Fatalf("band message of bar %s left %v after the bar's close, want 1 s to %v", want[i].Bar.Format(time.DateTime), lat, maxLatency)
		}
		worst = max(worst, lat)
	}
	t.Logf("%d ticks in %v of real time; %d band messages, latency max %v; %d trader messages for %d fills",
		len(d.ticks), d.took.Round(time.Millisecond), len(bands), worst.Round(time.Millisecond), len(trader), len(d.fills))

	if len(photos) != 1 {
		t.Fatalf("%d diagrams, want 1", len(photos))
	}
	if at := photos[0].At; at.Before(midnight.Add(time.Second)) || at.After(midnight.Add(2*time.Second)) {
		t.Fatalf("the diagram was sent at %s, want at the tick of 00:00 UTC", at.Format(time.RFC3339Nano))
	}

	// One message per fill and a statistics message after each exit, in the fills' order.
	var wantTrader []string
	for _, f := range d.fills {
		verb := "SOLD"
		if f.Side == "BUY" {
			verb = "BOUGHT"
		}
		wantTrader = append(wantTrader, fmt.Sprintf("⚡💰 %s:  Profit: %.2f%% %.4f₮", verb, f.ProfitPct, f.Profit))
		if !f.Entry {
			wantTrader = append(wantTrader, "↗ LONG transactions stats (4 weeks)")
		}
	}
	if len(trader) != len(wantTrader) || len(d.fills) < 2 {
		t.Fatalf("%d trader messages for %d fills, want %d (and a few fills)", len(trader), len(d.fills), len(wantTrader))
	}
	for i, m := range trader {
		if !strings.HasPrefix(m.Visible, wantTrader[i]) {
			t.Fatalf("trader message %d: %q, want it to start with %q", i, m.Visible, wantTrader[i])
		}
	}
}
