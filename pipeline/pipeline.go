// Package pipeline is the orchestration the batch commands and the signal service share: it
// builds a config's generator chains (feature_sets, label_sets, signal_sets), checks the shape
// parameters that tie them to the config (features_horizon, label_horizon, columns created
// twice), and runs the features and labels stages over the data folder's files. cmd/tradectl
// adds only flags and printing.
package pipeline

import (
	"fmt"
	"log/slog"

	"github.com/tradectl/tradectl/features"
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/gen"
	"github.com/tradectl/tradectl/labels"
	"github.com/tradectl/tradectl/signals"
)

// Generators holds the built feature and label chains of a config.
type Generators struct {
	Features []gen.Step
	Labels   []gen.Step
}

// Build builds the feature and label generators and checks the shape parameters:
// features_horizon must cover every feature window, label_horizon every label horizon, and no
// two sets may create the same column. Errors name the config file and the key.
func Build(c *config.Config) (*Generators, error) {
	fs, err := gen.Build("feature_sets", c.FeatureSets, features.Default)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	ls, err := gen.Build("label_sets", c.LabelSets, labels.Default)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	if err := gen.CheckCollisions(append(append([]gen.Step{}, fs...), ls...)); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	if w, key := gen.MaxWindow(fs); w > c.FeaturesHorizon {
		return nil, fmt.Errorf("%s: %w: key \"features_horizon\" (%d) is smaller than the window %d of %s", c.Path, config.ErrConfig, c.FeaturesHorizon, w, key)
	}
	for _, s := range ls {
		if h, ok := s.Gen.(labels.Horizoner); ok && h.Horizon() > c.LabelHorizon {
			return nil, fmt.Errorf("%s: %w: key \"label_horizon\" (%d) is smaller than the horizon %d of %s", c.Path, config.ErrConfig, c.LabelHorizon, h.Horizon(), s.Key)
		}
	}
	return &Generators{Features: fs, Labels: ls}, nil
}

// Signals builds the signal_sets chain (none for an empty list) and checks that no two sets
// create the same column.
func Signals(c *config.Config) ([]gen.Step, error) {
	steps, err := gen.Build("signal_sets", c.SignalSets, signals.Default)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	if err := gen.CheckCollisions(steps); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	return steps, nil
}

// Stage is one file stage: the steps it applies and the files it reads and writes.
type Stage struct {
	// Name is "features" or "labels".
	Name string
	// Producer is the command that writes In.
	Producer string
	In, Out  string
	Steps    []gen.Step
	// Incremental is set for the features stage (labels look ahead and are always recomputed).
	Incremental bool
}

// Stage returns the features stage (merge_file_name -> feature_file_name) or the labels
// stage (feature_file_name -> matrix_file_name) of c.
func (g *Generators) Stage(c *config.Config, name string) (Stage, error) {
	switch name {
	case "features":
		return Stage{Name: name, Producer: "merge", In: c.File(c.MergeFileName), Out: c.File(c.FeatureFileName), Steps: g.Features, Incremental: true}, nil
	case "labels":
		return Stage{Name: name, Producer: "features", In: c.File(c.FeatureFileName), Out: c.File(c.MatrixFileName), Steps: g.Labels}, nil
	}
	return Stage{}, fmt.Errorf("pipeline: unknown stage %q", name)
}

// Run runs the stage over its files with the config's time column, row window and float
// precision (full forces a full recompute of an incremental stage), and logs what a user
// should know: rows the row window left out, columns empty in every row, NaN counts.
func (s Stage) Run(c *config.Config, full bool, log *slog.Logger) (features.Result, error) {
	res, err := features.RunFile(features.FileOptions{
		In: s.In, Out: s.Out, TimeColumn: c.TimeColumn, Window: c.WindowSize(),
		Incremental: s.Incremental, Full: full, Precision: c.FloatDecimals(), Steps: s.Steps, Logger: log,
	})
	if err != nil {
		return res, fmt.Errorf("%s: %w", s.Name, err)
	}
	if res.Dropped > 0 {
		WarnWindow(log, c, s.Name, s.In, res.Dropped)
	}
	if res.Mode == "full" && res.NewRows > 0 {
		for _, col := range res.Created {
			if res.NaN[col] == res.NewRows {
				log.Warn("column is empty (NaN) in every row: its window is longer than the data", "step", s.Name, "column", col, "rows", res.NewRows)
			}
		}
	}
	if sum := res.NaNSummary(); sum != "" {
		log.Info("NaN values in new columns (warm-up rows are expected)", "step", s.Name, "counts", sum)
	}
	return res, nil
}

// WarnWindow says that ITB's row window left out older rows of file, and why (a frequent
// surprise: with "train": false every step keeps only predict_length + features_horizon rows).
func WarnWindow(log *slog.Logger, c *config.Config, step, file string, dropped int) {
	why := fmt.Sprintf("train is false: predict_length %d + features_horizon %d", c.PredictLength, c.FeaturesHorizon)
	if c.Train {
		why = fmt.Sprintf("train is true: train_length %d + features_horizon %d", c.TrainLength, c.FeaturesHorizon)
	}
	log.Warn("row window: older rows left out", "step", step, "file", file, "dropped", dropped, "kept", c.WindowSize(), "because", why)
}
