package rolling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train"
)

const horizon = 20 // label horizon of the test matrix

// bars is a seeded random walk of closes with some momentum (so models learn something).
func bars(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	c := make([]float64, n)
	p, drift := 100.0, 0.0
	for i := range c {
		drift = 0.9*drift + 0.0003*rng.NormFloat64()
		p *= math.Exp(drift + 0.001*rng.NormFloat64())
		c[i] = p
	}
	return c
}

// matrixOf builds a feature matrix from closes the way the pipeline does: features from the
// current and past bars only (returns over 1, 5 and 15 bars, NaN in the warm-up), the label
// from the next `horizon` bars (the close rises 0.2% within them; false for the last rows,
// whose future is unknown, as ITB writes them).
func matrixOf(close []float64) *frame.Frame {
	n := len(close)
	f := frame.New(minutes(n))
	for _, w := range []int{1, 5, 15} {
		r := frame.NaNs(n)
		for i := w; i < n; i++ {
			r[i] = close[i]/close[i-w] - 1
		}
		f.Set(fmt.Sprintf("ret_%d", w), frame.Float, r)
	}
	y := make([]float64, n)
	for i := 0; i+horizon < n; i++ {
		for j := i + 1; j <= i+horizon; j++ {
			if close[j] > close[i]*1.002 {
				y[i] = 1
				break
			}
		}
	}
	f.Set("up", frame.Bool, y)
	f.Set("close", frame.Float, slices.Clone(close))
	return f
}

var testSets = []train.Set{{
	Features: []string{"ret_1", "ret_5", "ret_15"},
	Labels:   []string{"up"},
	Algorithms: []config.Algorithm{
		{Name: "lc", Algo: "lc", Params: json.RawMessage(`{"is_scale": true}`), Train: json.RawMessage(`{"C": 1.0, "max_iter": 50}`)},
	},
}}

func options(t *testing.T, cfg string, cache string) Options {
	return Options{Sets: testSets, Rolling: rollingConfig(t, cfg), LabelHorizon: horizon, CacheDir: cache, Jobs: 2}
}

const fourFolds = `{"prediction_size": 500, "prediction_steps": 4}`

func run(t *testing.T, m *frame.Frame, opt Options) *Output {
	t.Helper()
	out, err := Run(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// written returns the files Write produces (the .txt block only once).
func written(t *testing.T, out *Output) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := out.Write(filepath.Join(dir, "predictions.csv"), "timestamp"); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, n := range []string{"predictions.csv", "predictions.txt", "predictions.metrics.json"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return files
}

func sameFiles(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	for n := range a {
		if !bytes.Equal(a[n], b[n]) {
			t.Fatalf("%s: %s differs", what, n)
		}
	}
}

func foldScores(out *Output, k int) []float64 {
	f := out.Folds[k]
	s, _ := out.Frame.Col("up_lc")
	return s[f.PredictStart-out.Plan.Start : f.PredictEnd-out.Plan.Start]
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestOutputShape(t *testing.T) {
	out := run(t, matrixOf(bars(4000, 1)), options(t, fourFolds, ""))
	if out.Frame.Len() != 2000 || out.Plan.Start != 2000 || len(out.Folds) != 4 || out.Computed != 4 {
		t.Fatalf("rows %d, plan %+v, folds %d, computed %d", out.Frame.Len(), out.Plan, len(out.Folds), out.Computed)
	}
	files := written(t, out)
	lines := strings.Split(strings.TrimSuffix(string(files["predictions.csv"]), "\n"), "\n")
	if lines[0] != "up_lc,timestamp,close,up" || len(lines) != 2001 {
		t.Fatalf("predictions.csv: %d lines, header %q", len(lines), lines[0])
	}
	if !strings.HasPrefix(lines[1], "0.") || !strings.Contains(lines[1], ",2024-01-02 09:20:00+00:00,") {
		t.Fatalf("first row %q", lines[1])
	}
	txt := string(files["predictions.txt"])
	if !strings.HasPrefix(txt, "rolling fold 1/4 2024-01-02 09:20:00+00:00 .. 2024-01-02 17:39:00+00:00: up_lc: {'auc': ") ||
		!strings.Contains(txt, "\nup_lc: {'auc': ") || !strings.HasSuffix(txt, "}\n\n") {
		t.Fatalf("predictions.txt:\n%s", txt)
	}
	var js struct {
		Folds []struct {
			TrainRows    int    `json:"train_rows"`
			TrainLast    string `json:"train_last"`
			PredictFirst string `json:"predict_first"`
			PredictRows  int    `json:"predict_rows"`
		}
		Overall map[string]map[string]any
	}
	if err := json.Unmarshal(files["predictions.metrics.json"], &js); err != nil {
		t.Fatal(err)
	}
	// Fold 1 predicts from row 2000 and trains on rows [0, 2000-21): the last training row is
	// 1978, 21 minutes before the first predicted row.
	f1 := js.Folds[0]
	if len(js.Folds) != 4 || f1.TrainRows != 1979 || f1.TrainLast != "2024-01-02 08:58:00+00:00" || f1.PredictFirst != "2024-01-02 09:20:00+00:00" || f1.PredictRows != 500 {
		t.Fatalf("metrics.json folds: %+v", js.Folds)
	}
	if auc, ok := js.Overall["up_lc"]["auc"].(float64); !ok || auc < 0.55 {
		t.Fatalf("overall metrics %v (the momentum should give an AUC above 0.55)", js.Overall)
	}
}

// No leakage, part 1: a model trained for fold k never saw a row whose label window reaches
// into fold k's predicted rows. Flipping every label whose window reaches at or after fold
// k's first row (features untouched) changes none of fold k's scores.
func TestNoLeakageFromLabels(t *testing.T) {
	closes := bars(4000, 2)
	base := run(t, matrixOf(closes), options(t, fourFolds, ""))
	for k := range base.Folds {
		m := matrixOf(closes)
		y, _ := m.Col("up")
		for i := max(0, base.Folds[k].PredictStart-horizon); i < len(y); i++ {
			y[i] = 1 - y[i]
		}
		got := run(t, m, options(t, fourFolds, ""))
		for j := 0; j <= k; j++ {
			if !sameBits(foldScores(got, j), foldScores(base, j)) {
				t.Fatalf("flipping the labels that look into fold %d changed the scores of fold %d", k+1, j+1)
			}
		}
	}
}

// No leakage, part 2: rewriting every bar after fold k's end (and recomputing features and
// labels from the bars) changes none of the scores of folds 1..k.
func TestNoLeakageFromLaterBars(t *testing.T) {
	closes := bars(4000, 3)
	base := run(t, matrixOf(closes), options(t, fourFolds, ""))
	for k := range base.Folds[:3] {
		other := slices.Clone(closes)
		rewrite := bars(len(closes), 99)
		for i := base.Folds[k].PredictEnd; i < len(other); i++ {
			other[i] = rewrite[i] * 1.3
		}
		got := run(t, matrixOf(other), options(t, fourFolds, ""))
		for j := 0; j <= k; j++ {
			if !sameBits(foldScores(got, j), foldScores(base, j)) {
				t.Fatalf("rewriting the bars after fold %d changed the scores of fold %d", k+1, j+1)
			}
		}
		if sameBits(foldScores(got, k+1), foldScores(base, k+1)) {
			t.Fatalf("rewriting the bars after fold %d left fold %d unchanged: the test does not rewrite anything", k+1, k+2)
		}
	}
}

// The output is byte-identical for any number of jobs, any result order, and with or
// without the cache.
func TestDeterministic(t *testing.T) {
	closes := bars(4000, 4)
	var want map[string][]byte
	for _, jobs := range []int{1, 2, 4} {
		opt := options(t, fourFolds, "")
		opt.Jobs = jobs
		got := written(t, run(t, matrixOf(closes), opt))
		if want == nil {
			want = got
			continue
		}
		sameFiles(t, "jobs", want, got)
	}
	opt := options(t, fourFolds, "")
	m := matrixOf(closes)
	opt.Executor = reversed{data: m}
	sameFiles(t, "results in reverse order", want, written(t, run(t, m, opt)))
	cache := t.TempDir()
	run(t, matrixOf(closes), options(t, fourFolds, cache))
	out := run(t, matrixOf(closes), options(t, fourFolds, cache))
	if out.Cached != 4 || out.Computed != 0 {
		t.Fatalf("second run: %d cached, %d computed", out.Cached, out.Computed)
	}
	sameFiles(t, "from the cache", want, written(t, out))
}

// reversed is an Executor that runs the tasks through JSON (as a distributed queue would),
// delivers the results last first and one of them twice.
type reversed struct{ data *frame.Frame }

func (r reversed) Run(_ context.Context, tasks []Task) (<-chan Result, error) {
	b, err := json.Marshal(tasks)
	if err != nil {
		return nil, err
	}
	var shipped []Task
	if err := json.Unmarshal(b, &shipped); err != nil {
		return nil, err
	}
	out := make(chan Result, len(tasks)+1)
	for i := len(shipped) - 1; i >= 0; i-- {
		out <- RunTask(r.data, shipped[i])
	}
	out <- RunTask(r.data, shipped[0]) // delivered twice, as a retrying queue may
	close(out)
	return out, nil
}

// computed returns which folds a run trained (1-based).
func computed(out *Output) []int {
	var ks []int
	for _, f := range out.Folds {
		if !f.Cached {
			ks = append(ks, f.Index+1)
		}
	}
	return ks
}

// The cache is keyed by what each fold depends on: a changed input or config invalidates
// exactly the folds it affects.
func TestCacheInvalidation(t *testing.T) {
	closes := bars(4500, 5)
	fixed := `{"prediction_start": 2000, "prediction_size": 500, "prediction_steps": 4}`
	cases := []struct {
		name string
		cfg  string
		edit func(m *frame.Frame) *frame.Frame
		opt  func(o *Options)
		want []int
	}{
		{"nothing changed", fixed, nil, nil, nil},
		{"an appended row, fixed start", fixed, func(*frame.Frame) *frame.Frame { return matrixOf(append(slices.Clone(closes), 130)) }, nil, nil},
		{"an appended row, start derived from the end", `{"prediction_size": 500, "prediction_steps": 4}`,
			func(*frame.Frame) *frame.Frame { return matrixOf(append(slices.Clone(closes), 130)) }, nil, []int{1, 2, 3, 4}},
		{"rows appended until one more fold fits, steps derived", `{"prediction_start": 2000, "prediction_size": 500}`,
			func(m *frame.Frame) *frame.Frame { return matrixOf(append(slices.Clone(closes), bars(1000, 6)...)) }, nil, []int{6, 7}},
		{"a feature in fold 3's rows", fixed, func(m *frame.Frame) *frame.Frame {
			r, _ := m.Col("ret_1")
			r[3100] += 0.01
			return m
		}, nil, []int{3, 4}},
		{"a label in fold 2's rows: only later folds train on it", fixed, func(m *frame.Frame) *frame.Frame {
			y, _ := m.Col("up")
			y[2600] = 1 - y[2600]
			return m
		}, nil, []int{3, 4}},
		{"a sliding window of 2200 rows: fold 1 (1979 training rows) is the same", fixed, nil, func(o *Options) { o.TrainLength = 2200 }, []int{2, 3, 4}},
		{"an algorithm entry", fixed, nil, func(o *Options) {
			o.Sets = []train.Set{testSets[0]}
			o.Sets[0].Algorithms = []config.Algorithm{testSets[0].Algorithms[0]}
			o.Sets[0].Algorithms[0].Train = json.RawMessage(`{"C": 0.5, "max_iter": 50}`)
		}, []int{1, 2, 3, 4}},
		{"the same algorithm entry reformatted", fixed, nil, func(o *Options) {
			o.Sets = []train.Set{testSets[0]}
			o.Sets[0].Algorithms = []config.Algorithm{testSets[0].Algorithms[0]}
			o.Sets[0].Algorithms[0].Train = json.RawMessage(`{ "max_iter": 50,  "C": 1.0 }`)
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			first := run(t, matrixOf(closes), options(t, c.cfg, cache))
			if first.Computed != len(first.Folds) {
				t.Fatalf("first run computed %d of %d", first.Computed, len(first.Folds))
			}
			edited := func() *frame.Frame {
				if c.edit != nil {
					return c.edit(matrixOf(closes))
				}
				return matrixOf(closes)
			}
			opt := options(t, c.cfg, cache)
			if c.opt != nil {
				c.opt(&opt)
			}
			second := run(t, edited(), opt)
			if got := computed(second); !slices.Equal(got, c.want) {
				t.Fatalf("recomputed folds %v, want %v", got, c.want)
			}
			if testing.Short() {
				return
			}
			// Whatever came from the cache equals a run without it.
			opt.CacheDir = ""
			sameFiles(t, "cached vs fresh", written(t, run(t, edited(), opt)), written(t, second))
		})
	}
}

func TestUnusableCacheFileIsRecomputed(t *testing.T) {
	closes := bars(4000, 7)
	cache := t.TempDir()
	first := run(t, matrixOf(closes), options(t, fourFolds, cache))
	want := written(t, first)
	p := filepath.Join(cache, first.Folds[1].Hash+frame.ParquetExt)
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, matrixOf(closes), options(t, fourFolds, cache))
	if got := computed(out); !slices.Equal(got, []int{2}) {
		t.Fatalf("recomputed %v, want [2]", got)
	}
	sameFiles(t, "after repairing the cache", want, written(t, out))
}

func TestFailingFoldNamesIt(t *testing.T) {
	m := matrixOf(bars(4000, 8))
	y, _ := m.Col("up")
	for i := range y {
		y[i] = 0
	}
	_, err := Run(context.Background(), m, options(t, fourFolds, t.TempDir()))
	if !errors.Is(err, train.ErrOneClass) || !strings.Contains(err.Error(), "fold 1:") || !strings.Contains(err.Error(), "up_lc") {
		t.Fatalf("error %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cache := t.TempDir()
	_, err := Run(ctx, matrixOf(bars(4000, 9)), options(t, fourFolds, cache))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

// TestCachePrune: a run deletes the cache files that no fold of it uses and that nothing used
// for MaxAge; the files of its own folds stay however old they were, and so do recent ones.
func TestCachePrune(t *testing.T) {
	closes := bars(4000, 7)
	cache := t.TempDir()
	first := run(t, matrixOf(closes), options(t, fourFolds, cache))
	old := time.Now().Add(-MaxAge - time.Hour)
	for _, f := range first.Folds { // the run's own folds, last used long ago
		os.Chtimes(filepath.Join(cache, f.Hash+frame.ParquetExt), old, old)
	}
	write := func(name string, mtime time.Time) {
		p := filepath.Join(cache, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
	write("stale"+frame.ParquetExt, old)
	write("recent"+frame.ParquetExt, time.Now().Add(-MaxAge+time.Hour))
	write("notes.txt", old) // not a cache file
	out := run(t, matrixOf(closes), options(t, fourFolds, cache))
	if out.Cached != len(out.Folds) {
		t.Fatalf("%d of %d folds from the cache", out.Cached, len(out.Folds))
	}
	ents, _ := os.ReadDir(cache)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"notes.txt", "recent" + frame.ParquetExt}
	for _, f := range first.Folds {
		want = append(want, f.Hash+frame.ParquetExt)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("cache holds %v, want %v", names, want)
	}
	// The folds read are young again: a later run's prune keeps them even if unused.
	if n, err := (Cache{Dir: cache}).Prune(nil, MaxAge, time.Now()); err != nil || n != 0 {
		t.Fatalf("prune of just-used files deleted %d (%v)", n, err)
	}
}
