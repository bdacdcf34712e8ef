package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/config"
)

// simulateFlags override the simulate_model keys of the same meaning.
type simulateFlags struct {
	input, fill, direction, compat, report, metric string
	fee, slip, size, stop, take                    float64
	buy, sell                                      float64
	jobs                                           int
	// changed tells which flags the user set (they override the config); nil: none.
	changed func(name string) bool
}

// set tells whether the user set the flag.
func (f simulateFlags) set(name string) bool { return f.changed != nil && f.changed(name) }

func newSimulateCmd(a *app) *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Search the buy/sell thresholds of signals.csv with an honest backtest",
		Long: `simulate reads <signal_file_name> (default signals.csv: prices and the score column of the
signal_sets threshold_rule entry), cuts simulate_model's data_start/data_end window, runs every
combination of simulate_model.grid (lists, "start:stop:step" or "np.arange(a, b, s).tolist()",
sklearn ParameterGrid order) in parallel, ranks them by %profit/M, appends the top topn_to_store
to <signal_models_file_name>.txt in ITB's line format and writes them to <name>.json.

Unlike ITB the backtest is honest: long round trips are a sell minus the preceding buy (short:
the reverse), fees and slippage are paid on every fill, decisions fill at the next bar's open
(a signal exists only once its bar has closed), a position is a fraction of equity, optional
stop-loss and take-profit are checked against each bar's low and high (stop first when both are
touched, at the open when the bar gaps through), and an open position is marked to market at the
end. --compat itb computes ITB's own numbers instead (no fees, close fills, its swapped lists).

--report DIR writes, for the best combination (or the one chosen with --buy/--sell):
report.json (trades, win rate, net profit and %/month, profit factor, expectancy, payoff ratio,
max drawdown depth and duration, Sharpe, Sortino and Calmar on daily equity returns, exposure,
fees paid, buy-and-hold over the same rows, a confusion matrix of the signals against the
labels), trades.csv (one round trip a line), price.png (the trades on the price), equity.png
(equity against buy-and-hold, drawdown underneath) and heatmap.png (buy x sell threshold ->
--metric).

Input: <signal_file_name> (run signals first; on rolling's out-of-sample scores for an honest
result) and the simulate_model keys: grid (buy_signal_threshold, sell_signal_threshold and
their _2 forms), buy_sell_equal, topn_to_store, signal_generator, direction, data_start,
data_end, and tradectl's fee_bps, slippage_bps, fill, position_size, initial_equity,
stop_loss, take_profit, compat. The flags below override the keys of the same meaning.
Example, ITB's 6 x 6 grid:
  "simulate_model": {"direction": "long", "topn_to_store": 10, "grid": {
    "buy_signal_threshold": [0.02, 0.03, 0.04, 0.05, 0.1, 0.15],
    "sell_signal_threshold": [-0.02, -0.03, -0.04, -0.05, -0.1, -0.15]}}
  tradectl simulate -c config.jsonc --report report/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			f.changed = cmd.Flags().Changed
			return a.runSimulate(c, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "read this file instead of <signal_file_name> (e.g. predictions.csv with a score column)")
	fl.Float64Var(&f.fee, "fee-bps", 10, "fee per side in basis points (simulate_model.fee_bps)")
	fl.Float64Var(&f.slip, "slippage-bps", 0, "slippage per fill in basis points (simulate_model.slippage_bps)")
	fl.StringVar(&f.fill, "fill", "next-open", "fill decisions at the next bar's open or at the signal bar's close (simulate_model.fill)")
	fl.Float64Var(&f.size, "size", 1, "fraction of equity per position (simulate_model.position_size)")
	fl.Float64Var(&f.stop, "stop-loss", 0, "stop-loss as a fraction of the entry price, 0 = off (simulate_model.stop_loss)")
	fl.Float64Var(&f.take, "take-profit", 0, "take-profit as a fraction of the entry price, 0 = off (simulate_model.take_profit)")
	fl.StringVar(&f.direction, "direction", "long", "long or short (simulate_model.direction)")
	fl.StringVar(&f.compat, "compat", "", "\"itb\": ITB's formulas (no fees, close fills, swapped lists) (simulate_model.compat)")
	fl.StringVar(&f.report, "report", "", "write report.json, trades.csv and PNG charts to this folder")
	fl.StringVar(&f.metric, "metric", "%profit/M", "heatmap metric: %profit/M, profit, #transactions, %profitable")
	fl.Float64Var(&f.buy, "buy", 0, "report this buy threshold (default: the best combination)")
	fl.Float64Var(&f.sell, "sell", 0, "report this sell threshold (with --buy)")
	fl.IntVar(&f.jobs, "jobs", 0, "combinations evaluated in parallel (0 = one per core)")
	return cmd
}

// applySimulateFlags lets the flags the user set override the config.
func applySimulateFlags(s *backtest.Setup, f simulateFlags) error {
	var err error
	if f.set("fee-bps") {
		s.Model.FeeBps = f.fee
	}
	if f.set("slippage-bps") {
		s.Model.SlippageBps = f.slip
	}
	if f.set("fill") {
		if s.Model.Fill, err = backtest.ParseFill(f.fill); err != nil {
			return fmt.Errorf("--fill: %w", err)
		}
	}
	if f.set("size") {
		s.Model.Size = f.size
	}
	if f.set("stop-loss") {
		s.Model.StopLoss = f.stop
	}
	if f.set("take-profit") {
		s.Model.TakeProfit = f.take
	}
	if f.set("direction") {
		if s.Model.Direction, err = backtest.ParseDirection(f.direction); err != nil {
			return fmt.Errorf("--direction: %w", err)
		}
	}
	if f.set("compat") {
		if f.compat != "itb" && f.compat != "" {
			return fmt.Errorf("--compat %q: the only compatibility mode is itb", f.compat)
		}
		s.ITB = f.compat == "itb"
	}
	if f.set("sell") && !f.set("buy") {
		return fmt.Errorf("--sell needs --buy")
	}
	if f.report != "" {
		if err := backtest.CheckMetric(f.metric); err != nil {
			return fmt.Errorf("--metric: %w", err)
		}
	}
	if err := s.Model.Check(); err != nil {
		return err
	}
	return nil
}

func (a *app) runSimulate(c *config.Config, f simulateFlags) error {
	start := time.Now()
	s, err := backtest.Resolve(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	if err := applySimulateFlags(s, f); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	combos, err := s.Spec.Combos()
	if err != nil {
		return fmt.Errorf("%s: simulate_model: %w", c.Path, err)
	}
	var chosen *backtest.Combo
	if f.set("buy") {
		c, err := backtest.Choose(combos, f.buy, f.sell, f.set("sell"))
		if err != nil {
			return fmt.Errorf("simulate: --buy/--sell: %w", err)
		}
		chosen = &c
	}
	path := f.input
	if path == "" {
		path = c.File(c.SignalFileName)
		if err := needInput(path, "signals"); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
	}
	in, err := s.Load(path, c.TimeColumn)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if in.Dropped > 0 {
		a.log.Warn("rows without prices left out of the backtest (merge gaps)", "rows", in.Dropped)
	}
	ranked, err := backtest.Search(in.Tape, combos, s.Model, s.ITB, f.jobs)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	top := ranked[:min(s.TopN, len(ranked))]
	txt := c.File(c.SignalModelsFileName + ".txt")
	if err := backtest.WriteSignalModels(txt, top); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	js := c.File(c.SignalModelsFileName + ".json")
	if err := backtest.WriteSignalModelsJSON(js, top, s.ITB); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	mode := fmt.Sprintf("fees %g bps, slippage %g bps, %s fills, size %g, %s", s.Model.FeeBps, s.Model.SlippageBps, s.Model.Fill, s.Model.Size, s.Model.Direction)
	if s.ITB {
		mode = "ITB formulas (--compat itb: no fees, close fills, swapped lists), " + s.Model.Direction.String()
	}
	out := a.deps.Out
	fmt.Fprintf(out, "simulate: %d combinations on %d rows of %s (%s)\n", len(combos), in.Tape.Bars.Len(), relPath(path), mode)
	for i, r := range top[:min(5, len(top))] {
		var ps []string
		for _, p := range r.Combo.Params {
			if !p.None {
				ps = append(ps, fmt.Sprintf("%s=%s", p.Key, p))
			}
		}
		fmt.Fprintf(out, "  #%d %s: %d trades, profit %v, %%profit %v, %%profit/M %v\n", i+1, strings.Join(ps, " "), r.Perf.Transactions, r.Perf.Profit, r.Perf.PctProfit, r.Perf.PctProfitPerM)
	}
	fmt.Fprintf(out, "simulate: top %d appended to %s and written to %s in %s\n", len(top), relPath(txt), relPath(js), since(start))
	if f.report != "" {
		if chosen == nil {
			chosen = &ranked[0].Combo
		}
		return a.writeSimReport(s, in, ranked, *chosen, f)
	}
	return nil
}

// writeSimReport writes the report of the chosen combination.
func (a *app) writeSimReport(s *backtest.Setup, in *backtest.Input, ranked []backtest.Ranked, chosen backtest.Combo, f simulateFlags) error {
	rep, err := backtest.WriteReport(f.report, backtest.ReportInput{Setup: s, Input: in, Ranked: ranked, Chosen: chosen, Metric: f.metric})
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	fmt.Fprintf(a.deps.Out, "simulate: report for %s in %s: %s\n", rep.Params, relPath(filepath.Clean(f.report)), strings.Join(rep.Files, ", "))
	fmt.Fprintf(a.deps.Out, "  %s\n", rep.Headline())
	return nil
}
