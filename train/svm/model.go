// Package svm is a binary RBF-kernel C-SVC with Platt-scaled probabilities: ITB's `svc`
// algorithm (sklearn.svm.SVC(probability=True)), written as a port of libsvm's algorithms.
//
// Training solves the dual with libsvm's SMO: second-order working-set selection,
// shrinking with gradient reconstruction, and an LRU cache of float32 kernel rows
// (Params.CacheSizeMB). Probabilities follow libsvm's svm_binary_svc_probability: decision
// values of a 5-fold cross-validation on a seeded shuffle (Fisher–Yates, not stratified,
// as libsvm), then sigmoid_train (Platt's method with Lin, Lin & Weng's Newton iteration)
// gives A and B, and P(class 1) = 1/(1+exp(A·f+B)).
//
// The final fit on all rows runs first; each CV fold then starts from the final solution
// restricted to its rows (alpha seeding), which roughly halves the folds' SMO iterations. A
// seeded fold stops by the same rule as a cold one (libsvm's gap < tol), so its decision
// values differ from a cold start's only within that tolerance.
//
// Results are deterministic: the folds come from Params.Seed, every floating-point sum has
// a fixed order, and the parallel work (CV folds on up to GOMAXPROCS goroutines, chunks of
// long kernel rows computed by idle goroutines, prediction rows) never changes a value, so a
// model is byte-identical for any GOMAXPROCS or cache size. (Across CPU architectures the
// last bits may differ: Go fuses multiply-adds on some, e.g. arm64.)
//
// Differences from sklearn: the CV shuffle uses this package's generator and the seeding
// above (sklearn's folds are unseeded by default, so its probabilities vary from run to
// run); the probability is the Platt sigmoid itself, whereas libsvm (and so sklearn) passes
// it through its iterative pairwise coupling, which for two classes stops early and moves
// it by up to 0.004 (e.g. 0.1 → 0.09984); and ties in working-set selection may resolve
// differently because libsvm orders rows by class.
package svm

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Model is a trained binary RBF C-SVC with its Platt sigmoid; it is JSON-serialisable.
// Decision(x) = Σ_s DualCoef[s]·exp(−Gamma·‖SupportVectors[s] − x‖²) − Rho, positive
// for class 1; PredictProba(x) = 1/(1+exp(ProbA·Decision(x)+ProbB)).
type Model struct {
	NFeatures      int         `json:"n_features"`
	Gamma          float64     `json:"gamma"`
	Rho            float64     `json:"rho"`
	ProbA          float64     `json:"prob_a"`
	ProbB          float64     `json:"prob_b"`
	Support        []int       `json:"support"`         // training-row index of each support vector: class 0 first, then class 1, ascending
	NSupport       [2]int      `json:"n_support"`       // support vectors per class (0, 1)
	SupportVectors [][]float64 `json:"support_vectors"` // one row of NFeatures values per support vector
	DualCoef       []float64   `json:"dual_coef"`       // y_s·α_s with y = +1 for class 1, −1 for class 0
	Iterations     int         `json:"iterations"`      // SMO iterations of the final fit
	Converged      bool        `json:"converged"`       // false when max_iter stopped the final fit
	Objective      float64     `json:"objective"`       // dual objective ½αᵀQα − Σα of the final fit
	PlattConverged bool        `json:"platt_converged"` // false when sigmoid_train stopped early (line search or 100 iterations)
}

// cvFolds is libsvm's number of folds for the probability cross-validation.
const cvFolds = 5

// maxRowHelpers caps the goroutines helping the final fit with kernel rows: the rows are
// under half of its time, so more helpers would mostly spin.
const maxRowHelpers = 3

// Fit trains on cols (cols[j][i] = feature j of row i) and labels y (0 or 1). Training data
// must be finite. It wraps ErrBadInput for bad shapes, values or labels, ErrOneClass when
// only one class is present, and ErrBadParam for invalid p.
func Fit(cols [][]float64, y []float64, p Params) (*Model, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	n, d := len(y), len(cols)
	if d == 0 {
		return nil, fmt.Errorf("%w: no feature columns", ErrBadInput)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrBadInput)
	}
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("%w: feature column %d has %d rows, labels have %d", ErrBadInput, j, len(c), n)
		}
	}
	lab := make([]int8, n)
	var counts [2]int
	for i, v := range y {
		switch v {
		case 0:
			lab[i] = -1
			counts[0]++
		case 1:
			lab[i] = 1
			counts[1]++
		default:
			return nil, fmt.Errorf("%w: label %d is %v, want 0 or 1", ErrBadInput, i, v)
		}
	}
	if counts[0] == 0 || counts[1] == 0 {
		return nil, fmt.Errorf("%w: %d rows of class 0, %d of class 1", ErrOneClass, counts[0], counts[1])
	}
	x := make([]float64, n*d)
	for j, c := range cols {
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: feature %d row %d is %v (drop rows with NaN before training)", ErrBadInput, j, i, v)
			}
			x[i*d+j] = v
		}
	}

	gamma := p.GammaValue
	switch p.Gamma {
	case GammaAuto:
		gamma = 1 / float64(d)
	case GammaScale:
		gamma = 1
		if v := variance(x); v != 0 {
			gamma = 1 / (float64(d) * v)
		}
	}
	w := [2]float64{1, 1}
	if p.Balanced {
		w[0] = float64(n) / (2 * float64(counts[0]))
		w[1] = float64(n) / (2 * float64(counts[1]))
	} else if p.ClassWeight != nil {
		w[0], w[1] = p.ClassWeight[0], p.ClassWeight[1]
	}
	cp, cn := p.C*w[1], p.C*w[0]

	procs := max(1, runtime.GOMAXPROCS(0))
	budget := p.CacheSizeMB * (1 << 20)
	base := problem{d: d, gamma: gamma, cp: cp, cn: cn, eps: p.Tol, shrinking: p.Shrinking,
		maxIter: p.MaxIter}

	// The final fit on all rows runs first, alone, with the whole cache budget; up to
	// maxRowHelpers other CPUs help with its long kernel rows.
	pr := base
	pr.x, pr.y, pr.cacheBytes = append([]float64(nil), x...), lab, budget
	nHelp := min(procs-1, maxRowHelpers)
	pr.team = newRowTeam(nHelp)
	var helpers sync.WaitGroup
	for h := range nHelp {
		helpers.Go(func() { pr.team.help(h) })
	}
	final := solveCSVC(pr)
	pr.team.stop()
	helpers.Wait()

	// Platt's decision values: 5-fold CV on a seeded shuffle (libsvm's folds), each fold
	// seeded from the final solution. Up to GOMAXPROCS workers share the cache budget; a
	// worker left without a fold helps the others with kernel rows.
	perm := shuffle(n, p.Seed)
	dec := make([]float64, n)
	workers := min(procs, cvFolds)
	team := newRowTeam(workers)
	folds := make(chan int, cvFolds)
	for k := range cvFolds {
		folds <- k
	}
	close(folds)
	var pending sync.WaitGroup
	pending.Add(cvFolds)
	for w := range workers {
		helpers.Go(func() {
			for k := range folds {
				fr := base
				fr.cacheBytes, fr.team = budget/float64(workers), team
				cvFold(x, lab, perm, k*n/cvFolds, (k+1)*n/cvFolds, fr, final, p.coldCV, dec)
				pending.Done()
			}
			team.help(w)
		})
	}
	pending.Wait()
	team.stop()
	helpers.Wait()

	label := make([]bool, n)
	for i, l := range lab {
		label[i] = l > 0
	}
	a, b, plattOK := sigmoidTrain(dec, label)

	m := &Model{NFeatures: d, Gamma: gamma, Rho: final.rho, ProbA: a, ProbB: b,
		Iterations: final.iter, Converged: final.converged, Objective: final.obj, PlattConverged: plattOK}
	for _, cls := range []int8{-1, 1} {
		for i, al := range final.alpha {
			if al > 0 && lab[i] == cls {
				m.Support = append(m.Support, i)
				m.SupportVectors = append(m.SupportVectors, append([]float64(nil), x[i*d:i*d+d]...))
				m.DualCoef = append(m.DualCoef, float64(cls)*al)
				if cls > 0 {
					m.NSupport[1]++
				} else {
					m.NSupport[0]++
				}
			}
		}
	}
	return m, nil
}

// cvFold trains on the rows perm[:begin] ++ perm[end:] (libsvm's order) and writes the
// decision values of the held-out rows perm[begin:end] into dec. Unless cold is set, the
// solver starts from the full solution restricted to the fold (alpha seeding).
func cvFold(x []float64, lab []int8, perm []int, begin, end int, pr problem, full solution, cold bool, dec []float64) {
	d := pr.d
	idx := make([]int, 0, len(perm)-(end-begin))
	idx = append(append(idx, perm[:begin]...), perm[end:]...)
	held := perm[begin:end]
	var pc, nc int
	pr.x = make([]float64, 0, len(idx)*d)
	pr.y = make([]int8, len(idx))
	for k, i := range idx {
		pr.x = append(pr.x, x[i*d:i*d+d]...)
		pr.y[k] = lab[i]
		if lab[i] > 0 {
			pc++
		} else {
			nc++
		}
	}
	// One class in the training part: libsvm's constant decision values.
	if pc == 0 || nc == 0 {
		v := 0.0
		switch {
		case nc == 0 && pc > 0:
			v = 1
		case pc == 0 && nc > 0:
			v = -1
		}
		for _, i := range held {
			dec[i] = v
		}
		return
	}
	keep := append([]float64(nil), pr.x...) // the solver permutes pr.x
	if !cold {
		pr.warm = seedFold(x, lab, idx, held, full, pr)
	}
	sol := solveCSVC(pr)
	svX, coef := supportSet(keep, d, pr.y, sol.alpha)
	pr.team.run(0, len(held), 256, func(lo, hi int) {
		for _, i := range held[lo:hi] {
			dec[i] = decision(svX, coef, d, pr.gamma, sol.rho, x[i*d:i*d+d])
		}
	})
}

// supportSet gathers the rows with α > 0 (row-major) and their coefficients y·α.
func supportSet(x []float64, d int, y []int8, alpha []float64) ([]float64, []float64) {
	var sv, coef []float64
	for i, a := range alpha {
		if a > 0 {
			sv = append(sv, x[i*d:i*d+d]...)
			coef = append(coef, float64(y[i])*a)
		}
	}
	return sv, coef
}

// decision is Σ coef_s·exp(−γ‖sv_s − x‖²) − rho, summed in support-vector order.
func decision(sv, coef []float64, d int, gamma, rho float64, x []float64) float64 {
	sum := 0.0
	for s, c := range coef {
		sum += c * expKernel(-gamma*sqDist(sv[s*d:s*d+d], x))
	}
	return sum - rho
}

// variance is the population variance of all values (numpy's X.var()), two-pass.
func variance(x []float64) float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return ss / float64(len(x))
}

// check validates the model's shape so that prediction cannot index out of range.
func (m *Model) check() error {
	if m.NFeatures < 1 {
		return fmt.Errorf("%w: n_features is %d", ErrBadModel, m.NFeatures)
	}
	if len(m.SupportVectors) != len(m.DualCoef) {
		return fmt.Errorf("%w: %d support vectors but %d dual coefficients", ErrBadModel, len(m.SupportVectors), len(m.DualCoef))
	}
	for s, v := range m.SupportVectors {
		if len(v) != m.NFeatures {
			return fmt.Errorf("%w: support vector %d has %d values, want %d", ErrBadModel, s, len(v), m.NFeatures)
		}
	}
	return nil
}

// Decision writes the decision value of each row of cols into out (positive means class
// 1). cols must have NFeatures columns of len(out) rows. A row with a NaN feature gets NaN,
// as ITB's prediction does for rows with missing inputs. Kernel values are accurate to
// about 1e-13 relative and taken as 0 below e^−110. Rows are spread over GOMAXPROCS
// goroutines; each value is computed the same way whatever the split.
func (m *Model) Decision(cols [][]float64, out []float64) error {
	if err := m.check(); err != nil {
		return err
	}
	if len(cols) != m.NFeatures {
		return fmt.Errorf("%w: %d feature columns, the model has %d", ErrBadInput, len(cols), m.NFeatures)
	}
	n := len(out)
	for j, c := range cols {
		if len(c) != n {
			return fmt.Errorf("%w: feature column %d has %d rows, output has %d", ErrBadInput, j, len(c), n)
		}
	}
	d := m.NFeatures
	sv := make([]float64, 0, len(m.SupportVectors)*d)
	for _, v := range m.SupportVectors {
		sv = append(sv, v...)
	}
	procs := max(1, min(runtime.GOMAXPROCS(0), n/256))
	chunk := (n + procs - 1) / max(procs, 1)
	var wg sync.WaitGroup
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := make([]float64, d)
			for i := start; i < end; i++ {
				nan := false
				for j, c := range cols {
					x[j] = c[i]
					nan = nan || math.IsNaN(c[i])
				}
				if nan {
					out[i] = math.NaN()
					continue
				}
				out[i] = decision(sv, m.DualCoef, d, m.Gamma, m.Rho, x)
			}
		}()
	}
	wg.Wait()
	return nil
}

// PredictProba writes P(class 1) = 1/(1+exp(ProbA·f+ProbB)) of each row into out, clipped
// to [1e-7, 1−1e-7] as libsvm. For the usual fitted ProbA < 0 it increases with the
// decision value f. Shapes and NaN rows are handled as in Decision.
func (m *Model) PredictProba(cols [][]float64, out []float64) error {
	if err := m.Decision(cols, out); err != nil {
		return err
	}
	for i, f := range out {
		out[i] = sigmoidPredict(f, m.ProbA, m.ProbB)
	}
	return nil
}
