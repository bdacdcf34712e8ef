package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/progress"
	"github.com/tradectl/tradectl/train"
)

func newTrainCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "train",
		Short: "Fit one model per label x algorithm on matrix.csv into the model folder",
		Long: `train reads <matrix_file_name>, applies the row window, drops the last label_horizon rows
(their labels are unknown), keeps the last train_length rows, drops rows with an empty feature
or label, and fits every label x algorithm of train_feature_sets (default: train_features x
labels x algorithms). Algorithms: lc (logistic regression), gb (gradient-boosted trees), nn
(multilayer perceptron), svc (RBF SVM with Platt probabilities); each algorithm's params
(is_scale, length, every_nth_row) and train options use ITB's and the Python libraries' names.
Models go to <model_folder>/<label>_<name>.json: a versioned file with the feature list,
scaler, parameters and training window.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runTrain(c)
		},
	}
}

func (a *app) runTrain(c *config.Config) error {
	start := time.Now()
	if !c.Train {
		a.log.Warn("config has \"train\": false: train uses the predict row window (predict_length + features_horizon rows); set \"train\": true to train on train_length rows", "rows", c.WindowSize())
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	path := c.File(c.MatrixFileName)
	if err := needInput(path, "labels"); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m, err := frame.ReadFile(path, frame.ReadOptions{TimeColumn: c.TimeColumn, Columns: train.Columns(sets)})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m = m.Tail(c.WindowSize())
	// One progress bar per model (terminal only): rounds or epochs where the algorithm
	// reports them, elapsed time otherwise.
	var bar *progress.Bar
	current := ""
	showBars := a.deps.IsTerminal && !a.opts.noProgress
	train.Version = Version
	reports, err := train.Fit(m, train.Options{
		Sets: sets, LabelHorizon: c.LabelHorizon, TrainLength: c.TrainLength, ModelFolder: c.ModelPath(), Logger: a.log,
		Progress: func(model string, done, total int) {
			if model != current {
				bar.Finish()
				bar, current = progress.New(a.deps.Err, showBars, "train "+model, total), model
			}
			bar.SetTotal(total)
			bar.Set(done, "")
		},
	})
	bar.Finish()
	if err != nil {
		return err
	}
	for _, r := range reports {
		fmt.Fprintf(a.deps.Out, "train: %s: %d rows (%d positive), in-sample %s %.4f, %.2fs\n", r.Name, r.Rows, r.Positives, r.Metric, r.InSample, r.Seconds)
	}
	fmt.Fprintf(a.deps.Out, "train: %d models trained on %s, written to %s, in %s\n", len(reports), relPath(path), relPath(c.ModelPath()), since(start))
	return nil
}

func newPredictCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "predict",
		Short: "Score matrix.csv with the trained models into predictions.csv",
		Long: `predict reads <matrix_file_name> (labels optional), applies the row window and adds one
score column <label>_<name> per model: the model's probability of the label. Rows with an
empty feature get an empty score. It writes <predict_file_name> (default predictions.csv:
scores, timestamp, prices, labels) and, where the labels are present, appends ITB's metric
lines (auc, ap, f1, precision, recall) to predictions.txt and writes all metrics with the
confusion matrix to predictions.metrics.json. A model trained on other features than the
config names is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return err
			}
			return a.runPredict(c)
		},
	}
}

func (a *app) runPredict(c *config.Config) error {
	start := time.Now()
	if c.Train {
		a.log.Info("config has \"train\": true: predict scores the training row window (in-sample when it overlaps the training rows)", "rows", c.WindowSize())
	}
	sets, err := train.ResolveSets(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Path, err)
	}
	models, err := train.LoadModels(sets, c.ModelPath())
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	var feats, labels []string
	for _, s := range sets {
		for _, f := range s.Features {
			if !slices.Contains(feats, f) {
				feats = append(feats, f)
			}
		}
		for _, l := range s.Labels {
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
	}
	path := c.File(c.MatrixFileName)
	if err := needInput(path, "labels"); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	outPath := c.File(c.PredictFileName)
	// CSV to CSV: the price columns are copied from the matrix text while writing, so only
	// the features and labels are parsed and held.
	stream := strings.HasSuffix(path, ".csv") && strings.HasSuffix(outPath, ".csv")
	ropt := frame.ReadOptions{TimeColumn: c.TimeColumn, Columns: feats, Optional: append(slices.Clone(train.PriceColumns), labels...)}
	var inHeader []string
	if stream {
		if inHeader, err = frame.ReadCSVHeader(path); err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		ropt.Optional = labels
	}
	m, err := frame.ReadFile(path, ropt)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	rows := m.Len()
	m = m.Tail(c.WindowSize())
	scores, err := train.Score(m, models)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	// The metrics only read m, as writing does: they run while the predictions are written.
	var res map[string]train.Metric
	var order []string
	metricsDone := make(chan error, 1)
	go func() {
		var err error
		res, order, err = train.ScoreMetrics(m, models, a.log)
		metricsDone <- err
	}()
	werr := writePredictions(c, path, outPath, m, rows-m.Len(), inHeader, scores, labels)
	if err := cmp.Or(werr, <-metricsDone); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if err := train.WriteMetrics(outPath, res, order); err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	for _, s := range order {
		fmt.Fprintf(a.deps.Out, "predict: %s\n", res[s].Line(s))
	}
	fmt.Fprintf(a.deps.Out, "predict: wrote %s: %d rows, %d score columns in %s\n", relPath(outPath), m.Len(), len(scores), since(start))
	return nil
}

// writePredictions writes the scores, time, prices and labels (ITB's predictions.csv order).
// With the matrix's CSV header given (CSV to CSV), the price columns are copied from rows
// skip.. of the matrix text; otherwise every column comes from m.
func writePredictions(c *config.Config, matrix, outPath string, m *frame.Frame, skip int, inHeader, scores, labels []string) error {
	wopt := frame.WriteOptions{TimeColumn: c.TimeColumn, Precision: c.FloatDecimals(), TimePos: len(scores)}
	if inHeader != nil {
		cols := train.PredictionColumns(func(n string) bool { return slices.Contains(inHeader, n) }, scores, labels)
		header := slices.Insert(cols, len(scores), c.TimeColumn)
		return frame.WriteAtomic(outPath, func(w io.Writer) error { return frame.JoinCSV(w, matrix, m, skip, header, wopt) })
	}
	out, err := m.Select(train.PredictionColumns(m.Has, scores, labels)...)
	if err != nil {
		return err
	}
	return frame.WriteFile(outPath, out, wopt)
}
