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
and hands them to the outputs (logged) and the trader (logged).

At start it refuses a config whose features need more history than features_horizon rows
(measured as 'tradectl check warmup' does), and a model folder without a complete set. A
retrain is picked up at the next tick; a half-written or mixed set is never loaded.`,
	}
	cmd.AddCommand(newSignalOnceCmd(a), newSignalServeCmd(a))
	return cmd
}

func newSignalOnceCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "once",
		Short: "Fill the window from the exchange, score the last closed bar, hand it to the outputs and exit (cron mode)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			fd, err := a.exchangeFeeder(c)
			if err != nil {
				return err
			}
			l, err := a.newSignalLoop(c, fd, a.deps.Clock, time.Time{})
			if err != nil {
				return err
			}
			r, err := l.Once(cmd.Context())
			if err != nil {
				return fmt.Errorf("signal once: %w", err)
			}
			a.printTick("signal once", c, r)
			return nil
		},
	}
}

func newSignalServeCmd(a *app) *cobra.Command {
	var replay string
	var speed float64
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the signal service until interrupted (or replay recorded klines with --replay)",
		Long: `serve runs the tick loop until SIGINT or SIGTERM, which finish the current tick and exit 0
(the normal way to stop the service). A failed tick is logged and the next one catches up.

--replay FILE drives the same loop from recorded klines (a klines.csv as download writes it,
or Binance dump files: .csv, .csv.gz, .zip) on a simulated clock instead of the exchange:
the first predict_length + features_horizon bars are the cold-start history and every later
bar is one tick. --speed N runs the clock N times faster than real time (0: as fast as the
ticks compute).`,
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
			var fd signaler.Feeder
			clk, until := a.deps.Clock, time.Time{}
			if replay != "" {
				rf, start, err := a.replayFeeder(c, replay, speed)
				if err != nil {
					return err
				}
				fd, clk, until = rf, rf.Clock, rf.End(settle(c))
				a.log.Info("replay", "file", relPath(replay), "bars", len(rf.Bars), "start", start.Format(time.DateTime))
			} else if fd, err = a.exchangeFeeder(c); err != nil {
				return err
			}
			ticks := &tickCounter{}
			l, err := a.newSignalLoop(c, fd, clk, until, ticks)
			if err != nil {
				return err
			}
			if err := l.Run(cmd.Context()); err != nil {
				return fmt.Errorf("signal serve: %w", err)
			}
			last, _ := l.Window().Last()
			fmt.Fprintf(a.deps.Out, "signal serve: %d ticks, %d new bars, last bar %s, model set %d\n",
				ticks.n, ticks.rows, last.Format(time.DateTime), l.Models().Generation)
			return nil
		},
	}
	cmd.Flags().StringVar(&replay, "replay", "", "replay recorded klines (klines.csv or Binance dump files) instead of the exchange")
	cmd.Flags().Float64Var(&speed, "speed", 0, "with --replay: clock speed factor (0 = as fast as the ticks compute)")
	return cmd
}

// settle is the delay after a boundary the loop uses for c's freq.
func settle(c *config.Config) time.Duration { return signaler.SettleDelay(c.FreqDuration()) }

// newSignalLoop wires the loop with the logging output and trader (plus extra outputs).
func (a *app) newSignalLoop(c *config.Config, fd signaler.Feeder, clk clock.Clock, until time.Time, extra ...signaler.Output) (*signaler.Loop, error) {
	buy, sell := signalColumns(c)
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
	outs := signaler.Outputs{signaler.LogOutput{Log: a.log, Columns: logCols}}
	for _, o := range extra {
		outs = append(outs, o)
	}
	return signaler.New(signaler.Options{
		Config: c, Feeder: fd, Clock: clk, Until: until, Settle: settle(c), Logger: a.log,
		Output: outs, Trader: signaler.LogTrader{Log: a.log, Buy: buy, Sell: sell},
	})
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

// signalColumns are the trader's buy and sell columns: those of the config's trader output
// (trader_simulation or trader_binance), else ITB's names.
func signalColumns(c *config.Config) (buy, sell string) {
	buy, sell = "buy_signal_column", "sell_signal_column"
	for _, o := range c.OutputSets {
		if !strings.HasPrefix(o.Generator, "trader_") {
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

// exchangeFeeder is the Binance REST client of the config's first data source.
func (a *app) exchangeFeeder(c *config.Config) (signaler.Feeder, error) {
	iv, err := exchange.BinanceInterval(c.Freq)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	src, err := exchange.NewBinance(exchange.BinanceConfig{
		BaseURL: c.BinanceBaseURL, APIKey: c.APIKey.Reveal(), APISecret: c.APISecret.Reveal(),
		Transport: exchange.TransportConfig{Base: a.deps.HTTP.Transport, Clock: a.deps.Clock, Logger: a.log, Timeout: 10 * time.Second, MaxAttempts: 2},
	})
	if err != nil {
		return nil, err
	}
	return signaler.ExchangeFeeder{Source: src, Symbol: dataSources(c)[0].Folder, Interval: iv}, nil
}

// replayFeeder reads the file and sets a simulated clock to the cold start.
func (a *app) replayFeeder(c *config.Config, path string, speed float64) (*signaler.ReplayFeeder, time.Time, error) {
	bars, err := signaler.ReadReplayFile(path, dataSources(c)[0].Folder, c.Freq)
	if err != nil {
		return nil, time.Time{}, err
	}
	fake := clock.NewFake(time.Time{})
	var clk clock.Clock = fake
	if speed > 0 {
		clk = clock.Scaled{Fake: fake, Speed: speed}
	}
	rf := &signaler.ReplayFeeder{Bars: bars, Clock: clk, Step: c.FreqDuration()}
	start, err := rf.Start(c.PredictLength+c.FeaturesHorizon, settle(c))
	if err != nil {
		return nil, start, fmt.Errorf("%s: %w", relPath(path), err)
	}
	fake.Set(start)
	return rf, start, nil
}

// printTick prints the last row of a result.
func (a *app) printTick(what string, c *config.Config, r *signaler.Result) {
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
