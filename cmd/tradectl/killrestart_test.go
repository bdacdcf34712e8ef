package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
)

// The kill -9 test's service: the demo pipeline trained on 2 synthetic days, replayed at
// killSpeed with every output that sends messages, to a fake Telegram.
const (
	killToken = "123456:kill-restart-test-token"
	killChat  = "-100777"
	// killTicks is the length of the replay: the last 10 hours of the 2 days.
	killTicks = 600
	// killCount is the number of kills after a bar (one more kill is made at a start);
	// killMargin keeps the last of them this many bars before the end of the replay.
	killCount, killMargin = 6, 30
	// killSpeed runs the replay's clock this many times faster than real time: a tick
	// every 1 ms of real time plus its compute (2-8 ms, on a loaded machine).
	killSpeed = "60000"
	// killOutputs are ITB's three message outputs: band messages, a diagram every 2 hours
	// (of the replay's simulated clock) and the paper trader's fill and statistics messages.
	killOutputs = "[" + scoreOutput + ",\n" + `    {"generator": "diagram_notification_model", "config": {
      "notification_freq": "2h", "score_column_names": "trade_score",
      "score_thresholds": [-0.05, 0.05], "resampling_freq": "5min", "nrows": 72}},` + "\n" + traderOutput + "]"
	// scoreOutput sends band messages, with bands near the demo's signal thresholds and
	// reminders every 10 and 5 minutes; traderOutput is the paper trader (output_sets[2] in
	// killOutputs, [1] in liveOutputs).
	scoreOutput = `    {"generator": "score_notification_model", "config": {
      "score_column_names": ["trade_score"], "notify_band_up": true, "notify_band_dn": true,
      "positive_bands": [
        {"edge": 0.05, "frequency": 5, "sign": "+++", "bold": true, "text": "BUY ZONE"},
        {"edge": 0.02, "frequency": 10, "sign": "+", "text": "weak"}],
      "negative_bands": [
        {"edge": -0.02, "frequency": 10, "sign": "-", "text": "weak"},
        {"edge": -0.05, "frequency": 5, "sign": "---", "bold": true, "text": "SELL ZONE"}]}}`
	traderOutput = `    {"generator": "trader_simulation", "config": {"buy_signal_column": "buy_signal_column", "sell_signal_column": "sell_signal_column"}}`
)

// TestSignalServeKill9Restart is issue 10's "kill -9 at random points and restart resumes
// without repeating or dropping a notification", with the real binary: `signal serve
// --replay` is killed with SIGKILL at seeded random moments (each after a random bar, plus a
// random delay, so some land in a tick and some between ticks or inside a Telegram request
// that answers slowly) and restarted on the same data folder until a run finishes. A replay
// restart starts again at the file's cold start: the bars already processed are ticked again
// and the outputs skip them (stored progress, the trader's last bar, dedup keys).
//
// Telegram must then have received the messages of one uninterrupted run on a fresh data
// folder, in the same order, none dropped; the only extra copies are the ones the outbox
// documents: after each kill, at most one message (the head of the queue) was accepted by
// Telegram but not yet marked sent, and only such a message may arrive twice, as an adjacent
// identical copy. The state database must end as the uninterrupted run's: every message
// sent, the same outbox rows, progress at the file's last bar, the same paper fills.
func TestSignalServeKill9Restart(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 of the real binary: many seconds")
	}
	start := time.Now()
	cfg, all := trainedWorkspace(t)
	klines, times := replayTail(t, all, killTicks)
	first := times[288+120] // the first ticked bar, after predict_length + features_horizon
	last := times[len(times)-1]

	// Reference: one uninterrupted run.
	refTG := faketelegram.New(faketelegram.Config{Token: killToken, ChatID: killChat})
	defer refTG.Close()
	refCfg := killConfig(t, cfg, refTG.URL())
	if err := startServe(t, refCfg, klines).wait(60 * time.Second); err != nil {
		t.Fatalf("reference run: %v", err)
	}
	want := sentKeys(refTG.Messages())
	refRows := outboxRows(t, refCfg)
	kinds := map[string]int{}
	for i, r := range refRows {
		if i >= len(want) || rowKey(r) != want[i] || r.Sent.IsZero() {
			t.Fatalf("reference: outbox row %d %.80q (sent %v), Telegram got %.80q", i, rowKey(r), r.Sent, at(want, i))
		}
		kinds[string(r.Kind)]++
	}
	if len(want) != len(refRows) || kinds["photo"] == 0 || kinds["text"] < 50 {
		t.Fatalf("reference: Telegram got %d messages, the outbox holds %v: too few, or not the same", len(want), kinds)
	}

	// Killed and restarted runs on a fresh data folder, against a Telegram that answers
	// half of the requests 5-25 ms after accepting them (the outbox's duplicate window).
	tg := slowTelegram(10, 5*time.Millisecond, 20*time.Millisecond)
	defer tg.Close()
	killCfg := killConfig(t, cfg, tg.URL())
	kills, window := killRepeatedly(t, killCfg, klines, tg, first, last.Add(-killMargin*time.Minute))
	if err := startServe(t, killCfg, klines).wait(60 * time.Second); err != nil {
		t.Fatalf("final run: %v", err)
	}
	dups := checkDelivered(t, want, sentKeys(tg.Messages()), window)
	if dups > kills {
		t.Fatalf("%d duplicates after %d kills: at most one per kill", dups, kills)
	}
	checkFinalState(t, refCfg, killCfg, last, "trader_simulation#2")
	t.Logf("%d kills, %d inside the outbox's window; %d messages (%d text, %d photo), %d duplicates, %d Telegram requests; %v",
		kills, len(window), len(want), kinds["text"], kinds["photo"], dups, len(tg.Requests()), time.Since(start).Round(time.Millisecond))
}

// killRepeatedly starts the service killCount+1 times and kills it with SIGKILL: first at a
// random moment of its start (loading the models, the cold start, the first ticks), then
// each time after a random bar in the next of killCount equal parts of [first, end], plus
// 0-10 ms. After each kill it checks the outbox against Telegram (checkKillWindow). It
// returns the kills made and, per outbox row seen inside the window, the copies Telegram had.
func killRepeatedly(t *testing.T, cfg, klines string, tg *faketelegram.Server, first, end time.Time) (int, map[int]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(10, 9))
	window := map[int]int{}
	part := end.Sub(first) / killCount
	kills := 0
	for k := -1; k < killCount; k++ {
		p := startServe(t, cfg, klines)
		var what string
		var err error
		if k < 0 {
			what = "at start"
			err = p.killAfter(time.Time{}, time.Duration(20+rng.IntN(200))*time.Millisecond, 0)
		} else {
			target := first.Add(time.Duration(k)*part + time.Duration(rng.Int64N(int64(part)))).Truncate(time.Minute)
			what = "after bar " + target.Format(time.DateTime)
			err = p.killAfter(target, time.Duration(rng.IntN(10_000))*time.Microsecond, 60*time.Second)
		}
		switch {
		case errors.Is(err, errEnded):
			t.Logf("kill %s: the run ended first", what)
			continue
		case err != nil:
			t.Fatalf("kill %s: %v\n%s", what, err, p.stderr())
		}
		kills++
		if k < 0 {
			t.Logf("kill %s: stderr ended with %q", what, lastLine(p.stderr()))
		}
		if i, ok := checkKillWindow(t, cfg, idleMessages(tg), window); ok {
			t.Logf("kill %s: outbox row %d was accepted by Telegram but not marked sent", what, i)
		}
	}
	return kills, window
}

// slowTelegram is a fake Telegram that answers half of the requests (chosen by a seeded
// generator) min to min+spread after accepting them: the outbox's duplicate window.
func slowTelegram(seed uint64, min, spread time.Duration) *faketelegram.Server {
	tg := faketelegram.New(faketelegram.Config{Token: killToken, ChatID: killChat})
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 10))
	tg.InjectFunc(func(int, string) faketelegram.Fault {
		mu.Lock()
		defer mu.Unlock()
		if rng.IntN(2) == 0 {
			return faketelegram.Fault{}
		}
		return faketelegram.Fault{Kind: faketelegram.SlowAnswer, Delay: min + time.Duration(rng.Int64N(int64(spread)))}
	})
	return tg
}

// idleMessages waits (at most 10 s) until the fake Telegram is idle, so that a request
// already on the wire when a client was killed is counted, and returns its messages.
func idleMessages(tg *faketelegram.Server) []faketelegram.Message {
	for deadline := time.Now().Add(10 * time.Second); !tg.Idle(20*time.Millisecond) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return tg.Messages()
}

// checkDelivered compares the messages Telegram got with the reference's: the same in the
// same order, none missing, and the extra copies only adjacent identical copies of the rows
// seen inside the window (as many as Telegram had while they were unacknowledged). It
// returns the number of duplicates.
func checkDelivered(t *testing.T, want, got []string, window map[int]int) int {
	t.Helper()
	extra := maps.Clone(window)
	dups, i := 0, 0
	for j, g := range got {
		switch {
		case i < len(want) && g == want[i]:
			i++
		case i > 0 && g == want[i-1] && got[j-1] == g && extra[i-1] > 0:
			dups++
			extra[i-1]--
		default:
			t.Fatalf("Telegram message %d of %d: %.100q, want reference message %d of %d: %.100q (previous %.100q)",
				j, len(got), g, i, len(want), at(want, i), at(want, i-1))
		}
	}
	if i != len(want) {
		t.Fatalf("Telegram got %d of the %d reference messages: message %d (%.100q) and later are missing", i, len(want), i, want[i])
	}
	return dups
}

// checkFinalState compares the state database of the killed runs with the reference's:
// the same outbox rows, every one sent; progress at the last bar; the paper trader given the
// same bars with the same decisions, and the same fills.
func checkFinalState(t *testing.T, refCfg, cfg string, last time.Time, trader string) {
	t.Helper()
	rows, refRows := outboxRows(t, cfg), outboxRows(t, refCfg)
	if len(rows) != len(refRows) {
		t.Fatalf("outbox holds %d messages, the reference's %d", len(rows), len(refRows))
	}
	for i, r := range rows {
		if rowKey(r) != rowKey(refRows[i]) || r.DedupKey != refRows[i].DedupKey || r.Sent.IsZero() || !r.Failed.IsZero() {
			t.Fatalf("outbox row %d: %s %.80q sent %v failed %v, reference %s %.80q", i, r.DedupKey, r.Text, r.Sent, r.Failed, refRows[i].DedupKey, refRows[i].Text)
		}
	}
	for _, c := range []string{refCfg, cfg} {
		if p := stateProgress(t, c); !p.Equal(last) {
			t.Fatalf("%s: progress at %s, want the last bar %s", c, p.Format(time.DateTime), last.Format(time.DateTime))
		}
	}
	if a, b := paperLedger(t, refCfg, trader), paperLedger(t, cfg, trader); a != b {
		t.Fatalf("the paper trader's bars and fills differ from the reference's:\n%s\nreference:\n%s", b, a)
	}
}

// checkKillWindow compares, after a kill, the outbox rows with what Telegram accepted
// (msgs, in order, with the copies recorded in window skipped): the rows marked sent must be
// the first ones, and Telegram may hold at most one more, the head of the queue (the message
// whose answer or mark the kill cut off). It returns that row's index and records its
// copies in window.
func checkKillWindow(t *testing.T, cfg string, msgs []faketelegram.Message, window map[int]int) (int, bool) {
	t.Helper()
	rows := outboxRows(t, cfg)
	sent := 0
	for sent < len(rows) && !rows[sent].Sent.IsZero() {
		sent++
	}
	for i := sent; i < len(rows); i++ {
		if !rows[i].Sent.IsZero() || !rows[i].Failed.IsZero() {
			t.Fatalf("outbox row %d (%s) is marked sent or failed after an unsent one", i, rows[i].DedupKey)
		}
	}
	got := sentKeys(msgs)
	n, copies := 0, map[int]int{}
	for j, g := range got {
		switch {
		case n < len(rows) && g == rowKey(rows[n]):
			copies[n]++
			n++
		case n > 0 && j > 0 && g == got[j-1] && copies[n-1] <= window[n-1]:
			copies[n-1]++ // resent after an earlier kill inside the window
		default:
			t.Fatalf("Telegram message %d: %.100q is not outbox row %d (%.100q)", j, g, n, rowKeyAt(rows, n))
		}
	}
	switch {
	case n < sent:
		t.Fatalf("outbox rows 0..%d are marked sent, but Telegram got only %d of them", sent-1, n)
	case n > sent+1:
		t.Fatalf("Telegram accepted rows %d..%d that are not marked sent: at most one may be", sent, n-1)
	case n == sent+1:
		window[sent] = copies[sent]
		return sent, true
	}
	return 0, false
}

// serveProc is a running `tradectl signal serve` whose stderr is scanned for tick lines.
type serveProc struct {
	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	err  bytes.Buffer
	bar  time.Time // the last bar a tick line reported
	tick chan struct{}
}

var tickBar = regexp.MustCompile(`msg=tick bar="([^"]+)"`)

// startServe starts `signal serve --replay klines --speed killSpeed` with the fake's token.
func startServe(t *testing.T, cfg, klines string) *serveProc {
	t.Helper()
	return startServeArgs(t, cfg, "--replay", klines, "--speed", killSpeed)
}

// startServeArgs starts `signal serve -c cfg args...`.
func startServeArgs(t *testing.T, cfg string, args ...string) *serveProc {
	t.Helper()
	return startServeEnv(t, nil, append([]string{"signal", "serve", "-c", cfg}, args...)...)
}

// startServeEnv starts the binary with args, the fake's token and env.
func startServeEnv(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: binary(args...), done: make(chan error, 1), tick: make(chan struct{}, 1)}
	p.cmd.Env = append(append(p.cmd.Env, "TRADECTL_TELEGRAM_BOT_TOKEN="+killToken), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.scan(stderr)
		p.done <- p.cmd.Wait()
	}()
	return p
}

// scan records stderr and the bar of every tick line.
func (p *serveProc) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		p.mu.Lock()
		p.err.Write(line)
		p.err.WriteByte('\n')
		if m := tickBar.FindSubmatch(line); m != nil {
			if b, err := time.Parse("2006-01-02 15:04:05-07:00", string(m[1])); err == nil {
				p.bar = b.UTC()
			}
		}
		p.mu.Unlock()
		select {
		case p.tick <- struct{}{}:
		default:
		}
	}
}

func (p *serveProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err.String()
}

// wait waits for a normal end (exit 0) for at most limit.
func (p *serveProc) wait(limit time.Duration) error {
	select {
	case err := <-p.done:
		return err
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("no end within %v", limit)
	}
}

// errEnded is returned by killAfter when the run ended by itself first.
var errEnded = errors.New("the run ended before the kill")

// killAfter sends SIGKILL delay after a tick reported a bar at or after target (a zero
// target: delay after the start).
func (p *serveProc) killAfter(target time.Time, delay, limit time.Duration) error {
	deadline := time.After(limit)
	for !target.IsZero() {
		p.mu.Lock()
		reached := !p.bar.Before(target)
		p.mu.Unlock()
		if reached {
			break
		}
		select {
		case <-p.tick:
		case err := <-p.done:
			return fmt.Errorf("ended (%v) before bar %s", err, target.Format(time.DateTime))
		case <-deadline:
			p.cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("bar %s not reached within %v", target.Format(time.DateTime), limit)
		}
	}
	time.Sleep(delay)
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) { // SIGKILL
		return err
	}
	if err := <-p.done; err == nil {
		return errEnded
	}
	return nil
}

// killConfig writes the trained workspace's config with the message outputs and the fake
// Telegram into a fresh data folder and returns its path.
func killConfig(t *testing.T, cfg, telegramURL string) string {
	t.Helper()
	return freshConfig(t, cfg, "DEMOUSDT", "output_sets", killOutputs, "telegram_api_url", strconv.Quote(telegramURL))
}

// freshConfig writes a trained workspace's config into a fresh data folder (so a fresh
// state database) that reads the workspace's model set of symbol, with the fake Telegram's
// chat and the given keys set (key, JSON value pairs), and returns its path.
func freshConfig(tb testing.TB, cfg, symbol string, keys ...string) string {
	tb.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	text := setKey(string(b), "data_folder", strconv.Quote(dir))
	text = setKey(text, "model_folder", strconv.Quote(filepath.Join(filepath.Dir(cfg), symbol, "MODELS")))
	text = setKey(text, "telegram_chat_id", strconv.Quote(killChat))
	for i := 0; i+1 < len(keys); i += 2 {
		text = setKey(text, keys[i], keys[i+1])
	}
	p := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// sentKeys are the messages Telegram accepted as comparable keys.
func sentKeys(msgs []faketelegram.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		kind := "text"
		if m.Method == "sendPhoto" {
			kind = "photo"
		}
		out[i] = messageKey(kind, m.Text, m.Photo)
	}
	return out
}

func rowKey(r state.Message) string { return messageKey(string(r.Kind), r.Text, r.Photo) }

func rowKeyAt(rows []state.Message, i int) string {
	if i < 0 || i >= len(rows) {
		return "(none)"
	}
	return rowKey(rows[i])
}

// messageKey identifies a message by kind, text (or caption) and photo bytes.
func messageKey(kind, text string, photo []byte) string {
	if kind == "photo" {
		return fmt.Sprintf("photo %x %s", sha256.Sum256(photo), text)
	}
	return kind + " " + text
}

func at(s []string, i int) string {
	if i < 0 || i >= len(s) {
		return "(none)"
	}
	return s[i]
}

// withState opens the state database of the config's data folder.
func withState(t *testing.T, cfg string, fn func(db *state.DB)) {
	t.Helper()
	db, err := state.Open(context.Background(), state.Path(filepath.Dir(cfg)), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

func outboxRows(t *testing.T, cfg string) []state.Message {
	t.Helper()
	var rows []state.Message
	withState(t, cfg, func(db *state.DB) {
		var err error
		if rows, err = db.Messages(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	return rows
}

// stateProgress is the last processed bar of DEMOUSDT 1min.
func stateProgress(t *testing.T, cfg string) time.Time {
	t.Helper()
	var bar time.Time
	withState(t, cfg, func(db *state.DB) {
		err := db.View(context.Background(), func(tx *state.Tx) error {
			var ok bool
			var err error
			if bar, ok, err = tx.Progress(context.Background(), "DEMOUSDT", "1min"); err == nil && !ok {
				err = fmt.Errorf("no progress stored")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return bar
}

// paperLedger lists the paper trader's bars (time, prices, decision) and fills, one per line.
func paperLedger(t *testing.T, cfg, trader string) string {
	t.Helper()
	var b bytes.Buffer
	withState(t, cfg, func(db *state.DB) {
		err := db.View(context.Background(), func(tx *state.Tx) error {
			err := tx.PaperBars(context.Background(), trader, func(p state.PaperBar) error {
				fmt.Fprintf(&b, "bar %+v\n", p)
				return nil
			})
			if err != nil {
				return err
			}
			fills, err := tx.PaperFills(context.Background(), trader, math.MinInt64, math.MaxInt64)
			for _, f := range fills {
				fmt.Fprintf(&b, "fill %+v\n", f)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return b.String()
}

// replayTail writes the last ticks bars of a klines.csv, with the cold-start history before
// them (predict_length + features_horizon of the demo config), into a new klines.csv and
// returns its path and the open times of its rows.
func replayTail(t *testing.T, path string, ticks int) (string, []time.Time) {
	t.Helper()
	rows, err := download.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[len(rows)-ticks-288-120:]
	out := filepath.Join(t.TempDir(), "klines.csv")
	if err := download.WriteFile(out, rows); err != nil {
		t.Fatal(err)
	}
	times := make([]time.Time, len(rows))
	for i, r := range rows {
		times[i] = time.UnixMilli(r.OpenTime).UTC()
	}
	return out, times
}

// lastLine is the last line of s without its time stamp.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	s = s[strings.LastIndexByte(s, '\n')+1:]
	if _, rest, ok := strings.Cut(s, " "); ok && strings.HasPrefix(s, "time=") {
		return rest
	}
	return s
}
