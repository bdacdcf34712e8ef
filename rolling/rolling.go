package rolling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train"
)

// Options configure a walk-forward run.
type Options struct {
	Sets    []train.Set
	Rolling config.RollingPredict
	// LabelHorizon sets the purge gap (label_horizon + 1 rows) before each fold.
	LabelHorizon int
	// TrainLength > 0 slides a window of that many training rows; 0 expands from data_start.
	TrainLength int
	// CacheDir holds finished folds ("" disables the cache).
	CacheDir string
	// Executor runs the folds to compute; nil uses a local Pool of Jobs workers.
	Executor Executor
	Jobs     int
	// Progress, if set, is called with the folds done (cached ones included) and the total.
	Progress func(done, total int)
	Logger   *slog.Logger
	// LimitMemory sets the process's soft memory limit (unless GOMEMLIMIT is set) to the run's
	// working set: the input columns plus one training copy per job, with a margin. The
	// collector then runs before parallel folds push the heap far past what is live.
	LimitMemory bool
}

// FoldReport describes one fold of a finished run.
type FoldReport struct {
	Fold
	Hash string
	// TrainFirst and TrainLast are the times of the first and last training rows.
	TrainFirst, TrainLast int64
	// Cached is true when the fold came from the cache.
	Cached bool
	// Metrics of each score column over the fold's rows (labels present), in Order.
	Metrics map[string]train.Metric
	Order   []string
	// Reports describe the models trained for this fold (empty when Cached).
	Reports []train.Report
}

// Output is a finished walk-forward run.
type Output struct {
	Plan  Plan
	Folds []FoldReport
	// Frame holds the predicted rows (Plan.Rows()): score columns, prices and labels.
	Frame *frame.Frame
	// Columns orders Frame's columns as predict writes them; Scores are its score columns.
	Columns, Scores []string
	// Metrics over all predicted rows, in Order.
	Metrics map[string]train.Metric
	Order   []string
	// Computed and Cached count the folds trained in this run and the folds read from the cache.
	Computed, Cached int
}

// Run trains and scores every fold of the plan over data (read with the sets' features and
// labels, and the price columns to carry into the output), taking finished folds from the
// cache. Run owns data and changes it: ±Inf become NaN, columns lose their spare capacity and the price
// columns no model reads are dropped. The output is the same for any executor or
// number of jobs.
func Run(ctx context.Context, data *frame.Frame, opt Options) (*Output, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	compact(data)
	models, err := train.Untrained(opt.Sets)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	plan, err := Resolve(opt.Rolling, data.Time)
	if err != nil {
		return nil, err
	}
	folds, err := plan.Folds(opt.LabelHorizon, opt.TrainLength)
	if err != nil {
		return nil, err
	}
	out := &Output{Plan: plan, Folds: make([]FoldReport, len(folds)), Scores: names}
	keep, labels := carried(data, plan, opt.Sets, models)
	if opt.LimitMemory && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(workingSet(data, opt, folds))
	}
	scores := make([][][]float64, len(folds)) // fold -> model -> rows
	cache := Cache{Dir: opt.CacheDir}
	var todo []Task
	for k, f := range folds {
		t := Task{Fold: f, Sets: opt.Sets}
		if t.Hash, err = foldHash(data, opt.Sets, f); err != nil {
			return nil, err
		}
		out.Folds[k] = FoldReport{Fold: f, Hash: t.Hash, TrainFirst: data.Time[f.TrainStart], TrainLast: data.Time[f.TrainEnd-1]}
		s, ok, err := cache.Load(t, data.Time[f.PredictStart:f.PredictEnd], names)
		if errors.Is(err, errStale) {
			log.Warn("rolling: recomputing a fold whose cache file is unusable", "fold", k+1, "err", err)
		} else if err != nil {
			return nil, err
		}
		if ok {
			scores[k], out.Folds[k].Cached = s, true
			out.Cached++
			continue
		}
		todo = append(todo, t)
	}
	if err := compute(ctx, data, opt, todo, out, scores); err != nil {
		return nil, err
	}
	if err := out.assemble(keep, labels, scores, models, log); err != nil {
		return nil, err
	}
	used := make(map[string]bool, len(out.Folds))
	for _, f := range out.Folds {
		used[f.Hash] = true
	}
	if n, err := cache.Prune(used, MaxAge, time.Now()); err != nil {
		log.Warn("rolling: pruning the cache", "err", err)
	} else if n > 0 {
		log.Info("rolling: pruned cache files no run used", "files", n, "unused_for", MaxAge)
	}
	return out, nil
}

// compact replaces ±Inf with NaN and gives every column of data exactly its length: a file
// reader may leave a large spare capacity, which the collector counts as live, letting the
// heap (and the peak memory) grow by that much while the folds allocate their training copies.
func compact(data *frame.Frame) {
	spare := false
	for _, c := range data.Columns() {
		frame.FiniteOrNaN(c.Data)
		spare = spare || cap(c.Data) > len(c.Data)+len(c.Data)/8
	}
	if !spare {
		return
	}
	data.Time = slices.Clip(slices.Clone(data.Time))
	for _, c := range slices.Clone(data.Columns()) {
		data.Set(c.Name, c.Kind, slices.Clone(c.Data))
	}
	// The old columns are garbage now: collect them and hand their pages back, so the heap
	// goal and the resident memory start from the real size.
	debug.FreeOSMemory()
}

// workingSet estimates the bytes a run keeps live: data, and for each job the largest
// fold's training copy (features and label of every training row, and the row index), plus
// a quarter and 16 MiB for everything else.
func workingSet(data *frame.Frame, opt Options, folds []Fold) int64 {
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	jobs = min(jobs, len(folds))
	rows := 0
	for _, f := range folds {
		rows = max(rows, f.TrainEnd-f.TrainStart)
	}
	width := 0
	for _, s := range opt.Sets {
		width = max(width, len(s.Features)+2)
	}
	b := int64(data.Len()) * int64(len(data.Columns())+1) * 8
	b += int64(jobs) * int64(rows) * int64(width) * 8
	return b + b/4 + 16<<20
}

// compute runs the folds missing from the cache and stores each as soon as it finishes, so an
// interrupted run keeps every finished fold.
func compute(ctx context.Context, data *frame.Frame, opt Options, todo []Task, out *Output, scores [][][]float64) error {
	if opt.Progress != nil {
		opt.Progress(out.Cached, len(out.Folds))
	}
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ex := opt.Executor
	if ex == nil {
		ex = &Pool{Data: data, Jobs: opt.Jobs}
	}
	results, err := ex.Run(ctx, todo)
	if err != nil {
		return err
	}
	cache := Cache{Dir: opt.CacheDir}
	// After a failure the folds in flight finish; the error of the earliest failed fold is
	// returned, so the message does not depend on timing.
	var firstErr error
	errFold := len(out.Folds)
	fail := func(k int, err error) {
		if k < errFold {
			firstErr, errFold = err, k
		}
		cancel()
	}
	for r := range results {
		if r.Err == nil {
			r.Err = checkResult(r, out)
		}
		if r.Err != nil {
			fail(r.Fold, r.Err)
			continue
		}
		if scores[r.Fold] != nil {
			continue // delivered twice (a retrying queue): the first copy stands
		}
		f := out.Folds[r.Fold].Fold
		if err := cache.Store(r, data.Time[f.PredictStart:f.PredictEnd]); err != nil {
			fail(r.Fold, err)
			continue
		}
		scores[r.Fold] = r.Scores
		out.Folds[r.Fold].Reports = r.Reports
		out.Computed++
		if opt.Progress != nil && firstErr == nil {
			opt.Progress(out.Cached+out.Computed, len(out.Folds))
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n := out.Cached + out.Computed; n != len(out.Folds) {
		return fmt.Errorf("rolling: the executor returned %d of %d folds", n-out.Cached, len(todo))
	}
	return nil
}

// checkResult rejects a result that does not belong to this run (an executor's bug).
func checkResult(r Result, out *Output) error {
	if r.Fold < 0 || r.Fold >= len(out.Folds) || r.Hash != out.Folds[r.Fold].Hash {
		return fmt.Errorf("rolling: result for unknown fold %d (hash %s)", r.Fold+1, r.Hash)
	}
	f := out.Folds[r.Fold]
	if !slices.Equal(r.Names, out.Scores) {
		return fmt.Errorf("rolling: fold %d returned columns %v, want %v", r.Fold+1, r.Names, out.Scores)
	}
	for _, s := range r.Scores {
		if len(s) != f.PredictEnd-f.PredictStart {
			return fmt.Errorf("rolling: fold %d returned %d rows, want %d", r.Fold+1, len(s), f.PredictEnd-f.PredictStart)
		}
	}
	return nil
}

// carried copies the columns the output carries (prices, labels) for the predicted rows and
// drops the price columns that no model reads from data, so they do not take memory while
// the folds train.
func carried(data *frame.Frame, p Plan, sets []train.Set, models []*train.File) (f *frame.Frame, labels []string) {
	rows := data.Slice(p.Start, p.Start+p.Rows())
	f = frame.New(slices.Clone(rows.Time))
	for _, n := range train.PriceColumns {
		if c, err := rows.Col(n); err == nil {
			f.Set(n, rows.Kind(n), slices.Clone(c))
		}
	}
	for _, m := range models {
		if c, err := rows.Col(m.Label); err == nil && !f.Has(m.Label) {
			f.Set(m.Label, rows.Kind(m.Label), slices.Clone(c))
			labels = append(labels, m.Label)
		}
	}
	used := train.Columns(sets)
	for _, n := range train.PriceColumns {
		if !slices.Contains(used, n) {
			data.Drop(n)
		}
	}
	return f, labels
}

// assemble adds the score columns to the carried rows and computes the metrics per fold and
// overall.
func (out *Output) assemble(f *frame.Frame, labels []string, scores [][][]float64, models []*train.File, log *slog.Logger) error {
	p := out.Plan
	for j, name := range out.Scores {
		col := make([]float64, 0, p.Rows())
		for k := range out.Folds {
			col = append(col, scores[k][j]...)
		}
		if err := f.Set(name, frame.Float, col); err != nil {
			return err
		}
	}
	out.Frame, out.Columns = f, train.PredictionColumns(f.Has, out.Scores, labels)
	var err error
	for k := range out.Folds {
		fr := &out.Folds[k]
		fr.Metrics, fr.Order, err = train.ScoreMetrics(f.Slice(fr.PredictStart-p.Start, fr.PredictEnd-p.Start), models, log)
		if err != nil {
			return fmt.Errorf("fold %d: %w", k+1, err)
		}
	}
	out.Metrics, out.Order, err = train.ScoreMetrics(f, models, log)
	return err
}
