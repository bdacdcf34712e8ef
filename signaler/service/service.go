// Package service assembles the signal service from its parts: the tick loop (signaler), the
// state database (internal/state), the outputs of the config's output_sets (score
// notifications, the daily diagram, the paper trader), the outbox deliverer that sends their
// messages to Telegram, and the health and metrics server. `tradectl signal serve` and
// `signal once` run it; tests run it against fake exchanges, a fake Telegram and a fake clock.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/diagram"
	"github.com/tradectl/tradectl/signaler/notify"
	"github.com/tradectl/tradectl/signaler/ops"
	"github.com/tradectl/tradectl/signaler/outbox"
	"github.com/tradectl/tradectl/signaler/scores"
	"github.com/tradectl/tradectl/signaler/trades"
)

// ErrOutputs is wrapped by errors in the config's output_sets.
var ErrOutputs = errors.New("output_sets")

// Generator names of output_sets entries.
const (
	GenScore   = scores.Generator
	GenDiagram = "diagram_notification_model"
	GenPaper   = "trader_simulation"
	GenBinance = "trader_binance"
)

// KeepSent is how long sent messages stay in the outbox before they are pruned.
const KeepSent = 7 * 24 * time.Hour

// Options configure a Service.
type Options struct {
	Config *config.Config
	Feeder signaler.Feeder
	// Clock drives the loop (the replay's simulated clock, or the system clock).
	Clock clock.Clock
	// DeliveryClock times the outbox retries (default Clock). A replay delivers in real time.
	DeliveryClock clock.Clock
	// Notifier sends the messages; nil builds the Telegram client from the config
	// (telegram_bot_token, telegram_chat_id, telegram_api_url), or logs them when no token
	// is set.
	Notifier notify.Notifier
	Logger   *slog.Logger
	// Until ends Run after the tick at or after it (replays).
	Until time.Time
	// OpsAddress is where /healthz and /metrics are served ("" serves nothing).
	OpsAddress     string
	OpsAllowRemote bool
	// Weight reports the exchange's used request weight (X-MBX-USED-WEIGHT-1M) for health.
	Weight func() int
	// Extra outputs run after the config's (e.g. the command's tick counter and log line).
	Extra []signaler.Output
	// Seed seeds the outbox's retry jitter.
	Seed uint64
}

// Service is the assembled signal service.
type Service struct {
	opt      Options
	log      *slog.Logger
	db       *state.DB
	loop     *signaler.Loop
	deliver  *outbox.Deliverer
	registry *ops.Registry
	server   *ops.Server
	paper    *trades.Trader
	diagrams []*diagram.Output
	txo      *signaler.TxOutputs
	pruned   time.Time
}

// Open opens the state database in the data folder, builds the outputs and the loop (which
// loads the model set). Close releases them.
func Open(ctx context.Context, opt Options) (_ *Service, err error) {
	c := opt.Config
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	if opt.DeliveryClock == nil {
		opt.DeliveryClock = opt.Clock
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{opt: opt, log: opt.Logger}
	if s.db, err = state.Open(ctx, state.Path(c.DataFolder), state.Options{Clock: opt.DeliveryClock}); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.db.Close()
		}
	}()
	n := opt.Notifier
	if n == nil {
		if n, err = s.notifier(); err != nil {
			return nil, err
		}
	}
	s.deliver = outbox.New(s.db, n, outbox.Config{Clock: opt.DeliveryClock, Seed: opt.Seed, Logger: s.log})
	s.registry = ops.NewRegistry(opt.Clock, c.FreqDuration())
	s.registry.SetNotificationSource(ops.OutboxSource(s.deliver, s.db))
	if opt.Weight != nil {
		s.registry.SetWeightSource(opt.Weight)
	}
	out, trader, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	outs := append(signaler.Outputs{out}, opt.Extra...)
	if s.loop, err = signaler.New(signaler.Options{
		Config: c, Feeder: opt.Feeder, Clock: opt.Clock, Until: opt.Until, Logger: s.log,
		Settle: signaler.SettleDelay(c.FreqDuration()), Output: outs, Trader: trader,
		Observer: s.registry, Resume: s.resume,
	}); err != nil {
		return nil, err
	}
	if opt.OpsAddress != "" {
		if s.server, err = ops.Listen(s.registry, ops.ServerConfig{Address: opt.OpsAddress, AllowRemote: opt.OpsAllowRemote, Logger: s.log}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// notifier is the Telegram client of the config, or a logging notifier without a token.
func (s *Service) notifier() (notify.Notifier, error) {
	c := s.opt.Config
	if c.TelegramBotToken.Reveal() == "" {
		if hasMessages(c) {
			s.log.Warn("telegram_bot_token is not set: notifications are logged, not sent", "env", config.EnvTelegramBotToken)
		}
		return LogNotifier{Log: s.log}, nil
	}
	return notify.NewTelegram(notify.TelegramConfig{APIURL: c.TelegramAPIURL, Token: c.TelegramBotToken, ChatID: c.TelegramChatID, Logger: s.log})
}

// hasMessages reports whether an output of c sends messages.
func hasMessages(c *config.Config) bool {
	for _, o := range c.OutputSets {
		if o.Generator == GenScore || o.Generator == GenDiagram || o.Generator == GenPaper {
			return true
		}
	}
	return false
}

// outputs builds the outputs of output_sets as one signaler.TxOutputs (score notifications in
// the config's order, then the diagrams, then the paper trader of a trader_simulation entry,
// all in the tick's one transaction) and the trader the loop hands the signals of fresh bars
// to: a logging one when there is no paper trader.
func (s *Service) outputs(ctx context.Context) (signaler.Output, signaler.Trader, error) {
	c := s.opt.Config
	symbol := c.Symbol
	if len(c.DataSources) > 0 && c.DataSources[0].Folder != "" {
		symbol = c.DataSources[0].Folder
	}
	buy, sell := SignalColumns(c)
	s.txo = &signaler.TxOutputs{DB: s.db, Symbol: symbol, Freq: c.Freq, Wake: s.deliver.Wake}
	var diagrams []json.RawMessage
	var diagramAt []int
	for i, o := range c.OutputSets {
		key := fmt.Sprintf("output_sets[%d].config", i)
		switch o.Generator {
		case GenScore:
			sc, err := scores.ParseConfig(o.Config, key)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			s.txo.Outputs = append(s.txo.Outputs, &signaler.ScoreOutbox{Config: sc, Output: scores.OutputName(i),
				Symbol: symbol, Freq: c.Freq, Interval: c.FreqDuration(), Log: s.log})
		case GenDiagram:
			diagrams, diagramAt = append(diagrams, o.Config), append(diagramAt, i)
		case GenPaper:
			if s.paper != nil {
				return nil, nil, fmt.Errorf("%s: %w: key %q: one trader_simulation per service", c.Path, ErrOutputs, key)
			}
			setup, err := backtest.Resolve(c)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", c.Path, err)
			}
			var tc struct {
				Buy  string `json:"buy_signal_column"`
				Sell string `json:"sell_signal_column"`
			}
			_ = json.Unmarshal(o.Config, &tc)
			if tc.Buy == "" {
				tc.Buy = buy
			}
			if tc.Sell == "" {
				tc.Sell = sell
			}
			if s.paper, err = trades.Open(ctx, trades.Config{Name: fmt.Sprintf("%s#%d", GenPaper, i), Buy: tc.Buy, Sell: tc.Sell,
				Model: setup.Model, Log: s.log}, s.db); err != nil {
				return nil, nil, err
			}
			s.txo.Trader = s.paper
		case GenBinance:
			s.log.Warn("trader_binance is not built yet: its signals are logged", "key", key)
		default:
			return nil, nil, fmt.Errorf("%s: %w: key %q: unknown generator %q (use %s, %s, %s or %s)",
				c.Path, ErrOutputs, fmt.Sprintf("output_sets[%d].generator", i), o.Generator, GenScore, GenDiagram, GenPaper, GenBinance)
		}
	}
	for j, raw := range diagrams {
		key := fmt.Sprintf("output_sets[%d].config", diagramAt[j])
		dc, err := diagram.ParseConfig(raw, key, c.FreqDuration(), symbol)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		dc.Name = fmt.Sprintf("%s#%d", GenDiagram, diagramAt[j])
		var marks diagram.MarkSource
		if s.paper != nil {
			marks = s.paper
		}
		d, err := diagram.New(dc, s.db, marks)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.Path, err)
		}
		s.diagrams = append(s.diagrams, d)
		s.txo.Outputs = append(s.txo.Outputs, d)
	}
	var next signaler.Trader
	if s.paper == nil {
		next = signaler.LogTrader{Log: s.log, Buy: buy, Sell: sell}
	}
	return s.txo, afterTick{s: s, next: next}, nil
}

// resume is the loop's Resume: the last bar whose tick committed.
func (s *Service) resume(ctx context.Context) (time.Time, bool, error) { return s.txo.LastBar(ctx) }

// afterTick hands the signals of a fresh tick to the trader (the paper trader already took
// them in the tick's transaction), then prunes old sent messages once a day.
type afterTick struct {
	s    *Service
	next signaler.Trader
}

// Signals implements signaler.Trader.
func (a afterTick) Signals(ctx context.Context, r *signaler.Result) error {
	var err error
	if a.next != nil {
		err = a.next.Signals(ctx, r)
	}
	a.s.prune(ctx)
	return err
}

// prune deletes the messages sent more than KeepSent ago, at most once a day.
func (s *Service) prune(ctx context.Context) {
	now := s.opt.DeliveryClock.Now() // the clock that stamps sent times
	if !s.pruned.IsZero() && now.Sub(s.pruned) < 24*time.Hour {
		return
	}
	s.pruned = now
	n, err := s.db.PruneSent(ctx, now.Add(-KeepSent))
	switch {
	case err != nil:
		s.log.Warn("outbox prune", "error", err)
	case n > 0:
		s.log.Info("outbox pruned", "messages", n)
	}
}

// Loop is the tick loop.
func (s *Service) Loop() *signaler.Loop { return s.loop }

// DB is the state database.
func (s *Service) DB() *state.DB { return s.db }

// Registry is the health and metrics registry.
func (s *Service) Registry() *ops.Registry { return s.registry }

// OpsAddr is the address the health server listens on ("" when none).
func (s *Service) OpsAddr() string {
	if s.server == nil {
		return ""
	}
	return s.server.Addr()
}

// Run serves until ctx ends (SIGINT/SIGTERM: the current tick and the message being sent are
// finished, the state is committed, and Run returns nil) or Until has passed; then the due
// messages are delivered for at most drain.
func (s *Service) Run(ctx context.Context, drain time.Duration) error {
	dctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.deliver.Run(dctx); err != nil {
			s.log.Error("outbox", "error", err)
		}
	}()
	if s.server != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.server.Serve(dctx); err != nil {
				s.log.Error("ops server", "error", err)
			}
		}()
	}
	err := s.loop.Run(ctx)
	stop()
	wg.Wait()
	if err == nil && ctx.Err() == nil {
		s.Drain(context.WithoutCancel(ctx), drain)
	}
	return err
}

// Once is one cold start (ITB's cron mode): the rows since the last processed bar go to the
// outputs, then the due messages are delivered for at most drain. Messages still queued go at
// the next run.
func (s *Service) Once(ctx context.Context, drain time.Duration) (*signaler.Result, error) {
	r, err := s.loop.Once(ctx)
	if r != nil {
		s.Drain(ctx, drain)
	}
	return r, err
}

// Drain delivers the due messages until none is pending, one is not due yet, ctx ends or
// limit (wall time of the delivery clock) has passed.
func (s *Service) Drain(ctx context.Context, limit time.Duration) {
	if limit <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for ctx.Err() == nil {
		next, err := s.deliver.DeliverDue(ctx)
		if err != nil || next.IsZero() || next.After(s.opt.DeliveryClock.Now()) {
			break
		}
	}
	if n, err := s.db.Pending(context.WithoutCancel(ctx)); err == nil && n > 0 {
		s.log.Warn("messages still queued: they are sent at the next start", "pending", n)
	}
}

// Close closes the state database.
func (s *Service) Close() error { return s.db.Close() }

// SignalColumns are the trader's buy and sell columns: those of the config's trader output
// (trader_simulation or trader_binance), else ITB's names.
func SignalColumns(c *config.Config) (buy, sell string) {
	buy, sell = "buy_signal_column", "sell_signal_column"
	for _, o := range c.OutputSets {
		if o.Generator != GenPaper && o.Generator != GenBinance {
			continue
		}
		var cfg struct {
			Buy  string `json:"buy_signal_column"`
			Sell string `json:"sell_signal_column"`
		}
		if json.Unmarshal(o.Config, &cfg) == nil && cfg.Buy != "" && cfg.Sell != "" {
			return cfg.Buy, cfg.Sell
		}
	}
	return buy, sell
}

// LogNotifier logs messages instead of sending them (no telegram_bot_token).
type LogNotifier struct{ Log *slog.Logger }

// SendText implements notify.Notifier.
func (n LogNotifier) SendText(_ context.Context, text string, _ notify.ParseMode) error {
	n.Log.Info("notification", "text", text)
	return nil
}

// SendPhoto implements notify.Notifier.
func (n LogNotifier) SendPhoto(_ context.Context, png []byte, filename, caption string, _ notify.ParseMode) error {
	n.Log.Info("notification photo", "file", filename, "bytes", len(png), "caption", caption)
	return nil
}
