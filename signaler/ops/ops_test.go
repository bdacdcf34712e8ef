package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func getHealth(t *testing.T, h http.Handler) (int, Health) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var body Health
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("healthz body %q: %v", rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("healthz Content-Type %q", ct)
	}
	return rec.Code, body
}

// TestHealthTransitions walks a 1m service through start, ticks, a stall and a recovery
// on a fake clock. Stale means: the newest closed bar closed more than two intervals ago.
func TestHealthTransitions(t *testing.T) {
	clk := clock.NewFake(t0)
	r := NewRegistry(clk, time.Minute)
	h := Handler(r)
	tick := func(bar time.Time, err error) {
		start := r.TickStarted()
		clk.Advance(20 * time.Millisecond)
		r.BarClosed(bar)
		r.TickDone(start, err)
	}
	steps := []struct {
		name   string
		do     func()
		code   int
		status string
		lag    float64 // seconds; NaN: no bar
	}{
		{"no tick yet", func() {}, 503, "starting", math.NaN()},
		// 12:01:01: the 12:00 bar (closed 12:01) arrives.
		{"first tick", func() { clk.Set(t0.Add(61 * time.Second)); tick(t0, nil) }, 200, "ok", 1.02},
		// 12:03:00: the 12:00 bar closed exactly two intervals ago: not yet stale.
		{"two intervals, boundary", func() { clk.Set(t0.Add(3 * time.Minute)) }, 200, "ok", 120},
		{"just past two intervals", func() { clk.Advance(time.Millisecond) }, 503, "stale", 120.001},
		// A tick that fails keeps the old bar: still stale, and the error shows.
		{"failed tick", func() { tick(t0, errors.New("exchange: timeout")) }, 503, "stale", 120.021},
		// Catch-up: the 12:02 bar arrives.
		{"recovered", func() { clk.Set(t0.Add(3*time.Minute + time.Second)); tick(t0.Add(2*time.Minute), nil) }, 200, "ok", 1.02},
		// An older bar (an overlap re-fetched) does not move the last bar back.
		{"overlap bar", func() { tick(t0, nil) }, 200, "ok", 1.04},
	}
	for _, s := range steps {
		s.do()
		code, body := getHealth(t, h)
		if code != s.code || body.Status != s.status {
			t.Fatalf("%s: got %d %q, want %d %q", s.name, code, body.Status, s.code, s.status)
		}
		switch {
		case math.IsNaN(s.lag):
			if body.LagSeconds != nil || body.LastClosedBar != nil {
				t.Errorf("%s: lag %v bar %v, want none", s.name, body.LagSeconds, body.LastClosedBar)
			}
		case body.LagSeconds == nil || math.Abs(*body.LagSeconds-s.lag) > 1e-9:
			t.Errorf("%s: lag %v, want %v", s.name, body.LagSeconds, s.lag)
		}
	}
	_, body := getHealth(t, h)
	if body.LastError != "exchange: timeout" || body.Ticks != 4 || body.StaleAfterSeconds != 120 {
		t.Errorf("final health %+v", body)
	}
	if !body.LastClosedBar.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("last closed bar %v", body.LastClosedBar)
	}
}

func TestStale(t *testing.T) {
	for _, c := range []struct {
		interval time.Duration
		bar, now time.Time
		want     bool
	}{
		{time.Minute, time.Time{}, t0, true},
		{time.Minute, t0, t0.Add(time.Minute), false},                    // just closed
		{time.Minute, t0, t0.Add(3 * time.Minute), false},                // closed 2m ago
		{time.Minute, t0, t0.Add(3*time.Minute + time.Nanosecond), true}, // more than 2m ago
		{time.Hour, t0, t0.Add(2*time.Hour + 59*time.Minute), false},     // 1h bars
		{time.Hour, t0, t0.Add(3*time.Hour + time.Second), true},         //
		{5 * time.Minute, t0, t0.Add(-time.Minute), false},               // clock behind the bar
	} {
		if got := Stale(c.bar, c.interval, c.now); got != c.want {
			t.Errorf("Stale(%v, %v, %v) = %v, want %v", c.bar, c.interval, c.now, got, c.want)
		}
	}
}

// TestMetricsAfterEvents records known events and checks every value in the parsed output.
func TestMetricsAfterEvents(t *testing.T) {
	clk := clock.NewFake(t0)
	r := NewRegistry(clk, time.Minute)
	// Ticks of 0.5 ms, 3 ms, 3 ms, 40 ms and 45 s (beyond the last bucket).
	for _, d := range []time.Duration{500 * time.Microsecond, 3 * time.Millisecond, 3 * time.Millisecond, 40 * time.Millisecond, 45 * time.Second} {
		start := r.TickStarted()
		clk.Advance(d)
		r.TickDone(start, nil)
	}
	r.FetchError(errors.New("a"))
	r.FetchError(errors.New("b"))
	r.FetchError(nil)
	r.ModelReloaded()
	r.BarClosed(t0.Add(90 * time.Second))
	r.SetWeight(17) // overridden by the source below
	r.SetWeightSource(func() int { return 1234 })
	r.SetNotificationSource(func() Notifications { return Notifications{Sent: 7, Failed: 2, Queued: 3} })

	rec := httptest.NewRecorder()
	Handler(r).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != ContentType {
		t.Fatalf("metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	fams, err := parseExposition(rec.Body.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, rec.Body.String())
	}
	want := map[string]struct {
		typ string
		v   float64
	}{
		"tradectl_ticks_total":                       {"counter", 5},
		"tradectl_fetch_errors_total":                {"counter", 3},
		"tradectl_notifications_sent_total":          {"counter", 7},
		"tradectl_notifications_failed_total":        {"counter", 2},
		"tradectl_notifications_queued":              {"gauge", 3},
		"tradectl_model_reloads_total":               {"counter", 1},
		"tradectl_exchange_weight_used_1m":           {"gauge", 1234},
		"tradectl_last_closed_bar_timestamp_seconds": {"gauge", float64(t0.Unix() + 90)},
		"tradectl_last_tick_timestamp_seconds":       {"gauge", float64(t0.Unix()) + 45.046}, // 45.0465 s of ticks, in whole ms,
	}
	for name, w := range want {
		f := fams[name]
		if f == nil || f.typ != w.typ || f.help == "" || len(f.samples) != 1 || math.Abs(f.samples[0].value-w.v) > 1e-6 {
			t.Errorf("%s: got %+v, want type %s value %v", name, f, w.typ, w.v)
		}
	}
	h := fams["tradectl_tick_duration_seconds"]
	if h == nil || h.typ != "histogram" {
		t.Fatalf("no histogram: %+v", h)
	}
	// Cumulative counts per le, hand-computed from the five durations above.
	wantBuckets := map[string]float64{"0.001": 1, "0.0025": 1, "0.005": 3, "0.01": 3, "0.025": 3, "0.05": 4, "10": 4, "30": 4, "+Inf": 5}
	got := map[string]float64{}
	var sum, count float64
	for _, s := range h.samples {
		switch s.name {
		case "tradectl_tick_duration_seconds_bucket":
			got[s.labels["le"]] = s.value
		case "tradectl_tick_duration_seconds_sum":
			sum = s.value
		case "tradectl_tick_duration_seconds_count":
			count = s.value
		}
	}
	for le, w := range wantBuckets {
		if got[le] != w {
			t.Errorf("bucket le=%s: %v, want %v", le, got[le], w)
		}
	}
	if count != 5 || math.Abs(sum-45.0465) > 1e-9 {
		t.Errorf("sum %v count %v, want 45.0465 and 5", sum, count)
	}
	if len(fams) != len(want)+1 {
		t.Errorf("%d families, want %d", len(fams), len(want)+1)
	}
}

// TestMetricsEmpty: a fresh registry already exposes every family, at zero.
func TestMetricsEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMetrics(&b, NewRegistry(clock.NewFake(t0), time.Minute).Snapshot()); err != nil {
		t.Fatal(err)
	}
	fams, err := parseExposition(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if v := fams["tradectl_last_closed_bar_timestamp_seconds"].samples[0].value; v != 0 {
		t.Errorf("last bar %v, want 0", v)
	}
}

// TestExpositionEscaping writes names and label values with every character the format
// escapes and reads them back through the independent parser.
func TestExpositionEscaping(t *testing.T) {
	var b bytes.Buffer
	m := &metricWriter{w: bufioWriter(&b)}
	help := "a \\ back\nslash \"quoted\""
	val := "C:\\dir\n\"x\""
	m.family("x_total", "counter", help)
	m.sample("x_total", 1, "path", val, "other", "")
	m.sample("x_total", math.Inf(1), "path", "y")
	if err := m.w.Flush(); err != nil {
		t.Fatal(err)
	}
	wantText := "# HELP x_total a \\\\ back\\nslash \"quoted\"\n# TYPE x_total counter\n" +
		"x_total{path=\"C:\\\\dir\\n\\\"x\\\"\",other=\"\"} 1\nx_total{path=\"y\"} +Inf\n"
	if b.String() != wantText {
		t.Errorf("text\n%q\nwant\n%q", b.String(), wantText)
	}
	fams, err := parseExposition(b.String())
	if err != nil {
		t.Fatal(err)
	}
	f := fams["x_total"]
	if f.help != help || f.samples[0].labels["path"] != val || !math.IsInf(f.samples[1].value, 1) {
		t.Errorf("round trip: %+v", f)
	}
}

// TestParserRejects makes sure the reader used above can fail.
func TestParserRejects(t *testing.T) {
	for _, bad := range []string{
		"# TYPE a counter\n# TYPE a counter\na 1\n",
		"# TYPE a countr\na 1\n",
		"a{l=\"x} 1\n",
		"a{l=\"\\q\"} 1\n",
		"# HELP a x\\\n",
		"a 1\nb 1\na 2\n",
		"a 1\na 2\n",
		"1a 1\n",
		"a one\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"a 1\n# TYPE a counter\n",
	} {
		if _, err := parseExposition(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestConcurrentRecording runs each recording method in two goroutines of its own while
// others scrape; run with -race. A goroutine calls only one method, so a method that skipped
// the lock would race with its twin with no other synchronisation between them.
func TestConcurrentRecording(t *testing.T) {
	clk := clock.NewFake(t0)
	r := NewRegistry(clk, time.Minute)
	r.SetNotificationSource(func() Notifications { return Notifications{Sent: 1} })
	h := Handler(r)
	const copies, each = 2, 300
	ops := []func(i int){
		func(int) { r.TickDone(r.TickStarted(), nil) },
		func(i int) { r.BarClosed(t0.Add(time.Duration(i) * time.Minute)) },
		func(i int) { r.FetchError(fmt.Errorf("e%d", i)) },
		func(int) { r.ModelReloaded() },
		func(i int) { r.SetWeight(i) },
		func(i int) { r.SetNotifications(Notifications{Queued: int64(i)}) },
		func(i int) {
			if i%30 != 0 {
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			if _, err := parseExposition(rec.Body.String()); err != nil {
				t.Error(err)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
		},
	}
	var wg sync.WaitGroup
	for _, op := range ops {
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					op(i)
				}
			}()
		}
	}
	wg.Wait()
	s := r.Snapshot()
	n := uint64(copies * each)
	if s.Ticks != n || s.FetchErrors != n || s.ModelReloads != n || s.Counts[len(s.Counts)-1] != n {
		t.Errorf("lost updates: %+v", s)
	}
	if !s.LastBar.Equal(t0.Add((each - 1) * time.Minute)) {
		t.Errorf("last bar %v", s.LastBar)
	}
}

func TestCheckAddress(t *testing.T) {
	for _, c := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:9464", false, true},
		{"127.5.0.1:9464", false, true},
		{"[::1]:9464", false, true},
		{"localhost:9464", false, true},
		{":9464", false, false},
		{"0.0.0.0:9464", false, false},
		{"[::]:9464", false, false},
		{"192.168.1.5:9464", false, false},
		{"example.com:9464", false, false},
		{"0.0.0.0:9464", true, true},
		{"9464", false, false},
	} {
		err := CheckAddress(c.addr, c.remote)
		if (err == nil) != c.ok {
			t.Errorf("CheckAddress(%q, %v) = %v, want ok=%v", c.addr, c.remote, err, c.ok)
		}
		if err != nil && c.addr != "9464" && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckAddress(%q): %v is not ErrNotLoopback", c.addr, err)
		}
	}
}

// TestListenDefaultLoopback: the default binds loopback only, and a non-loopback address is
// refused unless allowed, and then logged as a warning.
func TestListenDefaultLoopback(t *testing.T) {
	r := NewRegistry(clock.NewFake(t0), time.Minute)
	if _, err := Listen(r, ServerConfig{Address: ":0"}); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("':0' without AllowRemote: %v", err)
	}
	var logs bytes.Buffer
	s, err := Listen(r, ServerConfig{Address: ":0", AllowRemote: true, Logger: slogText(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	s.ln.Close()
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "non-loopback") {
		t.Errorf("no warning for a remote bind: %q", logs.String())
	}
	if DefaultAddress != "127.0.0.1:9464" || CheckAddress(DefaultAddress, false) != nil {
		t.Errorf("default address %q is not loopback", DefaultAddress)
	}
}

// TestServeShutdown serves real requests, then cancels: Serve returns nil promptly. A
// request stuck in a handler does not hold it past the shutdown timeout.
func TestServeShutdown(t *testing.T) {
	clk := clock.NewFake(t0)
	r := NewRegistry(clk, time.Minute)
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	blocking := false
	var mu sync.Mutex
	r.SetNotificationSource(func() Notifications {
		mu.Lock()
		b := blocking
		mu.Unlock()
		if b {
			entered <- struct{}{}
			<-block
		}
		return Notifications{}
	})
	s, err := Listen(r, ServerConfig{Address: "127.0.0.1:0", ShutdownTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("healthz before a tick: %d", resp.StatusCode)
	}

	mu.Lock()
	blocking = true
	mu.Unlock()
	go func() {
		if resp, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
		if el := time.Since(began); el < 150*time.Millisecond {
			t.Errorf("Serve returned after %v, before the stuck request or the timeout", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the shutdown timeout")
	}
	close(block)
	if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}
