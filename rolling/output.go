package rolling

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train"
)

// Write writes the predictions (path, e.g. predictions.csv: the columns predict writes, one
// row per predicted row), appends the metric lines to its .txt sibling (one line per fold and
// score column, then ITB's overall lines and a blank line) and writes its .metrics.json
// sibling (the plan, each fold's rows and metrics, the overall metrics). Nothing in them
// depends on which folds came from the cache.
func (out *Output) Write(path, timeColumn string) error {
	f, err := out.Frame.Select(out.Columns...)
	if err != nil {
		return err
	}
	if err := frame.WriteFile(path, f, frame.WriteOptions{TimeColumn: timeColumn, Precision: 6, TimePos: len(out.Scores)}); err != nil {
		return err
	}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	if err := appendFile(stem+".txt", out.MetricLines()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(out.metricsFile(), "", "  ")
	if err != nil {
		return err
	}
	return frame.WriteAtomic(stem+".metrics.json", func(w io.Writer) error {
		_, err := w.Write(append(js, '\n'))
		return err
	})
}

// MetricLines is the block Write appends to predictions.txt.
func (out *Output) MetricLines() string {
	var b strings.Builder
	for _, f := range out.Folds {
		for _, s := range f.Order {
			fmt.Fprintf(&b, "rolling fold %d/%d %s .. %s: %s\n", f.Index+1, len(out.Folds),
				frame.FormatTime(out.Frame.Time[f.PredictStart-out.Plan.Start]), frame.FormatTime(out.Frame.Time[f.PredictEnd-1-out.Plan.Start]), f.Metrics[s].Line(s))
		}
	}
	for _, s := range out.Order {
		b.WriteString(out.Metrics[s].Line(s))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

type foldJSON struct {
	Fold         int                     `json:"fold"`
	PredictFirst string                  `json:"predict_first"`
	PredictLast  string                  `json:"predict_last"`
	PredictRows  int                     `json:"predict_rows"`
	TrainFirst   string                  `json:"train_first"`
	TrainLast    string                  `json:"train_last"`
	TrainRows    int                     `json:"train_rows"`
	Hash         string                  `json:"hash"`
	Metrics      map[string]train.Metric `json:"metrics"`
}

type metricsJSON struct {
	PredictionStart string                  `json:"prediction_start"`
	PredictionSize  int                     `json:"prediction_size"`
	PredictionSteps int                     `json:"prediction_steps"`
	Derived         string                  `json:"derived,omitempty"`
	Folds           []foldJSON              `json:"folds"`
	Overall         map[string]train.Metric `json:"overall"`
}

func (out *Output) metricsFile() metricsJSON {
	p := out.Plan
	m := metricsJSON{PredictionStart: frame.FormatTime(out.Frame.Time[0]), PredictionSize: p.Size, PredictionSteps: p.Steps,
		Derived: p.Derived, Overall: out.Metrics}
	for _, f := range out.Folds {
		m.Folds = append(m.Folds, foldJSON{
			Fold:         f.Index + 1,
			PredictFirst: frame.FormatTime(out.Frame.Time[f.PredictStart-p.Start]),
			PredictLast:  frame.FormatTime(out.Frame.Time[f.PredictEnd-1-p.Start]),
			PredictRows:  f.PredictEnd - f.PredictStart,
			TrainFirst:   frame.FormatTime(f.TrainFirst),
			TrainLast:    frame.FormatTime(f.TrainLast),
			TrainRows:    f.TrainEnd - f.TrainStart,
			Hash:         f.Hash,
			Metrics:      f.Metrics,
		})
	}
	return m
}

// appendFile appends text to a file (created if missing), as ITB appends predictions.txt.
func appendFile(path, text string) error {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(text); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
