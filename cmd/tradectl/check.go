package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/check"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/pipeline"
)

func newCheckCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Prove the config's generators have no look-ahead and a bounded warm-up",
		Long: `check runs your config's feature_sets (and the signal_sets they feed) on your own data
(<merge_file_name>, run merge first; and <predict_file_name> when it exists) and proves two
properties a backtest silently depends on:

  check lookahead  no column's value at a row changes when later rows are removed (a
                   generator that reads the future makes every backtest too good); exit 1
                   and the columns, rows and values when one does
  check warmup     the rows of history each feature needs to reach its full-history value
                   (recursive indicators such as EMA, RSI, ATR, ADX need far more than their
                   window); exit 1 when features_horizon is shorter

Run both after changing feature_sets and before trusting a simulate report.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCheckLookaheadCmd(a), newCheckWarmupCmd(a))
	return cmd
}

func newCheckLookaheadCmd(a *app) *cobra.Command {
	var rows, cuts int
	cmd := &cobra.Command{
		Use:   "lookahead",
		Short: "Report generator columns that change when later rows are removed",
		Long: `lookahead computes the feature_sets (and the signal_sets that need no model scores)
over the last --rows rows of <merge_file_name>, then again over the data cut at --cuts
points, and reports every column whose value at a row before a cut changed: that generator
reads rows after the one it computes, so its backtests are too good to be true. When
<predict_file_name> exists, every signal_sets entry is also checked on it. Exit code 1 when
any column changed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runLookahead(c, rows, cuts)
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 20000, "check the last N rows of the data (0: all)")
	cmd.Flags().IntVar(&cuts, "cuts", 5, "number of cut points")
	return cmd
}

func newCheckWarmupCmd(a *app) *cobra.Command {
	var rows, compare int
	cmd := &cobra.Command{
		Use:   "warmup",
		Short: "Report the rows of history each feature needs to equal its batch value",
		Long: `warmup computes the feature_sets (and the signal_sets that need no model scores) over
the last --rows rows of <merge_file_name>, then recomputes the last --compare rows with
increasing history, and reports per column the rows of history it needs for values equal to
the full computation (relative 1e-9), the look-back its generator declares, and whether
features_horizon covers it. Recursive
indicators (EMA, RSI, ATR, ADX, ...) need much more than their window; cumulative ones (OBV,
AD) never settle. Exit code 1 when features_horizon does not cover every feature.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runWarmup(c, rows, compare)
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 20000, "use the last N rows of the data (0: all); the longest history measured is N - compare")
	cmd.Flags().IntVar(&compare, "compare", 20, "number of last rows compared")
	return cmd
}

// readInputs reads the columns the steps need from a step file, keeping the last rows.
func readInputs(c *config.Config, path, producer string, steps []gen.Step, rows int) (*frame.Frame, error) {
	if err := needInput(path, producer); err != nil {
		return nil, err
	}
	f, err := frame.ReadFile(path, frame.ReadOptions{TimeColumn: c.TimeColumn, Columns: gen.Inputs(steps)})
	if err != nil {
		return nil, err
	}
	return f.Tail(rows), nil
}

// runnableSignals splits the signal steps into those that can run on the given columns
// (plus the columns earlier runnable steps create) and the others.
func runnableSignals(have []string, steps []gen.Step) (run, skip []gen.Step) {
	avail := map[string]bool{}
	for _, n := range have {
		avail[n] = true
	}
	for _, s := range steps {
		ok := true
		for _, n := range s.Inputs() {
			ok = ok && avail[n]
		}
		if !ok {
			skip = append(skip, s)
			continue
		}
		run = append(run, s)
		for _, n := range s.Outputs() {
			avail[n] = true
		}
	}
	return run, skip
}

// dataSteps are the feature steps followed by the signal steps that can run on the data
// file's columns and the features (no model scores needed).
// It also returns every built signal step.
func (a *app) dataSteps(c *config.Config, p *pipeline.Generators) (steps, sig []gen.Step, err error) {
	if sig, err = pipeline.Signals(c); err != nil {
		return nil, nil, err
	}
	have, _ := frame.ReadHeader(c.File(c.MergeFileName)) // a missing file is reported by readInputs
	for _, s := range p.Features {
		have = append(have, s.Outputs()...)
	}
	run, _ := runnableSignals(have, sig)
	return append(append([]gen.Step{}, p.Features...), run...), sig, nil
}

// checkStage is one input file and the steps checked on it.
type checkStage struct {
	path, producer string
	steps          []gen.Step
}

func (a *app) runLookahead(c *config.Config, rows, cuts int) error {
	p, err := pipeline.Build(c)
	if err != nil {
		return err
	}
	data := c.File(c.MergeFileName)
	steps, sig, err := a.dataSteps(c, p)
	if err != nil {
		return err
	}
	run := steps[len(p.Features):]
	stages := []checkStage{{data, "merge", steps}}
	if pred := c.File(c.PredictFileName); len(sig) > 0 {
		if header, err := frame.ReadHeader(pred); err == nil {
			if run2, _ := runnableSignals(header, sig); len(run2) > 0 {
				stages = append(stages, checkStage{pred, "predict", run2})
				run = append(run, run2...)
			}
		}
	}
	var skip []gen.Step
	for _, s := range sig {
		if !slices.ContainsFunc(run, func(r gen.Step) bool { return r.Key == s.Key }) {
			skip = append(skip, s)
		}
	}
	leaks := 0
	for _, st := range stages {
		if len(st.steps) == 0 {
			continue
		}
		f, err := readInputs(c, st.path, st.producer, st.steps, rows)
		if err != nil {
			return fmt.Errorf("check lookahead: %w", err)
		}
		rep, err := check.Lookahead(f, st.steps, check.LookaheadOptions{Cuts: cuts})
		if err != nil {
			return fmt.Errorf("check lookahead: %s: %w", relPath(st.path), err)
		}
		fmt.Fprintf(a.deps.Out, "lookahead: %s: %d rows, cut at rows %v: %d columns checked, %d changed\n",
			relPath(st.path), f.Len(), rep.CutRows, len(rep.Columns), len(rep.Leaks))
		for _, l := range rep.Leaks {
			fmt.Fprintf(a.deps.Out, "  LOOK-AHEAD %s (%s): row %d (%s) is %v over %d rows but %v over all rows (changed at %d of %d cuts)\n",
				l.Column, l.Step, l.Row, frame.FormatTime(l.Time), l.Truncated, l.Cut, l.Full, l.Cuts, len(rep.CutRows))
		}
		leaks += len(rep.Leaks)
	}
	for _, s := range skip {
		fmt.Fprintf(a.deps.Out, "lookahead: %s not checked: it reads %s, which neither the data with its features nor %s has (run predict or rolling to check it)\n",
			s.Key, strings.Join(s.Inputs(), ","), relPath(c.File(c.PredictFileName)))
	}
	if leaks > 0 {
		return fmt.Errorf("check lookahead: %d columns change when later rows are removed: their generators read the future", leaks)
	}
	return nil
}

func (a *app) runWarmup(c *config.Config, rows, compare int) error {
	p, err := pipeline.Build(c)
	if err != nil {
		return err
	}
	if len(p.Features) == 0 {
		return fmt.Errorf("check warmup: %s: key \"feature_sets\" is empty", c.Path)
	}
	steps, _, err := a.dataSteps(c, p)
	if err != nil {
		return err
	}
	f, err := readInputs(c, c.File(c.MergeFileName), "merge", steps, rows)
	if err != nil {
		return fmt.Errorf("check warmup: %w", err)
	}
	ws, err := check.Warmup(f, steps, check.WarmupOptions{Rows: compare, Horizon: c.FeaturesHorizon})
	if err != nil {
		return fmt.Errorf("check warmup: %s: %w", relPath(c.File(c.MergeFileName)), err)
	}
	fmt.Fprintf(a.deps.Out, "warmup: %s: last %d of %d rows compared, histories up to %d rows, features_horizon %d\n",
		relPath(c.File(c.MergeFileName)), compare, f.Len(), f.Len()-compare, c.FeaturesHorizon)
	fmt.Fprintf(a.deps.Out, "%-32s %9s %9s  %s\n", "column", "needs", "declared", "features_horizon")
	var short []string
	for _, w := range ws {
		needs, declared, covered := fmt.Sprint(w.History), fmt.Sprint(w.Declared), "covers"
		if !w.Stable {
			needs = fmt.Sprintf(">%d", w.MaxHistory-1)
		}
		if w.Declared < 0 {
			declared = "unbounded"
		}
		if !w.Covered {
			covered = "TOO SHORT"
			short = append(short, fmt.Sprintf("%s (%s)", w.Column, needs))
		}
		fmt.Fprintf(a.deps.Out, "%-32s %9s %9s  %s\n", w.Column, needs, declared, covered)
	}
	if len(short) > 0 {
		return fmt.Errorf("check warmup: features_horizon %d is shorter than the history %d of %d features need: %s",
			c.FeaturesHorizon, len(short), len(ws), strings.Join(short, ", "))
	}
	return nil
}
