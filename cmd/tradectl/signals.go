package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/pipeline"
	"github.com/tradectl/tradectl/signals"
)

func newSignalsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "signals",
		Short: "Turn the scores of predictions.csv into buy/sell signals (signals.csv)",
		Long: `signals applies every signal_sets entry (combine, smoothen, threshold_rule,
threshold_rule2) in order to <predict_file_name> (written by predict or rolling), after the
row window, and writes <signal_file_name> (default signals.csv, "%.6f"): timestamp, open,
high, low, close, the config's labels, then the new signal columns (the score columns are
not copied, as in ITB). NaN scores give NaN combined scores and false signals.

The generators:
  combine          columns [up, down] -> names: difference (up - down), relative
                   (2*up/(up+down) - 1) or the default (up if up >= down else -down),
                   then x coefficient, + constant
  smoothen         row mean of columns, optional point_threshold, rolling (integer window)
                   or EWM (window written with a fraction, e.g. 5.0) mean
  threshold_rule   columns "score", names [buy, sell]: buy = score >= buy_signal_threshold,
                   sell = score <= sell_signal_threshold (parameters)
  threshold_rule2  two scores that must both pass (the _2 thresholds for the second)

Input: <predict_file_name> (run predict or, for a backtest, rolling first). Next: tradectl
simulate, which searches the threshold_rule's thresholds. ITB's sample:
  "signal_sets": [
    {"generator": "combine", "config": {"columns": ["high_20_lc", "low_20_lc"],
      "names": "trade_score", "combine": "difference"}},
    {"generator": "threshold_rule", "config": {"columns": "trade_score",
      "names": ["buy_signal_column", "sell_signal_column"],
      "parameters": {"buy_signal_threshold": 0.015, "sell_signal_threshold": -0.015}}}]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runSignals(c)
		},
	}
}

// errNoSignalSets is returned when the config has no signal_sets.
var errNoSignalSets = errors.New(`key "signal_sets" is empty: nothing to compute (see the combine and threshold_rule entries of ITB's sample config)`)

func (a *app) runSignals(c *config.Config) error {
	start := time.Now()
	if len(c.SignalSets) == 0 {
		return fmt.Errorf("signals: %s: %w", c.Path, errNoSignalSets)
	}
	steps, err := pipeline.Signals(c)
	if err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	in, out := c.File(c.PredictFileName), c.File(c.SignalFileName)
	if err := needInput(in, "predict", "rolling"); err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	res, err := signals.RunFile(signals.FileOptions{
		In: in, Out: out, TimeColumn: c.TimeColumn, Window: c.WindowSize(),
		Steps: steps, Labels: c.Labels, Precision: c.FloatDecimals(),
	})
	if err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	if res.Dropped > 0 {
		a.warnWindow(c, "signals", relPath(in), res.Dropped)
	}
	var counts []string
	for _, n := range res.Created {
		if k, ok := res.True[n]; ok {
			counts = append(counts, fmt.Sprintf("%s=%d", n, k))
		}
	}
	fmt.Fprintf(a.deps.Out, "signals: wrote %s: %d rows, columns [%s] in %s\n", relPath(out), res.Rows, strings.Join(res.Created, " "), since(start))
	if len(counts) > 0 {
		fmt.Fprintf(a.deps.Out, "signals: rows with a true signal: %s\n", strings.Join(counts, " "))
	}
	return nil
}
