package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/progress"
	"github.com/tradectl/tradectl/pipeline"
	"github.com/tradectl/tradectl/rolling"
	"github.com/tradectl/tradectl/train"
)

func newRollingCmd(a *app) *cobra.Command {
	var (
		jobs    int
		noCache bool
	)
	cmd := &cobra.Command{
		Use:   "rolling",
		Short: "Walk-forward (out-of-sample) predictions over matrix.csv into predictions.csv",
		Long: `rolling reads <matrix_file_name> (all rows: no row window), keeps the rows between
rolling_predict's data_start and data_end (a row number or a timestamp), and predicts
prediction_steps folds of prediction_size rows from prediction_start (a row number or a
timestamp); leave one of the three null and it is derived from the others. Each fold's models
are trained on the rows before it, ending label_horizon + 1 rows before the fold so that no
training label looks into the predicted rows; with train_length > 0 the training window
slides (train_length rows), otherwise it grows from data_start. Models are retrained for
every fold and not written to the model folder.

It writes <predict_file_name> (default predictions.csv, the columns predict writes, exactly
prediction_size x prediction_steps rows), appends metric lines per fold and overall to
predictions.txt and writes them to predictions.metrics.json.

Finished folds are kept in <data_folder>/<symbol>/rolling-cache/, named by a hash of what they
depend on (their training and predicted rows, the train sets and algorithm entries, the model
format): an interrupted run resumes where it stopped, a repeated run recomputes nothing, and a
changed input or config recomputes only the folds it affects. Folds run in parallel (--jobs);
the output is the same for any --jobs.

Input: <matrix_file_name> (run labels first) and the keys train_features, labels,
algorithms, label_horizon, train_length and rolling_predict. Next: tradectl signals.
Example, ITB's weekly folds over the last 12 weeks of the data:
  "rolling_predict": {"data_start": 0, "prediction_start": null,
                      "prediction_size": 10080, "prediction_steps": 12}
  tradectl rolling -c config.jsonc --jobs 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runRolling(cmd, c, jobs, noCache)
		},
	}
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "folds trained at once (default: the number of cores)")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "neither read nor write the fold cache")
	return cmd
}

func (a *app) runRolling(cmd *cobra.Command, c *config.Config, jobs int, noCache bool) error {
	start := time.Now()
	rp, err := c.Rolling()
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	// The purge gap is label_horizon + 1 rows: a label_horizon shorter than a label's
	// horizon would let training labels see predicted rows.
	if _, err := pipeline.Build(c); err != nil {
		return err
	}
	path := c.File(c.MatrixFileName)
	if err := needInput(path, "labels"); err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	var optional []string
	for _, n := range train.PriceColumns {
		if !slices.Contains(train.Columns(sets), n) {
			optional = append(optional, n)
		}
	}
	m, err := frame.ReadFile(path, frame.ReadOptions{TimeColumn: c.TimeColumn, Columns: train.Columns(sets), Optional: optional})
	if err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	cacheDir := c.File("rolling-cache")
	if noCache {
		cacheDir = ""
	}
	var bar *progress.Bar
	train.Version = Version
	out, err := rolling.Run(cmd.Context(), m, rolling.Options{
		Sets: sets, Rolling: rp, LabelHorizon: c.LabelHorizon, TrainLength: c.TrainLength,
		CacheDir: cacheDir, Jobs: jobs, Logger: a.log, LimitMemory: true,
		Progress: func(done, total int) {
			if bar == nil {
				bar = progress.New(a.deps.Err, a.deps.IsTerminal && !a.opts.noProgress, "rolling folds", total)
			}
			bar.Set(done, "")
		},
	})
	bar.Finish()
	if err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	outPath := c.File(c.PredictFileName)
	if err := out.Write(outPath, c.TimeColumn); err != nil {
		return fmt.Errorf("rolling: %w", err)
	}
	a.printRolling(out)
	fmt.Fprintf(a.deps.Out, "rolling: wrote %s: %d rows, %d score columns in %s\n", relPath(outPath), out.Frame.Len(), len(out.Scores), since(start))
	return nil
}

func (a *app) printRolling(out *rolling.Output) {
	p := out.Plan
	derived := ""
	if p.Derived != "" {
		derived = fmt.Sprintf(" (%s derived)", p.Derived)
	}
	fmt.Fprintf(a.deps.Out, "rolling: %d folds of %d rows from %s%s\n", p.Steps, p.Size, frame.FormatTime(out.Frame.Time[0]), derived)
	for _, f := range out.Folds {
		how := "trained"
		if f.Cached {
			how = "cached"
		}
		fmt.Fprintf(a.deps.Out, "rolling: fold %d/%d: predict %s .. %s, train %d rows %s .. %s (%s)\n", f.Index+1, len(out.Folds),
			frame.FormatTime(out.Frame.Time[f.PredictStart-p.Start]), frame.FormatTime(out.Frame.Time[f.PredictEnd-1-p.Start]),
			f.TrainEnd-f.TrainStart, frame.FormatTime(f.TrainFirst), frame.FormatTime(f.TrainLast), how)
		for _, s := range f.Order {
			fmt.Fprintf(a.deps.Out, "rolling:   %s\n", f.Metrics[s].Line(s))
		}
	}
	for _, s := range out.Order {
		fmt.Fprintf(a.deps.Out, "rolling: overall %s\n", out.Metrics[s].Line(s))
	}
	switch {
	case out.Computed == 0:
		fmt.Fprintf(a.deps.Out, "rolling: all %d folds from the cache, nothing recomputed\n", out.Cached)
	case out.Cached > 0:
		fmt.Fprintf(a.deps.Out, "rolling: %d folds from the cache, %d trained\n", out.Cached, out.Computed)
	}
}
