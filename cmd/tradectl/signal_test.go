package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
)

// trainedWorkspace is the demo config on 2 days of the synthetic market, merged, with
// features, labels and a trained model set.
func trainedWorkspace(t *testing.T) (cfg, klines string) {
	t.Helper()
	cfg, dir := workspace(t, 2, nil)
	for _, step := range []string{"merge", "features", "labels", "train"} {
		run(t, step, "-c", cfg).ok(t)
	}
	return cfg, filepath.Join(dir, "DEMOUSDT", "klines.csv")
}

func TestSignalServeReplay(t *testing.T) {
	cfg, klines := trainedWorkspace(t)
	r := run(t, "signal", "serve", "-c", cfg, "--replay", klines, "--speed", "0").ok(t)
	// 2 days of bars; the first predict_length + features_horizon = 408 are the history.
	if want := "signal serve: 2472 ticks, 2472 new bars, last bar 2024-01-02 23:59:00, model set 1"; !strings.Contains(r.out, want) {
		t.Fatalf("output %q lacks %q\nstderr:\n%s", r.out, want, r.err)
	}
	if n := strings.Count(r.err, "msg=tick "); n != 2472 {
		t.Fatalf("%d tick lines logged, want 2472", n)
	}
	run(t, "signal", "serve", "-c", cfg, "--replay", klines, "--speed", "-1").failsWith(t, "--speed -1")
	run(t, "signal", "serve", "-c", cfg, "--replay", filepath.Join(t.TempDir(), "none.csv")).failsWith(t, "none.csv")
}

// TestSignalServeInterruptIsNormalStop: SIGINT while serving (a replay in real time, so the
// loop waits a minute for its next tick) finishes and exits 0, not 130.
func TestSignalServeInterruptIsNormalStop(t *testing.T) {
	cfg, klines := trainedWorkspace(t)
	var out bytes.Buffer
	errb := &syncBuf{}
	d := Deps{In: strings.NewReader(""), Out: &out, Err: errb, Clock: clock.System{}, HTTP: http.DefaultClient}
	sigs := make(chan os.Signal, 1)
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(errb.String(), "cold start") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		sigs <- syscall.SIGINT
	}()
	exited := -1
	code := RunProcess([]string{"signal", "serve", "-c", cfg, "--replay", klines, "--speed", "1"}, d, sigs, func(c int) { exited = c })
	if code != 0 || exited != -1 {
		t.Fatalf("exit %d (exit() called with %d), want 0\nstderr:\n%s", code, exited, errb.String())
	}
	if !strings.Contains(out.String(), "signal serve: 0 ticks") {
		t.Fatalf("output %q", out.String())
	}
}

// TestSignalOnceFromExchange: cron mode against a fake Binance serving the synthetic market
// as of a time inside the last bar: the window ends at the last closed bar, which is printed.
func TestSignalOnceFromExchange(t *testing.T) {
	cfg, klines := trainedWorkspace(t)
	rows, err := download.ReadFile(klines)
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(rows[len(rows)-1].OpenTime + 1500).UTC() // the last bar is still open
	serveExchange(t, cfg, rows, clock.Fixed{T: now})
	var out, errb bytes.Buffer
	d := Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Clock: clock.Fixed{T: now}, HTTP: http.DefaultClient}
	if code := Run(context.Background(), []string{"signal", "once", "-c", cfg}, d); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if want := "signal once: bar 2024-01-02 23:58:00+00:00 close="; !strings.HasPrefix(out.String(), want) {
		t.Fatalf("output %q, want it to start with %q\nstderr:\n%s", out.String(), want, errb.String())
	}
}

// syncBuf is a bytes.Buffer safe for the logger and a polling test goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSignalOnceResumes: cron mode remembers the last processed bar in the state database. A
// run five minutes later hands the five bars closed since then to the outputs (not only the
// last one, as ITB does), and a run at the same time hands none.
func TestSignalOnceResumes(t *testing.T) {
	cfg, klines := trainedWorkspace(t)
	rows, err := download.ReadFile(klines)
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(rows[len(rows)-1].OpenTime - 10*60_000 + 1500).UTC()
	fake := clock.NewFake(now)
	serveExchange(t, cfg, rows, fake)
	once := func() (out, errs string) {
		var o, e bytes.Buffer
		d := Deps{In: strings.NewReader(""), Out: &o, Err: &e, Clock: fake, HTTP: http.DefaultClient}
		if code := Run(context.Background(), []string{"signal", "once", "-c", cfg}, d); code != 0 {
			t.Fatalf("exit %d\n%s", code, e.String())
		}
		return o.String(), e.String()
	}
	for _, step := range []struct {
		advance time.Duration
		out     string
		newRows int
	}{
		{0, "signal once: bar 2024-01-02 23:48:00+00:00", 1},
		{5 * time.Minute, "signal once: bar 2024-01-02 23:53:00+00:00", 5},
		{0, "signal once: no new bar", 0},
	} {
		fake.Advance(step.advance)
		out, errs := once()
		if !strings.HasPrefix(out, step.out) {
			t.Fatalf("at %s: output %q, want %q\nstderr:\n%s", fake.Now().Format(time.DateTime), out, step.out, errs)
		}
		if got := strings.Count(errs, "msg=tick "); step.newRows > 0 && !strings.Contains(errs, fmt.Sprintf("new_rows=%d ", step.newRows)) || step.newRows == 0 && got != 0 {
			t.Fatalf("at %s: want %d new rows handed on\nstderr:\n%s", fake.Now().Format(time.DateTime), step.newRows, errs)
		}
	}
}

// TestSignalBadOutputSets: an unknown output generator or a broken output config is refused
// at start with the key named, before anything is fetched.
func TestSignalBadOutputSets(t *testing.T) {
	cfg, klines := trainedWorkspace(t)
	b, _ := os.ReadFile(cfg)
	for _, tc := range []struct{ from, to, want string }{
		{`"generator": "trader_simulation"`, `"generator": "trader_smiulation"`, `output_sets[2].generator": unknown generator "trader_smiulation"`},
		{`"resampling_freq": "5min"`, `"resampling_freq": "5 minutes"`, `output_sets[1].config.resampling_freq`},
		{`"score_column_names": ["trade_score"]`, `"score_column_names": []`, `output_sets[0].config`},
	} {
		edited := bytes.Replace(b, []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(edited, b) {
			t.Fatalf("the demo config lacks %s", tc.from)
		}
		os.WriteFile(cfg, edited, 0o644)
		run(t, "signal", "serve", "-c", cfg, "--replay", klines).failsWith(t, tc.want)
	}
}

// serveExchange serves rows from a fake Binance at clk's time and points cfg at it.
func serveExchange(t *testing.T, cfg string, rows []exchange.Kline, clk clock.Clock) {
	t.Helper()
	h, err := fakebinance.NewHandler(fakebinance.Config{
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "DEMOUSDT", Interval: "1m", Klines: rows}},
		Clock:  clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(b, []byte("{\n"), []byte("{\n  \"binance_base_url\": \""+srv.URL+"\",\n"), 1), 0o644)
}
