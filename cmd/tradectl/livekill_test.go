package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
)

// envClock runs a re-executed test binary on a mappedClock: "r0,t0,speed" (r0 Unix ns of the
// real clock, t0 Unix ms of the clock's time at r0).
const envClock = "TRADECTL_TEST_CLOCK"

// mappedClock runs speed times faster than the real clock, at t0 when the real clock is at
// r0. Two processes that share r0, t0 and speed agree on its time.
type mappedClock struct {
	r0, t0 time.Time
	speed  float64
}

func (c mappedClock) Now() time.Time {
	return c.t0.Add(time.Duration(float64(time.Since(c.r0)) * c.speed)).UTC()
}

func (c mappedClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	time.AfterFunc(time.Duration(float64(d)/c.speed), func() { ch <- c.Now() })
	return ch
}

func (c mappedClock) String() string {
	return fmt.Sprintf("%d,%d,%g", c.r0.UnixNano(), c.t0.UnixMilli(), c.speed)
}

// mappedClockMain runs the command as main does, but on the clock of envClock, and exits;
// it returns at once when envClock is not set.
func mappedClockMain() {
	v := os.Getenv(envClock)
	if v == "" {
		return
	}
	var r0, t0 int64
	var speed float64
	if _, err := fmt.Sscanf(strings.ReplaceAll(v, ",", " "), "%d %d %g", &r0, &t0, &speed); err != nil || speed <= 0 {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", envClock, v, err)
		os.Exit(2)
	}
	debug.SetGCPercent(25) // as main
	d := DefaultDeps()
	d.Clock = mappedClock{r0: time.Unix(0, r0), t0: time.UnixMilli(t0), speed: speed}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(RunProcess(os.Args[1:], d, sigs, os.Exit))
}

// liveSpeed is the clock speed of the live kill test: a 1m bar every 100 ms of real time.
const liveSpeed = 600

// liveOutputs are the score notifications and the paper trader (the diagram is left out: the
// time it is sent at depends on when the service runs, which a replay does not reproduce).
const liveOutputs = "[" + scoreOutput + ",\n" + traderOutput + "]"

// TestSignalServeLiveKill9Resume kills the live service (not a replay) with SIGKILL and
// restarts it after a random downtime, so each restart's cold start must hand the outputs the
// bars closed since the last one processed (Options.Resume). The binary runs on a clock 600
// times faster than real time (a re-executed test binary with a mapped clock), against a fake
// Binance on the same clock serving the demo market; the data ends at a fixed bar. Telegram
// must then have the messages of a replay over exactly the bars processed (the first paper
// bar to the last), in order, none dropped, the only extra copies being the outbox's window,
// and the paper trader the replay's fills: no bar was skipped or processed twice across the
// kills.
func TestSignalServeLiveKill9Resume(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 of the real binary: many seconds")
	}
	rng := rand.New(rand.NewPCG(11, 9))
	cfg, klines := trainedWorkspace(t)
	rows, err := download.ReadFile(klines)
	if err != nil {
		t.Fatal(err)
	}
	const startBar, endBar = 1200, 1350 // the live run starts inside bar 1200; the data ends at 1350
	clk := mappedClock{r0: time.Now(), t0: time.UnixMilli(rows[startBar].OpenTime + 30_000), speed: liveSpeed}
	bn, err := fakebinance.New(fakebinance.Config{
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "DEMOUSDT", Interval: "1m", Klines: rows[:endBar+1]}},
		Clock:  clk, SpotWeightLimit: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bn.Close()
	tg := slowTelegram(11, 10*time.Millisecond, 40*time.Millisecond)
	defer tg.Close()
	live := freshConfig(t, cfg, "DEMOUSDT", "output_sets", liveOutputs, "telegram_api_url", strconv.Quote(tg.URL()),
		"binance_base_url", strconv.Quote(bn.URL()), "ops_address", `"off"`)
	end := time.UnixMilli(rows[endBar].OpenTime).UTC()
	window := map[int]int{}
	kills, catchups := 0, 0
	for clk.Now().Before(end.Add(-40 * time.Minute)) { // a cycle is at most 26 bars: the last run starts before the end
		p := startLive(t, live, clk)
		time.Sleep(time.Duration(300+rng.IntN(1700)) * time.Millisecond) // 3-20 bars
		p.cmd.Process.Kill()
		if err := <-p.done; err == nil {
			t.Fatalf("the live service ended by itself\n%s", p.stderr())
		}
		kills++
		catchups += strings.Count(p.stderr(), `msg="catching up"`)
		if i, ok := checkKillWindow(t, live, idleMessages(tg), window); ok {
			t.Logf("kill %d: outbox row %d was accepted by Telegram but not marked sent", kills, i)
		}
		time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond) // down for 0-6 bars
	}
	// The last run: until the data's last bar is processed and its messages are sent.
	p := startLive(t, live, clk)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the last bar was not processed and delivered within 60 s\n%s", p.stderr())
		}
		if last, ok := paperLast(t, live); ok && last.Equal(end) && pending(t, live) == 0 {
			break
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.done; err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.stderr())
	}
	if catchups += strings.Count(p.stderr(), `msg="catching up"`); catchups == 0 {
		t.Fatal("no restart caught up with bars closed while the service was down")
	}

	// Reference: a replay of the processed bars (the first paper bar to the last).
	first := paperFirst(t, live)
	i0 := (first.UnixMilli() - rows[0].OpenTime) / 60_000
	if i0 < 408 || i0 > startBar+100 || rows[i0].OpenTime != first.UnixMilli() {
		t.Fatalf("first processed bar %s (row %d)", first, i0)
	}
	replay := t.TempDir() + "/klines.csv"
	if err := download.WriteFile(replay, rows[i0-408:endBar+1]); err != nil {
		t.Fatal(err)
	}
	refTG := faketelegram.New(faketelegram.Config{Token: killToken, ChatID: killChat})
	defer refTG.Close()
	ref := freshConfig(t, cfg, "DEMOUSDT", "output_sets", liveOutputs, "telegram_api_url", strconv.Quote(refTG.URL()))
	if err := startServeArgs(t, ref, "--replay", replay, "--speed", "0").wait(60 * time.Second); err != nil {
		t.Fatalf("reference replay: %v", err)
	}
	want := sentKeys(refTG.Messages())
	if len(want) < 20 {
		t.Fatalf("reference: %d messages, too few to test with", len(want))
	}
	dups := checkDelivered(t, want, sentKeys(tg.Messages()), window)
	if dups > kills {
		t.Fatalf("%d duplicates after %d kills", dups, kills)
	}
	checkFinalState(t, ref, live, end, "trader_simulation#1")
	t.Logf("%d kills of the live service, %d restarts caught up, %d kills inside the outbox's window; bars %s..%s (%d); %d messages, %d duplicates",
		kills, catchups, len(window), first.Format(time.DateTime), end.Format(time.DateTime), endBar-int(i0)+1, len(want), dups)
}

// startLive starts `signal serve` on clk (a re-executed test binary).
func startLive(t *testing.T, cfg string, clk mappedClock) *serveProc {
	t.Helper()
	return startServeEnv(t, []string{envClock + "=" + clk.String()}, "signal", "serve", "-c", cfg)
}

// paperBars returns the open times of the paper trader's first and last bars.
func paperBars(t *testing.T, cfg string) (first, last time.Time, ok bool) {
	t.Helper()
	withState(t, cfg, func(db *state.DB) {
		err := db.View(context.Background(), func(tx *state.Tx) error {
			return tx.PaperBars(context.Background(), "trader_simulation#1", func(b state.PaperBar) error {
				if !ok {
					first, ok = time.UnixMilli(b.Time).UTC(), true
				}
				last = time.UnixMilli(b.Time).UTC()
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return first, last, ok
}

func paperFirst(t *testing.T, cfg string) time.Time {
	first, _, ok := paperBars(t, cfg)
	if !ok {
		t.Fatal("the paper trader got no bar")
	}
	return first
}

func paperLast(t *testing.T, cfg string) (time.Time, bool) {
	_, last, ok := paperBars(t, cfg)
	return last, ok
}

// pending counts the outbox's unsent messages.
func pending(t *testing.T, cfg string) int {
	t.Helper()
	n := math.MaxInt
	withState(t, cfg, func(db *state.DB) {
		var err error
		if n, err = db.Pending(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	return n
}
