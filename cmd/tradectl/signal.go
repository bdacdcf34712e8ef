package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/service"
	"github.com/tradectl/tradectl/train"
)

func newSignalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signal",
		Short: "The online signal service: score each new bar with the trained models (serve, once)",
		Long: `signal runs ITB's online service (service/server.py). It keeps the last predict_length +
features_horizon closed bars in memory and, at every freq boundary (plus a settle delay: 1 s
for minutes, 20 s for hours), fetches the missed bars plus append_overlap_records, computes
features, model scores and signals for the new bars with the same code as the batch steps,
and hands them to the config's output_sets:

  score_notification_model    ITB's band messages to Telegram
  diagram_notification_model  the daily diagram (PNG) to Telegram
  trader_simulation           the paper trader (the fill model of 'simulate'), its
                              transaction and 4-week statistics messages

Messages go through an outbox in the state database <data_folder>/tradectl.db (SQLite; open
it with sqlite3): a tick enqueues them in the same transaction as its progress and never
waits for Telegram, which is retried with backoff until it answers. A restart neither repeats
nor drops a notification: the rows after the last processed bar that the window still holds
are handed on at the next start. Telegram settings: telegram_bot_token (or
TRADECTL_TELEGRAM_BOT_TOKEN), telegram_chat_id (or TRADECTL_TELEGRAM_CHAT_ID),
telegram_api_url; without a token the messages are logged instead of sent.

At start it refuses a config whose features need more history than features_horizon rows
(measured as 'tradectl check warmup' does), and a model folder without a complete set. A
retrain is picked up at the next tick; a half-written or mixed set is never loaded.`,
	}
	cmd.AddCommand(newSignalOnceCmd(a), newSignalServeCmd(a))
	return cmd
}

// drainTime bounds the delivery of the queued messages when a run ends.
const drainTime = 20 * time.Second

func newSignalOnceCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "once",
		Short: "Fill the window from the exchange, hand the bars since the last run to the outputs, send the messages and exit (cron mode)",
		Long: `once is ITB's cron mode: one cold start from the exchange, then the closed bars after the
last one processed (the state database remembers it; the last bar on a first run) go to the
outputs, and the queued messages are sent (for at most 20 s; what is left goes at the next run).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			fd, weight, err := a.exchangeFeeder(c)
			if err != nil {
				return err
			}
			svc, err := a.openService(cmd.Context(), c, service.Options{Feeder: fd, Clock: a.deps.Clock, Weight: weight})
			if err != nil {
				return err
			}
			defer svc.Close()
			r, err := svc.Once(cmd.Context(), drainTime)
			if err != nil {
				return fmt.Errorf("signal once: %w", err)
			}
			a.printTick("signal once", r)
			return nil
		},
	}
}

func newSignalServeCmd(a *app) *cobra.Command {
	var replay, opsAddr string
	var speed float64
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the signal service until interrupted (or replay recorded klines with --replay)",
		Long: `serve runs the tick loop until SIGINT or SIGTERM, which finish the current tick, commit
its state and exit 0 (the normal way to stop the service). A failed tick is logged and the
next one catches up; if the exchange cannot be reached at start, the cold start is retried at
every interval. /healthz (200, or 503 when the data is stale) and /metrics (Prometheus text)
are served on ops_address (default 127.0.0.1:9464; a non-loopback address needs
ops_allow_remote).

--replay FILE drives the same loop from recorded klines (a klines.csv as download writes it,
or Binance dump files: .csv, .csv.gz, .zip) on a simulated clock instead of the exchange:
the first predict_length + features_horizon bars are the cold-start history and every later
bar is one tick; the outputs (Telegram included) get them as they would live. --speed N runs
the clock N times faster than real time (0: as fast as the ticks compute). At the end the
queued messages are sent (for at most 20 s).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			if speed < 0 || math.IsNaN(speed) || math.IsInf(speed, 0) {
				return fmt.Errorf("--speed %v: use 0 (as fast as possible) or a positive factor", speed)
			}
			a.deps.Graceful.Store(true) // an interrupt finishes the current tick
			opt := service.Options{Clock: a.deps.Clock, OpsAddress: c.OpsAddress, OpsAllowRemote: c.OpsAllowRemote}
			if replay != "" {
				rf, start, err := a.replayFeeder(c, replay, speed)
				if err != nil {
					return err
				}
				opt.Feeder, opt.Clock, opt.Until = rf, rf.Clock, rf.End(settle(c))
				opt.DeliveryClock, opt.OpsAddress = a.deps.Clock, "" // messages go in real time
				a.log.Info("replay", "file", relPath(replay), "bars", len(rf.Bars), "start", start.Format(time.DateTime))
			} else if opt.Feeder, opt.Weight, err = a.exchangeFeeder(c); err != nil {
				return err
			}
			if cmd.Flags().Changed("ops-address") {
				opt.OpsAddress = opsAddr
			}
			if opt.OpsAddress == "off" {
				opt.OpsAddress = ""
			}
			ticks := &tickCounter{}
			opt.Extra = []signaler.Output{ticks}
			svc, err := a.openService(cmd.Context(), c, opt)
			if err != nil {
				return err
			}
			defer svc.Close()
			if addr := svc.OpsAddr(); addr != "" {
				fmt.Fprintf(a.deps.Out, "signal serve: health on http://%s/healthz, metrics on http://%s/metrics\n", addr, addr)
			}
			if err := svc.Run(cmd.Context(), drainTime); err != nil {
				return fmt.Errorf("signal serve: %w", err)
			}
			l := svc.Loop()
			last, _ := l.Window().Last()
			pending, _ := svc.DB().Pending(context.WithoutCancel(cmd.Context()))
			fmt.Fprintf(a.deps.Out, "signal serve: %d ticks, %d new bars, last bar %s, model set %d, %d messages queued\n",
				ticks.n, ticks.rows, last.Format(time.DateTime), l.Models().Generation, pending)
			return nil
		},
	}
	cmd.Flags().StringVar(&replay, "replay", "", "replay recorded klines (klines.csv or Binance dump files) instead of the exchange")
	cmd.Flags().Float64Var(&speed, "speed", 0, "with --replay: clock speed factor (0 = as fast as the ticks compute)")
	cmd.Flags().StringVar(&opsAddr, "ops-address", "", "host:port for /healthz and /metrics (default: config key ops_address; off with --replay); \"off\" serves none")
	return cmd
}

// settle is the delay after a boundary the loop uses for c's freq.
func settle(c *config.Config) time.Duration { return signaler.SettleDelay(c.FreqDuration()) }

// openService assembles the service with the config's outputs plus a log line per tick.
func (a *app) openService(ctx context.Context, c *config.Config, opt service.Options) (*service.Service, error) {
	sets, err := train.ResolveSets(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	var logCols []string
	for _, s := range sets {
		for _, label := range s.Labels {
			for _, al := range s.Algorithms {
				logCols = append(logCols, train.ModelName(label, al.Name))
			}
		}
	}
	for _, s := range c.SignalSets {
		var cfg struct {
			Names json.RawMessage `json:"names"`
		}
		if json.Unmarshal(s.Config, &cfg) == nil {
			logCols = append(logCols, jsonNames(cfg.Names)...)
		}
	}
	opt.Config, opt.Logger = c, a.log
	opt.Extra = append([]signaler.Output{signaler.LogOutput{Log: a.log, Columns: logCols}}, opt.Extra...)
	return service.Open(ctx, opt)
}

// jsonNames reads a names value: a string or a list of strings.
func jsonNames(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// exchangeFeeder is the Binance REST client of the config's first data source.
func (a *app) exchangeFeeder(c *config.Config) (signaler.Feeder, func() int, error) {
	iv, err := exchange.BinanceInterval(c.Freq)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	src, err := exchange.NewBinance(exchange.BinanceConfig{
		BaseURL: c.BinanceBaseURL, APIKey: c.APIKey.Reveal(), APISecret: c.APISecret.Reveal(),
		Transport: exchange.TransportConfig{Base: a.deps.HTTP.Transport, Clock: a.deps.Clock, Logger: a.log, Timeout: 10 * time.Second, MaxAttempts: 2},
	})
	if err != nil {
		return nil, nil, err
	}
	return signaler.ExchangeFeeder{Source: src, Symbol: dataSources(c)[0].Folder, Interval: iv}, src.Transport().UsedWeight, nil
}

// replayFeeder reads the file and sets a simulated clock to the cold start.
func (a *app) replayFeeder(c *config.Config, path string, speed float64) (*signaler.ReplayFeeder, time.Time, error) {
	bars, err := signaler.ReadReplayFile(path, dataSources(c)[0].Folder, c.Freq)
	if err != nil {
		return nil, time.Time{}, err
	}
	rf, start, err := a.newReplayFeeder(c, bars, speed)
	if err != nil {
		return nil, start, fmt.Errorf("%s: %w", relPath(path), err)
	}
	return rf, start, nil
}

// newReplayFeeder serves bars on a simulated clock (speed 0: as fast as the ticks compute)
// set to the cold start.
func (a *app) newReplayFeeder(c *config.Config, bars []exchange.Kline, speed float64) (*signaler.ReplayFeeder, time.Time, error) {
	fake := clock.NewFake(time.Time{})
	var clk clock.Clock = fake
	if speed > 0 {
		clk = clock.Scaled{Fake: fake, Speed: speed}
	}
	rf := &signaler.ReplayFeeder{Bars: bars, Clock: clk, Step: c.FreqDuration()}
	start, err := rf.Start(c.PredictLength+c.FeaturesHorizon, settle(c))
	if err != nil {
		return nil, start, err
	}
	fake.Set(start)
	return rf, start, nil
}

// printTick prints the last row of a result.
func (a *app) printTick(what string, r *signaler.Result) {
	i := r.Last()
	if i < 0 {
		fmt.Fprintf(a.deps.Out, "%s: no new bar\n", what)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: bar %s", what, frame.FormatTime(r.Rows.Time[i]))
	for _, n := range r.Rows.Names() {
		if n == "close" || strings.HasSuffix(n, "_score") || strings.Contains(n, "signal") {
			v, _ := r.Rows.Col(n)
			fmt.Fprintf(&b, " %s=%v", n, v[i])
		}
	}
	fmt.Fprintf(&b, " band=%d", r.BandNo)
	if r.Stale {
		b.WriteString(" (stale: not handed to the trader)")
	}
	fmt.Fprintln(a.deps.Out, b.String())
}

// tickCounter counts the ticks and new rows handed to the outputs.
type tickCounter struct{ n, rows int }

func (t *tickCounter) Publish(_ context.Context, r *signaler.Result) error {
	t.n++
	t.rows += r.Rows.Len()
	return nil
}
