// Package gbdt trains histogram gradient-boosted decision trees, tradectl's pure-Go stand-in for
// lightgbm.train in ITB's `gb` algorithm. It takes LightGBM's parameter names and follows its
// strategy: quantile binning into at most max_bin byte bins per feature, a separate bin for NaN
// with a learned default direction per split, leaf-wise (best-first) growth limited by num_leaves
// and max_depth, λ-regularised gain with L1 soft-thresholding, min_data_in_leaf and
// min_sum_hessian_in_leaf (both exact), histogram subtraction, feature and row sampling, and an
// initial score from the average label (boost_from_average). Objectives: binary, cross_entropy
// and regression (L2).
//
// The bins of eight features are packed into one uint64 per row, and the rows are kept
// partitioned by leaf while a tree grows, so every histogram is a sequential scan.
// Histograms are built in parallel: by group of features, or, with few features, by chunk of
// rows added up in a fixed order.
//
// Training is deterministic: the same data, parameters and seed give a byte-identical model
// JSON whatever the number of goroutines, because no floating-point sum depends on how the
// work is split between them.
package gbdt

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Sentinel errors callers branch on.
var (
	// ErrParam is returned for an unknown parameter or a bad parameter value.
	ErrParam = errors.New("gbdt: bad parameter")
	// ErrShape is returned when the columns, labels or output slice disagree in length, or there is no data.
	ErrShape = errors.New("gbdt: shape mismatch")
	// ErrLabel is returned for labels the objective cannot take (NaN, or not 0/1 for binary).
	ErrLabel = errors.New("gbdt: bad label")
	// ErrOneClass is returned when a classification objective sees a single label value.
	ErrOneClass = errors.New("gbdt: labels hold a single class")
	// ErrModel is returned when a (deserialised) model is malformed or used with the wrong objective.
	ErrModel = errors.New("gbdt: invalid model")
)

// Fit trains a model on column-major data: cols[j][i] is feature j of row i, y[i] the label of
// row i (0/1 for binary, [0, 1] for cross_entropy, any finite value for regression).
// NaN features are allowed and treated as missing. Fit does not modify its inputs.
func Fit(cols [][]float64, y []float64, p Params) (*Model, error) {
	return fit(cols, y, p, nil)
}

// fit is Fit; a non-nil hook receives, after training, the original row of every position and
// the training state (with the final raw scores) of that position.
func fit(cols [][]float64, y []float64, p Params, hook func(rows []int32, state []rowState)) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p.Objective, _ = normaliseObjective(p.Objective)
	n := len(y)
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w: no feature columns", ErrShape)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrShape)
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d rows exceed the limit of %d", ErrShape, n, math.MaxInt32)
	}
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("%w: feature %d has %d rows, labels have %d", ErrShape, j, len(c), n)
		}
	}
	obj, err := newObjective(p, y)
	if err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	if p.NumThreads > 0 && p.NumThreads < workers {
		workers = p.NumThreads
	}
	seeds := newRNG(uint64(p.Seed))
	binRNG, featRNG, bagRNG := newRNG(seeds.next()), newRNG(seeds.next()), newRNG(seeds.next())

	ds := buildDataset(cols, p.MaxBin, binRNG, workers)
	m := &Model{
		Objective:   p.Objective,
		NumFeatures: len(cols),
		InitScore:   obj.initScore(),
		Params:      p,
		Trees:       []Tree{},
	}
	if len(ds.usable) == 0 || p.NumIterations == 0 {
		return m, nil
	}

	state := make([]rowState, n)
	for i := range state {
		state[i] = rowState{score: m.InitScore, y: y[i]}
	}
	lrn := newLearner(ds, p, workers, state)
	if hook != nil {
		lrn.rows = make([]int32, n)
		for i := range lrn.rows {
			lrn.rows[i] = int32(i)
		}
		defer func() { hook(lrn.rows, lrn.state) }()
	}
	bagging := p.BaggingFreq > 0 && p.BaggingFraction < 1
	nRoot := n
	var inBag []bool
	if bagging {
		nRoot = max(1, int(p.BaggingFraction*float64(n))) // LightGBM truncates too
		inBag = make([]bool, n)
	}
	nUsed := len(ds.usable)
	if p.FeatureFraction < 1 {
		// LightGBM's count: rounded, and at least two features when there are two
		nUsed = max(int(math.Round(p.FeatureFraction*float64(len(ds.usable)))), min(2, len(ds.usable)))
	}
	used := make([]int, len(ds.usable))
	for i := range used {
		used[i] = i
	}

	for it := 0; it < p.NumIterations; it++ {
		if p.OnRound != nil {
			p.OnRound(it, p.NumIterations)
		}
		parallelRange(workers, n, 1<<14, func(_, lo, hi int) { obj.gradients(state[lo:hi]) })
		if bagging && it%p.BaggingFreq == 0 {
			clear(inBag)
			for _, r := range bagRNG.selectSorted(n, nRoot) {
				inBag[r] = true
			}
			lrn.moveToFront(inBag) // bagged positions, not rows: both are a uniform sample
		}
		if nUsed < len(ds.usable) {
			sel := featRNG.selectSorted(len(ds.usable), nUsed)
			used = used[:0]
			for _, s := range sel {
				used = append(used, int(s))
			}
		}
		bt, err := lrn.grow(nRoot, used)
		if err != nil {
			return nil, err
		}
		if bt == nil { // no split met the requirements: LightGBM stops here too
			break
		}
		m.Trees = append(m.Trees, lrn.finish(bt, nRoot))
	}
	return m, nil
}

// objective computes gradients and the initial score.
type objective struct {
	kind         string
	wPos, wNeg   float64 // label weights of the binary objective
	initialScore float64
}

func newObjective(p Params, y []float64) (*objective, error) {
	o := &objective{kind: p.Objective, wPos: 1, wNeg: 1}
	var sum float64
	first := y[0]
	oneValue := true
	var pos, neg int
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: label %d is %v", ErrLabel, i, v)
		}
		switch p.Objective {
		case ObjectiveBinary:
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("%w: binary objective needs 0/1 labels, label %d is %v", ErrLabel, i, v)
			}
		case ObjectiveCrossEntropy:
			if v < 0 || v > 1 {
				return nil, fmt.Errorf("%w: cross_entropy needs labels in [0, 1], label %d is %v", ErrLabel, i, v)
			}
		}
		if v > 0 {
			pos++
		} else {
			neg++
		}
		if v != first {
			oneValue = false
		}
		sum += v
	}
	n := float64(len(y))
	switch p.Objective {
	case ObjectiveRegression:
		o.initialScore = sum / n
		return o, nil
	}
	if oneValue {
		return nil, fmt.Errorf("%w: every label is %v", ErrOneClass, first)
	}
	if p.Objective == ObjectiveBinary {
		if p.IsUnbalance {
			if pos > neg {
				o.wNeg = float64(pos) / float64(neg)
			} else {
				o.wPos = float64(neg) / float64(pos)
			}
		}
		o.wPos *= p.ScalePosWeight
	}
	// LightGBM's BoostFromScore: log-odds of the average label, without the label weights.
	const eps = 1e-15
	avg := math.Min(math.Max(sum/n, eps), 1-eps)
	o.initialScore = math.Log(avg / (1 - avg))
	return o, nil
}

func (o *objective) initScore() float64 { return o.initialScore }

// gradients sets the gradient and hessian of the loss at every row's current score.
func (o *objective) gradients(rs []rowState) {
	switch o.kind {
	case ObjectiveRegression:
		for i := range rs {
			r := &rs[i]
			r.g, r.h = r.score-r.y, 1
		}
	case ObjectiveBinary:
		w := [2]float64{o.wNeg, o.wPos}
		for i := range rs {
			r := &rs[i]
			p := 1 / (1 + math.Exp(-r.score))
			wi := w[int(r.y)&1] // y is 0 or 1
			r.g, r.h = (p-r.y)*wi, p*(1-p)*wi
		}
	default: // cross entropy
		for i := range rs {
			r := &rs[i]
			p := 1 / (1 + math.Exp(-r.score))
			r.g, r.h = p-r.y, p*(1-p)
		}
	}
}

// rng is splitmix64: tiny, fast and stable across Go releases.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// selectSorted draws k of 0..n-1 without replacement, in ascending order (Knuth's algorithm S).
func (r *rng) selectSorted(n, k int) []int32 {
	out := make([]int32, 0, k)
	for i := 0; i < n && len(out) < k; i++ {
		if r.float()*float64(n-i) < float64(k-len(out)) {
			out = append(out, int32(i))
		}
	}
	return out
}

// parallelRange runs fn(chunk, lo, hi) over contiguous chunks of [0, n) on up to workers
// goroutines; with fewer than minChunk items per worker it uses fewer goroutines, or runs inline.
func parallelRange(workers, n, minChunk int, fn func(chunk, lo, hi int)) {
	w := min(workers, n/max(minChunk, 1))
	if w <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 1; k < w; k++ {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(k, lo, hi)
		}()
	}
	fn(0, 0, n/w) // the caller takes the first chunk
	wg.Wait()
}
