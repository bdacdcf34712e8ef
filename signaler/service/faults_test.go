package service

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
)

// fetch gets url and returns its status and body (no testing.T: it runs in the loop's
// goroutine).
func fetch(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// probe is one look at the ops server, taken while the loop sleeps.
type probe struct {
	now     time.Time
	health  int
	metrics string
	err     error
}

// probes collects the ops server's answers at every sleep of the loop from from on.
type probes struct {
	mu   sync.Mutex
	list []probe
}

func (p *probes) install(c *simClock, s *Service, from time.Time) {
	c.onSleep = func(now time.Time) {
		if now.Before(from) {
			return
		}
		pr := probe{now: now}
		pr.health, _, pr.err = fetch("http://" + s.OpsAddr() + "/healthz")
		if pr.err == nil {
			_, pr.metrics, pr.err = fetch("http://" + s.OpsAddr() + "/metrics")
		}
		p.mu.Lock()
		p.list = append(p.list, pr)
		p.mu.Unlock()
	}
}

// openProbed opens a service and looks at its ops server at every sleep of the loop from
// from on.
func (e *env) openProbed(until, from time.Time) (*Service, *probes) {
	s := e.open(until)
	pr := &probes{}
	pr.install(e.clk, s, from)
	return s, pr
}

func (p *probes) get(t testing.TB) []probe {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.list {
		if pr.err != nil {
			t.Fatalf("ops server at %s: %v", pr.now.Format(time.DateTime), pr.err)
		}
	}
	return append([]probe(nil), p.list...)
}

// serve runs s to its Until with a drain of 10 s.
func serve(t testing.TB, s *Service) {
	t.Helper()
	if err := s.Run(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestTelegramOutage: Telegram drops every request for 10 minutes. The ticks go on at their
// boundaries, the messages queue in the outbox (/metrics shows them) and go out after the
// outage: Telegram ends up with exactly the uninterrupted run's messages, in order.
func TestTelegramOutage(t *testing.T) {
	sp := outageSpan()
	ref := getClean(t, sp)
	down0, down1 := midnight.Add(2*time.Hour+10*time.Minute), midnight.Add(2*time.Hour+20*time.Minute)
	e := newEnv(t, sp.From)
	e.tg.InjectFunc(func(int, string) (f faketelegram.Fault) {
		if e.clk.within(down0, down1) {
			f.Kind = faketelegram.Down
		}
		return f
	})
	s, pr := e.openProbed(sp.To, down0)
	defer s.Close()
	serve(t, s)
	checkAllSent(t, s, e.tg)

	got := e.tg.Messages()
	sameMessages(t, got, ref.msgs)
	ticks := e.ticks.get()
	if len(ticks) != sp.ticks() {
		t.Fatalf("%d ticks, want %d", len(ticks), sp.ticks())
	}
	checkTickTimes(t, ticks)
	barsHanded(t, ticks, sp.firstBar(), sp.lastBar())

	dropped := 0
	for _, r := range e.tg.Requests() {
		if r.Fault == faketelegram.Down {
			dropped++
		}
	}
	var back time.Time
	for _, m := range got {
		if !m.At.Before(down0) && m.At.Before(down1) {
			t.Fatalf("message %q delivered at %s, during the outage", m.Visible, m.At.Format(time.DateTime))
		}
		if !m.At.Before(down1) && back.IsZero() {
			back = m.At
		}
	}
	// The last look before the outage ends: every message of the ticks since it began is
	// queued, and the failed attempts are counted.
	var last probe
	for _, p := range pr.get(t) {
		if p.now.Before(down1) {
			last = p
		}
	}
	want := 0
	for _, m := range ref.msgs {
		if !m.At.Before(down0) && m.At.Before(last.now.Truncate(time.Minute).Add(time.Minute)) {
			want++
		}
	}
	queued := metric(t, last.metrics, "tradectl_notifications_queued")
	if queued != float64(want) || metric(t, last.metrics, "tradectl_notifications_failed_total") == 0 {
		t.Fatalf("/metrics at %s: %v messages queued (want the %d of the outage so far), failures %v",
			last.now.Format(time.DateTime), queued, want, metric(t, last.metrics, "tradectl_notifications_failed_total"))
	}
	if dropped == 0 || queued < 3 {
		t.Fatalf("%d requests dropped, at most %v messages queued: the outage did not hold messages back", dropped, queued)
	}
	t.Logf("outage %s–%s: %d requests dropped, %v messages queued at the last tick in it, delivery resumed at %s",
		down0.Format(time.TimeOnly), down1.Format(time.TimeOnly), dropped, queued, back.Format(time.TimeOnly))
}

// TestExchangeOutage: the fake Binance answers 503 for 5 minutes. The ticks in the outage
// fail, the next one fetches the bars they missed: every bar is handed on once, in order, the
// progress in the state database reaches the last bar and Telegram gets the uninterrupted
// run's messages (the diagram due at 00:00, inside the outage, goes with the catch-up).
// /healthz says 503 while the last bar is stale and 200 after; /metrics counts the 5 failed
// fetches and shows the request weight the exchange reported.
func TestExchangeOutage(t *testing.T) {
	sp := outageSpan()
	ref := getClean(t, sp)
	out0, out1 := midnight.Add(-2*time.Minute), midnight.Add(3*time.Minute)
	e := newEnv(t, sp.From)
	e.bin.InjectFunc(func(int, *http.Request) (f fakebinance.Fault) {
		if e.clk.within(out0, out1) {
			f.Kind = fakebinance.ServerError
		}
		return f
	})
	s, pr := e.openProbed(sp.To, out0.Add(-5*time.Minute))
	defer s.Close()
	serve(t, s)
	checkAllSent(t, s, e.tg)

	ticks := e.ticks.get()
	barsHanded(t, ticks, sp.firstBar(), sp.lastBar())
	checkTickTimes(t, ticks)
	if len(ticks) != sp.ticks()-5 {
		t.Fatalf("%d ticks handed bars on, want %d (all but the 5 in the outage)", len(ticks), sp.ticks()-5)
	}
	for _, r := range ticks {
		if r.Now.Truncate(time.Minute).Equal(out1) && len(r.Rows) != 6 {
			t.Fatalf("the tick after the outage handed %d bars, want the 6 since the last", len(r.Rows))
		}
	}
	var last time.Time
	var ok bool
	err := s.DB().View(context.Background(), func(tx *state.Tx) error {
		var err error
		last, ok, err = tx.Progress(context.Background(), "BTCUSDT", "1min")
		return err
	})
	if err != nil || !ok || !last.Equal(sp.lastBar()) {
		t.Fatalf("progress %s (%v, %v), want the last bar %s", last, ok, err, sp.lastBar())
	}
	sameInOrder(t, e.tg.Messages(), ref.msgs, true)

	// The last good bar before the outage is 23:56 (closed 23:57): stale once the lag passes
	// two intervals (after 23:59), fresh again when the tick of 00:03:01 catches up.
	stale := 0
	var after string
	for _, p := range pr.get(t) {
		want := http.StatusOK
		if p.now.After(out0.Add(time.Minute)) && p.now.Before(out1) {
			want = http.StatusServiceUnavailable
			stale++
		}
		if p.now.After(out1.Add(time.Second)) && p.now.Before(out1.Add(2*time.Second)) {
			want = 0 // the catch-up tick's own sleeps: either is right
		}
		if want != 0 && p.health != want {
			t.Fatalf("/healthz at %s: %d, want %d", p.now.Format(time.RFC3339Nano), p.health, want)
		}
		if p.now.After(out1.Add(2 * time.Second)) {
			after = p.metrics
		}
	}
	if stale < 4 || after == "" {
		t.Fatalf("%d stale probes (want 4 or more), a probe after the outage: %v", stale, after != "")
	}
	if n := metric(t, after, "tradectl_fetch_errors_total"); n != 5 {
		t.Fatalf("/metrics counts %v fetch errors, want the 5 failed ticks", n)
	}
	// The weight Binance reported (X-MBX-USED-WEIGHT-1M) reaches /metrics.
	if w := metric(t, after, "tradectl_exchange_weight_used_1m"); w < 1 {
		t.Fatalf("/metrics shows exchange weight %v, want the fake's header (1 or more)", w)
	}
}

// TestTelegramUnreachableAtStart: nothing listens at telegram_api_url when the service
// starts. It starts anyway, serves, queues the messages (/metrics shows them while /healthz
// stays 200) and delivers every one, in order, once Telegram listens again.
func TestTelegramUnreachableAtStart(t *testing.T) {
	sp := span{midnight.Add(-time.Hour + time.Second), midnight.Add(-20*time.Minute + time.Second)}
	back := midnight.Add(-50 * time.Minute)
	e := newEnv(t, sp.From)
	listen := e.offlineTelegram()
	s, pr := e.openProbed(sp.To, sp.From)
	defer s.Close()
	started := false
	probeSleep := e.clk.onSleep
	e.clk.onSleep = func(now time.Time) {
		probeSleep(now)
		if !started && !now.Before(back) {
			started = true
			listen()
		}
	}
	serve(t, s)
	checkAllSent(t, s, e.tg)
	bands, _, _ := split(e.tg.Messages())
	checkBands(t, bands, refNotifications(t, e.w, sp.firstBar(), sp.lastBar()))
	queued := 0.0
	for _, p := range pr.get(t) {
		if p.now.Before(back) {
			queued = max(queued, metric(t, p.metrics, "tradectl_notifications_queued"))
			if p.health != http.StatusOK {
				t.Fatalf("/healthz at %s: %d with Telegram down, want 200", p.now.Format(time.DateTime), p.health)
			}
		}
	}
	if queued < 3 || e.tg.Messages()[0].At.Before(back) {
		t.Fatalf("at most %v messages queued, the first delivered at %s: Telegram was not down", queued, e.tg.Messages()[0].At)
	}
}

// offlineTelegram replaces the fake Telegram with one that listens nowhere yet, on an address
// that refuses connections; listen starts it there.
func (e *env) offlineTelegram() (listen func()) {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.tg.Close()
	e.tg = faketelegram.NewHandler(faketelegram.Config{Token: botToken, ChatID: chatID, Clock: e.clk.Delivery()})
	e.tgURL = "http://" + addr
	return func() {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			panic(err) // the loop's goroutine: no t.Fatal here
		}
		srv := &http.Server{Handler: e.tg}
		go srv.Serve(ln)
		e.t.Cleanup(func() { srv.Close() })
	}
}

// TestExchangeUnreachableAtStart: the fake Binance drops every connection for the first 2½
// minutes. Run retries the cold start at each next interval (three fail) and then serves from
// the fourth: every later bar is handed on at its tick and notified as the rules say.
func TestExchangeUnreachableAtStart(t *testing.T) {
	sp := span{midnight.Add(-time.Hour + time.Second), midnight.Add(-40*time.Minute + time.Second)}
	up := sp.From.Add(150 * time.Second)
	e := newEnv(t, sp.From)
	e.bin.InjectFunc(func(int, *http.Request) fakebinance.Fault {
		if e.clk.Now().Before(up) {
			return fakebinance.Fault{Kind: fakebinance.Drop}
		}
		return fakebinance.Fault{}
	})
	var snap func() (uint64, uint64)
	e.run(sp.To, func(s *Service) {
		checkAllSent(t, s, e.tg)
		sn := s.Registry().Snapshot()
		snap = func() (uint64, uint64) { return sn.FetchErrors, sn.Ticks }
	})
	errs, ticks := snap()
	if n := strings.Count(e.logText(), "cold start failed: retrying at the next interval"); n != 3 || errs != 3 {
		t.Fatalf("%d cold starts failed, %d fetch errors counted, want 3", n, errs)
	}
	first := sp.From.Add(3 * time.Minute).Truncate(time.Minute) // the cold start that worked
	runs := e.ticks.get()
	checkTickTimes(t, runs)
	barsHanded(t, runs, first, sp.lastBar())
	if want := sp.ticks(); int(ticks) != want+1 {
		t.Fatalf("%d ticks (cold starts included), want %d", ticks, want+1)
	}
	bands, _, _ := split(e.tg.Messages())
	checkBands(t, bands, refNotifications(t, e.w, first, sp.lastBar()))
}

// TestGracefulRestart: the context is cancelled at a tick (Run finishes it and returns nil),
// the service is down a few minutes, and a new Open+Run on the same data folder catches up the
// bars it missed: together both runs sent exactly the uninterrupted run's messages.
func TestGracefulRestart(t *testing.T) {
	sp := outageSpan()
	ref := getClean(t, sp)
	for _, tc := range []struct {
		name          string
		stop, restart time.Time
	}{
		{"across midnight", midnight.Add(-2*time.Minute + time.Second), midnight.Add(3*time.Minute + 30*time.Second)},
		{"across a fill", midnight.Add(2*time.Hour + 15*time.Minute + time.Second), midnight.Add(2*time.Hour + 20*time.Minute + 30*time.Second)},
		{"at once", midnight.Add(time.Hour + time.Second), midnight.Add(time.Hour + 30*time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "across a fill" {
				t.Skip("-short: one case (the exchange outage test covers a catch-up across midnight)")
			}
			e := newEnv(t, sp.From)
			s := e.open(sp.To)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e.ticks.hook = func(r *signaler.Result) {
				if !r.Now.Before(tc.stop) {
					cancel()
				}
			}
			err := s.Run(ctx, 10*time.Second)
			s.Close()
			if err != nil {
				t.Fatalf("Run after cancel: %v, want nil", err)
			}
			first := e.ticks.get()
			if n := len(first); n == 0 || !first[n-1].Now.Truncate(time.Minute).Equal(tc.stop.Truncate(time.Minute)) {
				t.Fatalf("the first run's last tick is not the one at %s", tc.stop.Format(time.TimeOnly))
			}
			e.ticks.hook = nil
			e.clk.Set(tc.restart)
			e.run(sp.To, func(s *Service) { checkAllSent(t, s, e.tg) })
			runs := e.ticks.get()
			barsHanded(t, runs, sp.firstBar(), sp.lastBar())
			// The restart's first result is the catch-up of the bars it missed, if any.
			want := int(tc.restart.Sub(tc.stop) / time.Minute)
			if next := runs[len(first)]; want > 0 && (!next.Now.Truncate(time.Second).Equal(tc.restart) || len(next.Rows) != want) ||
				want == 0 && !next.Now.Truncate(time.Minute).Equal(tc.restart.Truncate(time.Minute).Add(time.Minute)) {
				t.Fatalf("after the restart at %s the first result (at %s) handed %d bars, want the %d missed",
					tc.restart.Format(time.TimeOnly), next.Now.Format(time.TimeOnly), len(next.Rows), want)
			}
			// The diagram after the restart is drawn from the window the cold start fetched,
			// not from the day the first run had seen: its picture differs.
			sameInOrder(t, e.tg.Messages(), ref.msgs, false)
		})
	}
}
