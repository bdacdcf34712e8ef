package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/internal/synth"
	"github.com/tradectl/tradectl/pipeline"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/service"
)

//go:embed demo.jsonc
var demoConfig []byte

func newDemoCmd(a *app) *cobra.Command {
	var (
		dir    string
		days   int
		seed   uint64
		format string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline offline on a generated market",
		Long: `demo needs no exchange account and no network. It writes a seeded synthetic 1-minute
market (with an exchange halt: flat zero-volume bars, then missing bars) into a fresh data
folder, writes the config it uses there (config.jsonc, ITB's 1min reference pipeline), and
runs every pipeline step on it, printing what each produced:

  download (generated) -> merge -> features -> labels -> train -> predict
  -> rolling (walk-forward: the last 7 folds of 2 days, each predicted by models trained on
     the rows before it) -> signals (trade_score = high - low score, threshold rule)
  -> simulate --report <dir>/report (a 6 x 6 threshold grid like ITB's, scaled to the demo's
     scores; 10 bps fees, next-open fills)

It ends by printing where the report (report.json, trades.csv) and its charts (price.png,
equity.png, heatmap.png) are. A --days below 28 makes the folds fewer and shorter so that
they cover about half of the market. Re-run any step yourself with
  tradectl <step> -c <dir>/config.jsonc
With --format parquet the step files (data, features, matrix, predictions, signals) are
Parquet files; klines.csv stays CSV, as Binance and ITB write it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd, dir, days, seed, format)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "data folder to create (default: a new temporary folder)")
	cmd.Flags().IntVar(&days, "days", 30, "days of 1-minute bars to generate")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed of the generated market")
	cmd.Flags().StringVar(&format, "format", "csv", "format of the step files: csv or parquet")
	return cmd
}

func (a *app) runDemo(cmd *cobra.Command, dir string, days int, seed uint64, format string) error {
	if days < 2 {
		return fmt.Errorf("demo: --days must be at least 2")
	}
	if format != "csv" && format != "parquet" {
		return fmt.Errorf("demo: --format must be csv or parquet, not %q", format)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "tradectl-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("demo: %s is not empty; pick a fresh --dir", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// The config, with data_folder pointing at the demo folder.
	keys := fmt.Sprintf("{\n  \"data_folder\": %q,\n", abs)
	if format == "parquet" {
		keys += "  \"merge_file_name\": \"data.parquet\",\n  \"feature_file_name\": \"features.parquet\",\n" +
			"  \"matrix_file_name\": \"matrix.parquet\",\n  \"predict_file_name\": \"predictions.parquet\",\n" +
			"  \"signal_file_name\": \"signals.parquet\",\n"
	}
	cfgText, err := demoFolds(strings.Replace(string(demoConfig), "{\n", keys, 1), days)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(abs, "config.jsonc")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		return err
	}
	c, err := config.Load(cfgPath, nil)
	if err != nil {
		return err
	}
	out := a.deps.Out
	fmt.Fprintf(out, "demo: data folder %s\n", abs)

	// 1. The market, as download would have written it.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := days * 1440
	market := synth.Klines(synth.Options{Seed: seed, Start: start, Rows: rows, Halt: rows / 2, HaltFlat: 72, HaltGap: 80})
	klines := sourcePath(c, dataSources(c)[0])
	if err := frame.WriteFile(klines, market, frame.WriteOptions{TimeColumn: c.TimeColumn, Precision: -1}); err != nil {
		return err
	}
	fmt.Fprintf(out, "download (generated, seed %d): %s: %d bars from %s to %s\n", seed, klines, market.Len(),
		frame.FormatTime(market.Time[0]), frame.FormatTime(market.Time[market.Len()-1]))
	// 2. The steps, exactly as the commands run them.
	if err := a.runMerge(cmd, c, 5); err != nil {
		return err
	}
	p, err := pipeline.Build(c)
	if err != nil {
		return err
	}
	if err := a.runStage(c, p, "features", false); err != nil {
		return err
	}
	if err := a.runStage(c, p, "labels", true); err != nil {
		return err
	}
	if err := a.runTrain(c); err != nil {
		return err
	}
	if err := a.runPredict(c); err != nil {
		return err
	}
	// 3. Walk-forward scores, signals and the backtest with its report.
	if err := a.runRolling(cmd, c, 0, false); err != nil {
		return err
	}
	if err := a.runSignals(c); err != nil {
		return err
	}
	report := filepath.Join(abs, "report")
	if err := a.runSimulate(c, simulateFlags{report: report, metric: "%profit/M"}); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: report: %s\n", filepath.Join(report, "report.json"))
	fmt.Fprintf(out, "demo: trades: %s\n", filepath.Join(report, "trades.csv"))
	fmt.Fprintf(out, "demo: charts: %s\n", strings.Join([]string{filepath.Join(report, "price.png"),
		filepath.Join(report, "equity.png"), filepath.Join(report, "heatmap.png")}, ", "))
	// 4. The signal service over the last day, replayed.
	if err := a.runDemoReplay(cmd.Context(), c, klines, report); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: done. Re-run a step with: tradectl <step> -c %s\n", cfgPath)
	return nil
}

// demoFoldsKey is the rolling_predict fold shape in demo.jsonc that demoFolds resizes.
const demoFoldsKey = `"prediction_size": 2880, "prediction_steps": 7`

// demoFolds sizes the walk-forward folds for a market of the given days: 7 folds of 2 days
// from 28 days on; for fewer days, folds of 2 days (half a day below 8 days) covering about
// half of the market, so that the first fold still has rows to train on.
func demoFolds(cfg string, days int) (string, error) {
	if !strings.Contains(cfg, demoFoldsKey) {
		return "", fmt.Errorf("demo: the embedded config lacks %s", demoFoldsKey)
	}
	size := 2880
	if days < 8 {
		size = 720
	}
	steps := min(7, max(1, days*1440/2/size))
	return strings.Replace(cfg, demoFoldsKey, fmt.Sprintf(`"prediction_size": %d, "prediction_steps": %d`, size, steps), 1), nil
}

// runDemoReplay replays the market's last day through the signal service (as `signal serve
// --replay` does, at full speed) with quiet logs, then prints what the outputs queued and
// writes the last diagram into the report folder.
func (a *app) runDemoReplay(ctx context.Context, c *config.Config, klines, report string) error {
	bars, err := download.ReadFile(klines)
	if err != nil {
		return err
	}
	if n := c.PredictLength + c.FeaturesHorizon + 1440; len(bars) > n {
		bars = bars[len(bars)-n:]
	}
	rf, _, err := a.newReplayFeeder(c, bars, 0)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(a.deps.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ticks := &tickCounter{}
	svc, err := service.Open(ctx, service.Options{Config: c, Feeder: rf, Clock: rf.Clock, Until: rf.End(settle(c)),
		DeliveryClock: a.deps.Clock, Logger: quiet, Extra: []signaler.Output{ticks}})
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.Run(ctx, 5*time.Second); err != nil {
		return fmt.Errorf("demo: signal serve --replay: %w", err)
	}
	msgs, err := svc.DB().Messages(ctx)
	if err != nil {
		return err
	}
	var bands, trades, photos int
	var png []byte
	for _, m := range msgs {
		switch {
		case m.Kind == state.KindPhoto:
			photos, png = photos+1, m.Photo
		case strings.HasPrefix(m.DedupKey, service.GenPaper):
			trades++
		default:
			bands++
		}
	}
	fmt.Fprintf(a.deps.Out, "signal serve --replay (the last day): %d ticks; %d band messages, %d trader messages, %d diagrams queued in %s (no telegram_bot_token: logged, not sent)\n",
		ticks.n, bands, trades, photos, svc.DB().Path())
	if png != nil {
		path := filepath.Join(report, "diagram.png")
		if err := frame.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(png); return err }); err != nil {
			return err
		}
		fmt.Fprintf(a.deps.Out, "demo: daily diagram: %s\n", path)
	}
	return nil
}
