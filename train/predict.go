package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train/metrics"
)

// LoadModels loads the model of every set x label x algorithm from folder and checks that
// each was trained on the set's features, in order, and that all come from the last complete
// training run (the folder's manifest; ErrModelSet otherwise).
func LoadModels(sets []Set, folder string) ([]*File, error) {
	man, err := ReadManifest(folder)
	if err != nil {
		if name, ok := firstMissing(sets, folder); ok {
			_, err = Load(folder, name) // never trained: ErrModelNotFound names the file
		}
		return nil, err
	}
	var out []*File
	for _, s := range sets {
		for _, label := range s.Labels {
			for _, a := range s.Algorithms {
				f, err := man.loadFromSet(folder, ModelName(label, a.Name))
				if err != nil {
					return nil, err
				}
				if err := f.CheckFeatures(s.Features); err != nil {
					return nil, err
				}
				if f.Algorithm.Algo != a.Algo {
					return nil, fmt.Errorf("%w: model %s was trained with algo %q, the config says %q (retrain it)", ErrFeatureMismatch, f.Name, f.Algorithm.Algo, a.Algo)
				}
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// Score adds one score column <label>_<algo> per model to f. Rows with a NaN feature get a
// NaN score. The models score in parallel (one goroutine per model, at most GOMAXPROCS at a
// time); the columns are added in the models' order. The batch predict step and the signal
// service both call it.
func Score(f *frame.Frame, models []*File) ([]string, error) {
	inputs := make([][][]float64, len(models))
	cleaned := map[string]bool{}
	for k, m := range models {
		cols := make([][]float64, len(m.Features))
		for j, n := range m.Features {
			c, err := f.Col(n)
			if err != nil {
				return nil, fmt.Errorf("model %s: %w", m.Name, err)
			}
			if !cleaned[n] { // once per column, before the models share it
				frame.FiniteOrNaN(c)
				cleaned[n] = true
			}
			cols[j] = c
		}
		inputs[k] = cols
	}
	outs := make([][]float64, len(models))
	errs := make([]error, len(models))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k, m := range models {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[k] = make([]float64, f.Len())
			errs[k] = m.Predict(inputs[k], outs[k])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := make([]string, len(models))
	for k, m := range models {
		if err := f.Set(m.Name, frame.Float, outs[k]); err != nil {
			return nil, err
		}
		names[k] = m.Name
	}
	return names, nil
}

// PriceColumns are the columns ITB carries into predictions.csv after the time column.
var PriceColumns = []string{"open", "high", "low", "close", "volume", "close_time"}

// PredictionColumns orders the predictions.csv columns as ITB does: scores, (time,) prices,
// labels; has says which columns the matrix holds.
func PredictionColumns(has func(string) bool, scores, labels []string) []string {
	out := slices.Clone(scores)
	for _, n := range PriceColumns {
		if has(n) {
			out = append(out, n)
		}
	}
	for _, n := range labels {
		if has(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Metric holds one score column's metrics: classification, or regression for a regression model.
type Metric struct {
	Classification *metrics.Classification
	Regression     *metrics.Regression
}

// Line formats the metrics as ITB's predictions.txt line.
func (m Metric) Line(name string) string {
	if m.Regression != nil {
		return m.Regression.Line(name)
	}
	return m.Classification.Line(name)
}

// MarshalJSON writes whichever metrics are set.
func (m Metric) MarshalJSON() ([]byte, error) {
	if m.Regression != nil {
		return json.Marshal(m.Regression)
	}
	return json.Marshal(m.Classification)
}

// ScoreMetrics computes the metrics of every model's score column whose label is in f:
// classification metrics, or MAE/MAPE/R2 for regression models, as ITB writes them.
func ScoreMetrics(f *frame.Frame, models []*File, log *slog.Logger) (map[string]Metric, []string, error) {
	res := map[string]Metric{}
	var order []string
	for _, mod := range models {
		s, label := mod.Name, mod.Label
		if !f.Has(label) || !f.Has(s) {
			continue
		}
		y, _ := f.Col(label)
		p, _ := f.Col(s)
		if mod.Regression {
			m, err := metrics.Regress(y, p)
			if err != nil {
				return nil, nil, fmt.Errorf("metrics of %s: %w", s, err)
			}
			res[s] = Metric{Regression: &m}
			order = append(order, s)
			continue
		}
		m, err := metrics.Classify(y, p)
		if err != nil {
			return nil, nil, fmt.Errorf("metrics of %s: %w", s, err)
		}
		if m.OneClass && log != nil {
			log.Warn("label has one class in the scored rows: AUC is written as 0 and AP is meaningless", "score", s, "label", label)
		}
		res[s] = Metric{Classification: &m}
		order = append(order, s)
	}
	return res, order, nil
}

// WriteMetrics appends ITB's lines to the .txt sibling of predictFile (one line per score
// column, then a blank line) and writes all metrics as JSON to the .metrics.json sibling.
func WriteMetrics(predictFile string, res map[string]Metric, order []string) error {
	if len(order) == 0 {
		return nil
	}
	stem := strings.TrimSuffix(predictFile, filepath.Ext(predictFile))
	var b strings.Builder
	for _, s := range order {
		b.WriteString(res[s].Line(s))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	fh, err := os.OpenFile(stem+".txt", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.WriteString(b.String()); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return frame.WriteAtomic(stem+".metrics.json", func(w io.Writer) error {
		_, err := w.Write(append(js, '\n'))
		return err
	})
}
