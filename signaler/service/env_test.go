package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/exchange/fakebinance"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/labels"
	"github.com/tradectl/tradectl/merge"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signals"
	"github.com/tradectl/tradectl/train"
)

// The simulated days run on real BTCUSDT 1m bars of January 2024: the models are trained on
// January 1–10, the service serves from trainEnd on.
const (
	sampleConfig = "../../testdata/configs/config-sample-1min.jsonc"
	dataFile     = "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz"
	botToken     = "123456789:AAE-test_TOKEN-for-tradectl-e2e"
	chatID       = "-1001234567890"
)

var (
	// midnight is the day boundary inside every span the tests serve (the diagram's): the
	// simulated day runs from January 11, 12:00 (the day the spot ETFs began trading) to
	// January 12, 12:00.
	midnight = time.Date(2024, 1, 12, 0, 0, 0, 0, time.UTC)
	trainEnd = midnight.Add(-24 * time.Hour)
)

// world is what every test shares: the bars, the trained model set and the batch run.
type world struct {
	bars []exchange.Kline
	// modelDir holds the model set train.Fit wrote; models are its files as loaded.
	modelDir string
	models   []*train.File
	// batch is signaler.Compute (features, scores, signals) over every bar.
	batch *frame.Frame
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
)

// getWorld trains the sample config's models on January 1–10 and runs the batch steps over
// every bar up to January 12, 14:00 (once per test binary).
func getWorld(t testing.TB) *world {
	t.Helper()
	worldOnce.Do(func() {
		theWorld, worldErr = buildWorld(t)
	})
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	if theWorld == nil {
		t.Fatal("building the shared bars and models failed in an earlier test")
	}
	return theWorld
}

func buildWorld(t testing.TB) (*world, error) {
	end := midnight.Add(14 * time.Hour)
	raw := sharedtest.ReadKlines(t, dataFile, int(end.Sub(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))/time.Minute))
	w := &world{bars: make([]exchange.Kline, len(raw))}
	for i, k := range raw {
		w.bars[i] = exchange.Kline{OpenTime: k.OpenTime, Fields: k.Fields}
	}
	c, err := loadConfig(t.TempDir(), "http://127.0.0.1:1", "")
	if err != nil {
		return nil, err
	}
	feats, err := features.Build("feature_sets", c.FeatureSets, features.Default)
	if err != nil {
		return nil, err
	}
	labs, err := gen.Build("label_sets", c.LabelSets, labels.Default)
	if err != nil {
		return nil, err
	}
	sigs, err := gen.Build("signal_sets", c.SignalSets, signals.Default)
	if err != nil {
		return nil, err
	}
	ntrain := int(trainEnd.Sub(time.UnixMilli(w.bars[0].OpenTime)) / time.Minute)
	m, err := mergedBars(c, w.bars[:ntrain])
	if err != nil {
		return nil, err
	}
	if _, err := gen.Apply(m, append(append([]gen.Step(nil), feats...), labs...)); err != nil {
		return nil, err
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		return nil, err
	}
	if w.modelDir, err = os.MkdirTemp("", "svce2e-models"); err != nil {
		return nil, err
	}
	if _, err := train.Fit(m, train.Options{Sets: sets, LabelHorizon: c.LabelHorizon, NoInSample: true, ModelFolder: w.modelDir}); err != nil {
		return nil, err
	}
	set, err := signaler.LoadModelSet(sets, w.modelDir)
	if err != nil {
		return nil, err
	}
	w.models = set.Files()
	if w.batch, err = mergedBars(c, w.bars); err != nil {
		return nil, err
	}
	if err := signaler.Compute(w.batch, feats, w.models, sigs); err != nil {
		return nil, err
	}
	return w, nil
}

// mergedBars is the batch path to data: klines.csv as download writes it, merged on the grid.
func mergedBars(c *config.Config, bars []exchange.Kline) (*frame.Frame, error) {
	dir, err := os.MkdirTemp("", "svce2e")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "klines.csv")
	if err := download.WriteFile(p, bars); err != nil {
		return nil, err
	}
	f, err := frame.ReadFile(p, frame.ReadOptions{TimeColumn: c.TimeColumn})
	if err != nil {
		return nil, err
	}
	m, _, err := merge.Merge([]merge.Source{{Name: "BTCUSDT", Path: p, Frame: f, Klines: true}}, merge.Options{Freq: c.FreqDuration()})
	return m, err
}

// loadConfig writes ITB's 1min sample config into dir (the data folder) with the Telegram
// settings pointing at the fake, plus extra top-level keys, and loads it.
func loadConfig(dir, telegramURL, extra string) (*config.Config, error) {
	b, err := os.ReadFile(sampleConfig)
	if err != nil {
		return nil, err
	}
	text := string(b)
	for _, r := range [][2]string{
		{`"C:/DATA_ITB"`, fmt.Sprintf("%q", dir)},
		{`"telegram_bot_token": ""`, fmt.Sprintf("%q: %q", "telegram_bot_token", botToken)},
		{`"telegram_chat_id": ""`, fmt.Sprintf("%q: %q", "telegram_chat_id", chatID)},
		{`"train": true,`, fmt.Sprintf("%q: %q, %s", "telegram_api_url", telegramURL, extra)},
	} {
		if !strings.Contains(text, r[0]) {
			return nil, fmt.Errorf("%s lacks %s", sampleConfig, r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	p := filepath.Join(dir, "config.jsonc")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		return nil, err
	}
	return config.Load(p, nil)
}

// env is one service (or several in turn, on one data folder) against a fake Binance and a
// fake Telegram sharing a simulated clock.
type env struct {
	t     *testing.T
	w     *world
	dir   string
	clk   *simClock
	bin   *fakebinance.Server
	tg    *faketelegram.Server
	tgURL string
	// logPath is the services' log file.
	logPath string
	// ticks records what each tick (and a cold start's catch-up) handed to the outputs.
	ticks *tickLog
}

// newEnv starts the fakes with the clock at start (the first cold start's time).
func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	w := getWorld(t)
	e := &env{t: t, w: w, dir: t.TempDir(), clk: newSimClock(start), ticks: &tickLog{}}
	e.logPath = filepath.Join(e.dir, "service.log")
	t.Cleanup(e.clk.Close)
	var err error
	e.bin, err = fakebinance.New(fakebinance.Config{Clock: e.clk.Delivery(),
		Series: []fakebinance.Series{{Market: fakebinance.Spot, Symbol: "BTCUSDT", Interval: "1m", Klines: w.bars}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.bin.Close)
	e.tg = faketelegram.New(faketelegram.Config{Token: botToken, ChatID: chatID, Clock: e.clk.Delivery()})
	t.Cleanup(e.tg.Close)
	e.tgURL = e.tg.URL()
	t.Cleanup(func() {
		if n := e.clk.stuckCount(); n > 0 {
			t.Errorf("the service did not settle within 10 s (a message due was never sent)")
		}
		if t.Failed() {
			t.Logf("service log (tail):\n%s", tail(e.logText(), 60))
		}
	})
	return e
}

// open writes the config, the model set and opens a service whose Run ends after until.
func (e *env) open(until time.Time) *Service {
	e.t.Helper()
	c, err := loadConfig(e.dir, e.tgURL, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := os.Stat(c.ModelPath()); err != nil {
		if err := os.CopyFS(c.ModelPath(), os.DirFS(e.w.modelDir)); err != nil {
			e.t.Fatal(err)
		}
	}
	src, err := exchange.NewBinance(exchange.BinanceConfig{BaseURL: e.bin.URL(),
		Transport: exchange.TransportConfig{Clock: e.clk.Loop(), Timeout: 10 * time.Second, MaxAttempts: 2}})
	if err != nil {
		e.t.Fatal(err)
	}
	logf, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { logf.Close() })
	s, err := Open(context.Background(), Options{Config: c, Clock: e.clk.Loop(), DeliveryClock: e.clk.Delivery(),
		Feeder: signaler.ExchangeFeeder{Source: src, Symbol: "BTCUSDT", Interval: "1m"}, Weight: src.Transport().UsedWeight,
		Until: until, OpsAddress: "127.0.0.1:0", Extra: []signaler.Output{e.ticks}, Seed: 7,
		Logger: slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clk.idle = func(now time.Time, timer bool) bool { return quiet(s, e.tg, now, timer) }
	return s
}

// quiet reports whether nothing outside the loop will happen before the time moves: no
// request at the fake Telegram, and no message due (or, for one waiting to be retried, the
// deliverer waiting on its timer).
func quiet(s *Service, tg *faketelegram.Server, now time.Time, timer bool) bool {
	if !tg.Idle(0) {
		return false
	}
	m, err := s.DB().NextPending(context.Background())
	switch {
	case err != nil:
		return false
	case m == nil:
		return true
	case !m.NextAttempt.After(now):
		return false
	}
	return timer
}

// run opens a service, runs it to until, calls after (if set) and closes it.
func (e *env) run(until time.Time, after func(s *Service)) {
	e.t.Helper()
	s := e.open(until)
	defer s.Close()
	if err := s.Run(context.Background(), 10*time.Second); err != nil {
		e.t.Fatal(err)
	}
	if after != nil {
		after(s)
	}
}

// tickLog is an Output recording what each result handed on: the tick's time and its rows.
type tickLog struct {
	mu   sync.Mutex
	runs []tickRun
	// hook, if set, is called after each result is recorded (in the loop's goroutine).
	hook func(r *signaler.Result)
}

type tickRun struct {
	Now  time.Time
	Rows []int64 // open times (Unix ms)
}

func (l *tickLog) Publish(_ context.Context, r *signaler.Result) error {
	l.mu.Lock()
	l.runs = append(l.runs, tickRun{Now: r.Now, Rows: append([]int64(nil), r.Rows.Time...)})
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(r)
	}
	return nil
}

func (l *tickLog) get() []tickRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]tickRun(nil), l.runs...)
}

// logText is the services' log so far.
func (e *env) logText() string {
	b, _ := os.ReadFile(e.logPath)
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
