// Package train is where model columns are born: it fits one model per label x algorithm on
// the feature matrix (ITB's train step, itb-behaviour.md §2.6), stores them in the model
// folder, and applies them (predict, §2.7). The algorithms live in sub-packages (logreg,
// gbdt, mlp, svm); this package owns the row windows, scaling, the model files and metrics.
// Batch commands and the signal service call the same Predict code.
package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train/metrics"
)

var nanValue = math.NaN()

// Sentinel errors of training.
var (
	// ErrNoRows is returned when no training rows remain after the windows and NaN filtering.
	ErrNoRows = errors.New("no training rows")
	// ErrOneClass is returned when a label has only one class among the training rows.
	ErrOneClass = errors.New("label has only one class")
	// ErrNotBinary is returned when a label column holds values other than 0/1.
	ErrNotBinary = errors.New("label is not binary")
)

// Set is a resolved train_feature_sets entry: which features predict which labels with which algorithms.
type Set struct {
	Features   []string
	Labels     []string
	Algorithms []config.Algorithm
}

// trainSetEntry is a train_feature_sets entry; ITB reads columns/labels/functions from its
// "config", its documentation shows them at the top level: both are accepted.
type trainSetEntry struct {
	Generator  string            `json:"generator"`
	Columns    []string          `json:"columns"`
	Features   []string          `json:"features"`
	Labels     []string          `json:"labels"`
	Functions  []json.RawMessage `json:"functions"`
	Algorithms []json.RawMessage `json:"algorithms"`
	Config     *trainSetEntry    `json:"config"`
}

// ResolveSets resolves the train_feature_sets of a config against its global train_features,
// labels and algorithms. With no entries it uses the globals as one set.
func ResolveSets(c *config.Config) ([]Set, error) {
	raws := c.TrainFeatureSets
	if len(raws) == 0 {
		raws = []json.RawMessage{json.RawMessage("{}")}
	}
	var sets []Set
	for i, raw := range raws {
		key := fmt.Sprintf("train_feature_sets[%d]", i)
		var e trainSetEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", config.ErrConfig, key, err)
		}
		if e.Config != nil {
			e.Columns = firstNonEmpty(e.Config.Columns, e.Columns)
			e.Features = firstNonEmpty(e.Config.Features, e.Features)
			e.Labels = firstNonEmpty(e.Config.Labels, e.Labels)
			if len(e.Config.Functions) > 0 {
				e.Functions = e.Config.Functions
			}
			if len(e.Config.Algorithms) > 0 {
				e.Algorithms = e.Config.Algorithms
			}
		}
		s := Set{Features: firstNonEmpty(e.Columns, e.Features, c.TrainFeatures), Labels: firstNonEmpty(e.Labels, c.Labels)}
		items := e.Functions
		if len(items) == 0 {
			items = e.Algorithms
		}
		if len(items) == 0 {
			s.Algorithms = c.Algorithms
		}
		for j, it := range items {
			var name string
			if json.Unmarshal(it, &name) == nil {
				k := slices.IndexFunc(c.Algorithms, func(a config.Algorithm) bool { return a.Name == name })
				if k < 0 {
					return nil, fmt.Errorf("%w: key %q: algorithm %q is not in algorithms", config.ErrConfig, fmt.Sprintf("%s.algorithms[%d]", key, j), name)
				}
				s.Algorithms = append(s.Algorithms, c.Algorithms[k])
				continue
			}
			var a config.Algorithm
			if err := json.Unmarshal(it, &a); err != nil {
				return nil, fmt.Errorf("%w: key %q: %v", config.ErrConfig, fmt.Sprintf("%s.algorithms[%d]", key, j), err)
			}
			s.Algorithms = append(s.Algorithms, a)
		}
		switch {
		case len(s.Features) == 0:
			return nil, fmt.Errorf("%w: key %q: no features (set train_features)", config.ErrConfig, key)
		case len(s.Labels) == 0:
			return nil, fmt.Errorf("%w: key %q: no labels (set labels)", config.ErrConfig, key)
		case len(s.Algorithms) == 0:
			return nil, fmt.Errorf("%w: key %q: no algorithms (set algorithms)", config.ErrConfig, key)
		}
		for j, a := range s.Algorithms {
			alg, err := lookupAlgorithm(a.Algo)
			if err != nil {
				return nil, fmt.Errorf("%w: key %q: %v", config.ErrConfig, fmt.Sprintf("%s.algorithms[%d].algo", key, j), err)
			}
			if _, err := parseParams(a.Params, a.Algo, alg.scaleByDefault); err != nil {
				return nil, fmt.Errorf("%w: algorithm %q: %v", config.ErrConfig, a.Name, err)
			}
		}
		sets = append(sets, s)
	}
	return sets, nil
}

func firstNonEmpty(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

// Options configure a training run.
type Options struct {
	Sets []Set
	// LabelHorizon rows at the end are dropped (their labels are unknown).
	LabelHorizon int
	// TrainLength keeps the last TrainLength rows after that (0 = all).
	TrainLength int
	// ModelFolder receives the model files.
	ModelFolder string
	Logger      *slog.Logger
	// Progress, if set, is called with (model, 0, 0) when a model starts and with the steps
	// done and the total while algorithms that iterate (gb rounds, nn epochs) run.
	Progress func(model string, done, total int)
	// NoInSample skips scoring the training rows (Report.Metric and InSample stay empty),
	// for callers that score other rows anyway (walk-forward).
	NoInSample bool
}

// Report describes one trained model.
type Report struct {
	Name string
	Rows int
	// Positives counts rows with a true (classification) or positive (regression) label.
	Positives int
	Seconds   float64
	// Metric names InSample: "AUC" for classifiers, "R2" for regressors.
	Metric   string
	InSample float64
}

// Columns lists the matrix columns a training run reads.
func Columns(sets []Set) []string {
	var out []string
	for _, s := range sets {
		for _, n := range append(slices.Clone(s.Features), s.Labels...) {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// Fit trains every label x algorithm of every set on m (already cut to the row window) and
// saves the models as one set: the old manifest is removed, every model file written, then
// the manifest naming them (so a run killed half-way never leaves a set predict would use).
// m must hold the set's features and labels. Nothing is saved when any model fails.
func Fit(m *frame.Frame, opt Options) ([]Report, error) {
	files, reports, err := FitModels(m, opt)
	if err != nil {
		return reports, err
	}
	if err := BeginModelSet(opt.ModelFolder); err != nil {
		return reports, err
	}
	for _, f := range files {
		if err := f.Save(opt.ModelFolder); err != nil {
			return reports, err
		}
	}
	return reports, writeManifest(opt.ModelFolder, reports)
}

// FitModels trains every label x algorithm of every set on m like Fit and returns the models
// in memory, in set x label x algorithm order, without writing anything (opt.ModelFolder is
// not used). Walk-forward runs score them at once with Score.
func FitModels(m *frame.Frame, opt Options) ([]*File, []Report, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := m.Len()
	if opt.LabelHorizon > 0 {
		n = max(0, n-opt.LabelHorizon)
	}
	rows := m.Slice(0, n).Tail(opt.TrainLength)
	var files []*File
	var reports []Report
	for _, s := range opt.Sets {
		keep, err := completeRows(rows, s)
		if err != nil {
			var names []string
			for _, label := range s.Labels {
				for _, a := range s.Algorithms {
					names = append(names, ModelName(label, a.Name))
				}
			}
			return files, reports, fmt.Errorf("train %s: %w", strings.Join(names, ", "), err)
		}
		// One design (rows and scaled features) per algorithm serves every label.
		setFiles := make([]*File, len(s.Labels)*len(s.Algorithms))
		setReports := make([]Report, len(setFiles))
		for j, a := range s.Algorithms {
			d, err := newDesign(rows, keep, s.Features, a)
			if err != nil {
				return files, reports, fmt.Errorf("train %s: %w", ModelName(s.Labels[0], a.Name), err)
			}
			for i, label := range s.Labels {
				if opt.Progress != nil {
					opt.Progress(ModelName(label, a.Name), 0, 0)
				}
				f, r, err := fitOne(rows, d, s.Features, label, a, opt)
				if err != nil {
					return files, reports, fmt.Errorf("train %s: %w", ModelName(label, a.Name), err)
				}
				setFiles[i*len(s.Algorithms)+j], setReports[i*len(s.Algorithms)+j] = f, r
			}
		}
		for _, r := range setReports {
			log.Info("trained", "model", r.Name, "rows", r.Rows, "positives", r.Positives,
				"seconds", math.Round(r.Seconds*1000)/1000, "in_sample_"+strings.ToLower(r.Metric), math.Round(r.InSample*10000)/10000)
		}
		files = append(files, setFiles...)
		reports = append(reports, setReports...)
	}
	return files, reports, nil
}

// completeRows returns the rows with no NaN in the set's features and labels, or an error
// naming the column that empties the training data.
func completeRows(f *frame.Frame, s Set) ([]int, error) {
	keep := make([]int, 0, f.Len())
	cols := make([][]float64, 0, len(s.Features)+len(s.Labels))
	for _, n := range append(slices.Clone(s.Features), s.Labels...) {
		c, err := f.Col(n)
		if err != nil {
			return nil, err
		}
		frame.FiniteOrNaN(c)
		allNaN := true
		for _, v := range c {
			if v == v {
				allNaN = false
				break
			}
		}
		if allNaN && f.Len() > 0 {
			return nil, fmt.Errorf("%w: column %q is empty (NaN) in all %d rows of the training window", ErrNoRows, n, f.Len())
		}
		cols = append(cols, c)
	}
	for i := 0; i < f.Len(); i++ {
		ok := true
		for _, c := range cols {
			if c[i] != c[i] {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: none of the %d rows in the training window has all features and labels", ErrNoRows, f.Len())
	}
	return keep, nil
}

// design is what one algorithm entry trains every label of a set on: its rows (after
// every_nth_row and length) and their features, scaled when is_scale. Algorithms only read
// the features, so one copy serves all labels.
type design struct {
	alg    algorithm
	p      Params
	rows   []int
	x      [][]float64
	scaler *Scaler
}

func newDesign(f *frame.Frame, keep []int, feats []string, a config.Algorithm) (*design, error) {
	alg, p, err := algorithmParams(a)
	if err != nil {
		return nil, err
	}
	rows := keep
	if p.EveryNthRow > 1 {
		sub := make([]int, 0, len(rows)/p.EveryNthRow+1)
		for i := 0; i < len(rows); i += p.EveryNthRow {
			sub = append(sub, rows[i])
		}
		rows = sub
	}
	if p.Length > 0 && len(rows) > p.Length {
		rows = rows[len(rows)-p.Length:]
	}
	d := &design{alg: alg, p: p, rows: rows, x: make([][]float64, len(feats))}
	for j, n := range feats {
		c, _ := f.Col(n)
		d.x[j] = gather(c, rows)
	}
	if p.IsScale {
		d.scaler = FitScaler(d.x)
		d.scaler.TransformInPlace(d.x) // d.x holds this design's own copies
	}
	return d, nil
}

func fitOne(f *frame.Frame, d *design, feats []string, label string, a config.Algorithm, opt Options) (*File, Report, error) {
	name := ModelName(label, a.Name)
	alg, p, rows, x := d.alg, d.p, d.rows, d.x
	lc, _ := f.Col(label)
	y := gather(lc, rows)
	pos := 0
	for _, v := range y {
		switch {
		case p.IsRegression:
			if v > 0 {
				pos++
			}
		case v == 1:
			pos++
		case v != 0:
			return nil, Report{}, fmt.Errorf("%w: %q holds %v (classifiers need True/False or 0/1; set params.is_regression for a numeric label)", ErrNotBinary, label, v)
		}
	}
	if !p.IsRegression && (pos == 0 || pos == len(y)) {
		return nil, Report{}, fmt.Errorf("%w: %q is %v in all %d training rows", ErrOneClass, label, pos > 0, len(y))
	}
	file := newFile(label, a, feats, p.IsRegression)
	file.Training = Training{First: frame.FormatTime(f.Time[rows[0]]), Last: frame.FormatTime(f.Time[rows[len(rows)-1]]),
		Rows: len(rows), Positives: pos}
	file.Scaler = d.scaler
	start := time.Now()
	var progress func(done, total int)
	if opt.Progress != nil {
		progress = func(done, total int) { opt.Progress(name, done, total) }
	}
	model, err := alg.fit(x, y, p, a.Train, progress)
	if err != nil {
		return nil, Report{}, fmt.Errorf("%w: %v", ErrParams, err)
	}
	secs := time.Since(start).Seconds()
	file.model = model
	r := Report{Name: name, Rows: len(rows), Positives: pos, Seconds: secs}
	if opt.NoInSample {
		return file, r, nil
	}
	pred := make([]float64, len(y))
	if err := model.PredictProba(x, pred); err != nil {
		return nil, Report{}, err
	}
	r.Metric = "AUC"
	if p.IsRegression {
		m, err := metrics.Regress(y, pred)
		if err != nil {
			return nil, Report{}, err
		}
		r.Metric, r.InSample = "R2", m.R2
	} else {
		m, err := metrics.Classify(y, pred)
		if err != nil {
			return nil, Report{}, err
		}
		r.InSample = m.AUC
	}
	return file, r, nil
}

func newFile(label string, a config.Algorithm, feats []string, regression bool) *File {
	return &File{
		TradectlVersion: Version, Name: ModelName(label, a.Name), Label: label,
		Algorithm:  AlgorithmSpec{Name: a.Name, Algo: a.Algo, Params: compact(a.Params), Train: compact(a.Train)},
		Regression: regression,
		Features:   slices.Clone(feats),
	}
}

// Untrained returns, in FitModels' order, what FitModels would return for the sets without
// fitting anything: each model's name, label, algorithm entry, features and regression flag.
// The files cannot predict; they describe score columns (e.g. for ScoreMetrics).
func Untrained(sets []Set) ([]*File, error) {
	var out []*File
	for _, s := range sets {
		for _, label := range s.Labels {
			for _, a := range s.Algorithms {
				_, p, err := algorithmParams(a)
				if err != nil {
					return nil, err
				}
				out = append(out, newFile(label, a, s.Features, p.IsRegression))
			}
		}
	}
	return out, nil
}

// gather copies c at the ascending row indices idx (one block copy when they are contiguous,
// as they are once the warm-up rows are dropped).
func gather(c []float64, idx []int) []float64 {
	out := frame.MakeFloats(len(idx))
	if n := len(idx); n > 0 && idx[n-1]-idx[0] == n-1 {
		copy(out, c[idx[0]:idx[n-1]+1])
		return out
	}
	for k, i := range idx {
		out[k] = c[i]
	}
	return out
}

func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// Version is the tradectl version written into model files (set by the CLI).
var Version = "dev"
