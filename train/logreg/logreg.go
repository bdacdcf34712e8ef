// Package logreg fits binary logistic regression as scikit-learn's LogisticRegression does
// (ITB's "lc" algorithm).
//
// Fit minimises sklearn's objective
//
//	C · Σᵢ wᵢ · logloss(yᵢ, xᵢ·β + b) + ½‖β‖²
//
// with the intercept b not penalised (penalty "l2"), or without the ½‖β‖² term (penalty
// "none"/null). wᵢ is 1, or n/(2·n_class) of the row's class for class_weight "balanced".
//
// Every sklearn solver name ("lbfgs", "sag", "saga", "newton-cg", "newton-cholesky",
// "liblinear") is accepted, but tradectl always uses gonum's L-BFGS. The lbfgs, sag, saga and
// newton solvers minimise this same strictly convex objective, so their optimum is the same
// model; only where each one stops short of it differs. liblinear is the exception: it
// also penalises the intercept (scaled by intercept_scaling), so a liblinear model from sklearn
// has a slightly shrunk intercept that tradectl does not reproduce.
//
// The stopping rule at the defaults is that of sklearn 1.2's lbfgs solver (scipy L-BFGS-B): stop
// when max|∂f/∂θ| ≤ tol for the objective divided by C, f = Σ wᵢ·ℓᵢ + ½‖β‖²/C; when an
// iteration decreases f by no more than ftol relative, where ftol is scipy's default 1e7·ε at
// tol = 1e-4 and shrinks in proportion to tol (down to 64·ε) so that a small tol does reach the
// optimum; or after max_iter iterations (Model.Converged is then false, where sklearn would
// warn). At the defaults this lands about 1e-4 in probability from the exact optimum on large
// data, as sklearn's sag does. (Recent sklearn releases scale f by 1/Σwᵢ for lbfgs, so the same
// tol stops much earlier on large data; tradectl keeps the 1.2 rule.)
//
// Data is column-major: cols[j][i] is feature j of row i. Callers scale the features and drop
// rows with NaN beforehand; Fit rejects NaN or ±Inf. The loss and gradient are computed over a
// fixed partition of the rows into blocks, in parallel, and the block results are summed in block
// order, so the fitted model is bit-for-bit the same for any GOMAXPROCS.
package logreg

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/optimize"
)

// Sentinel errors; returned errors wrap them.
var (
	// ErrOneClass means y holds only one class, so there is nothing to separate (sklearn raises too).
	ErrOneClass = errors.New("logreg: y contains only one class")
	// ErrInvalidInput reports mismatched shapes, empty data, NaN or ±Inf features, or labels other than 0/1.
	ErrInvalidInput = errors.New("logreg: invalid input")
	// ErrInvalidParam reports a train parameter with a wrong type or value.
	ErrInvalidParam = errors.New("logreg: invalid parameter")
	// ErrUnknownParam reports a train parameter that LogisticRegression does not have.
	ErrUnknownParam = errors.New("logreg: unknown parameter")
	// ErrDiverged reports that the optimiser produced a non-finite coefficient.
	ErrDiverged = errors.New("logreg: optimisation diverged")
	// ErrUnsupported reports a valid sklearn setting that tradectl does not implement (l1, elasticnet, ...).
	ErrUnsupported = errors.New("logreg: unsupported setting")
)

// Model is a fitted binary logistic regression: P(y=1|x) = σ(x·Coef + Intercept).
type Model struct {
	// Coef holds one coefficient per feature column.
	Coef []float64 `json:"coef"`
	// Intercept is b (0 when fit_intercept is false).
	Intercept float64 `json:"intercept"`
	// Iterations is the number of L-BFGS iterations (sklearn's n_iter_).
	Iterations int `json:"iterations"`
	// Evaluations is the number of passes over the data (loss and gradient together).
	Evaluations int `json:"evaluations"`
	// Converged is false when the fit stopped at max_iter (or the line search failed) with the
	// gradient still above tol; sklearn would emit a ConvergenceWarning.
	Converged bool `json:"converged"`
	// Objective is the objective divided by C, Σ wᵢ·ℓᵢ + ½‖β‖²/C (Σ wᵢ·ℓᵢ for penalty none),
	// at the solution.
	Objective float64 `json:"objective"`
	// GradNorm is max|∂/∂θ| of Objective at the solution, the quantity tol bounds.
	GradNorm float64 `json:"grad_norm"`
}

// blockRows is the fixed row partition of the loss/gradient reduction. It must not depend on
// the number of CPUs, so that sums are formed in the same order everywhere.
const blockRows = 4096

// Fit trains a model on cols (cols[j][i] = feature j of row i) and 0/1 labels y.
func Fit(cols [][]float64, y []float64, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d, n := len(cols), len(y)
	if d == 0 {
		return nil, fmt.Errorf("logreg: no feature columns: %w", ErrInvalidInput)
	}
	if n == 0 {
		return nil, fmt.Errorf("logreg: no rows: %w", ErrInvalidInput)
	}
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("logreg: column %d has %d rows, y has %d: %w", j, len(c), n, ErrInvalidInput)
		}
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("logreg: column %d row %d is %v (drop or fill NaN rows first): %w", j, i, v, ErrInvalidInput)
			}
		}
	}
	var counts [2]int
	for i, v := range y {
		switch v {
		case 0:
			counts[0]++
		case 1:
			counts[1]++
		default:
			return nil, fmt.Errorf("logreg: y[%d] = %v: labels must be 0 or 1: %w", i, v, ErrInvalidInput)
		}
	}
	if counts[0] == 0 || counts[1] == 0 {
		return nil, fmt.Errorf("logreg: %d rows of class 0, %d of class 1: %w", counts[0], counts[1], ErrOneClass)
	}

	pr := &problem{cols: cols, y: y, n: n, d: d, intercept: p.FitIntercept, w: [2]float64{1, 1}}
	if p.ClassWeight == "balanced" {
		pr.w[0] = float64(n) / (2 * float64(counts[0]))
		pr.w[1] = float64(n) / (2 * float64(counts[1]))
	}
	sw := pr.w[0]*float64(counts[0]) + pr.w[1]*float64(counts[1])
	pr.invS = 1 / sw
	if p.Penalty == PenaltyL2 {
		pr.l2 = 1 / (p.C * sw)
	}
	pr.dim = d
	if p.FitIntercept {
		pr.dim++
	}
	pr.nblocks = (n + blockRows - 1) / blockRows
	pr.partial = make([]float64, pr.nblocks*(pr.dim+1))
	pr.g = make([]float64, pr.dim)

	x := make([]float64, pr.dim)
	status := optimize.IterationLimit
	var iters int
	if p.MaxIter > 0 {
		prob := optimize.Problem{
			Func: func(x []float64) float64 { pr.eval(x); return pr.f },
			Grad: func(g, x []float64) { pr.eval(x); copy(g, pr.g) },
		}
		settings := &optimize.Settings{
			// tol bounds the gradient of the objective divided by C, which is sw times that of
			// the scaled objective minimised here.
			GradientThreshold: p.Tol / sw,
			MajorIterations:   p.MaxIter,
			// The relative decrease per iteration below which the fit stops (scipy's ftol).
			Converger: &optimize.FunctionConverge{Relative: ftolFor(p.Tol), Iterations: 1},
		}
		method := &optimize.LBFGS{Store: 10, Linesearcher: &optimize.MoreThuente{}}
		res, err := optimize.Minimize(prob, x, settings, method)
		if res == nil {
			return nil, fmt.Errorf("logreg: L-BFGS: %w", err)
		}
		// A line-search failure (err != nil) near the optimum still leaves the best point found in
		// res.X; it is kept, and Converged below tells whether it meets tol.
		for _, v := range res.X {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("logreg: L-BFGS reached %v (%v): %w", v, err, ErrDiverged)
			}
		}
		copy(x, res.X)
		status, iters = res.Status, res.MajorIterations
	}
	pr.eval(x)
	m := &Model{
		Coef:        slices.Clone(x[:d]),
		Iterations:  iters,
		Evaluations: pr.passes,
		Objective:   pr.f * sw,
		GradNorm:    infNorm(pr.g) * sw,
	}
	if p.FitIntercept {
		m.Intercept = x[d]
	}
	m.Converged = status == optimize.GradientThreshold || status == optimize.FunctionConvergence || m.GradNorm <= p.Tol
	return m, nil
}

// ftolFor returns the relative-decrease stopping threshold for tol: scipy L-BFGS-B's default
// ftol (1e7·ε ≈ 2.2e-9, which sklearn 1.2 leaves in place) at sklearn's default tol 1e-4,
// proportionally smaller for a smaller tol so that lowering tol reaches the optimum, and never
// below 64·ε (recent sklearn's setting).
func ftolFor(tol float64) float64 {
	const eps = 0x1p-52
	return max(64*eps, 1e7*eps*tol/1e-4)
}

func infNorm(g []float64) float64 {
	m := 0.0
	for _, v := range g {
		m = max(m, math.Abs(v))
	}
	return m
}

// PredictProba writes P(y=1) for every row of cols into out (len(out) = rows). A row with a NaN
// feature gets NaN, as ITB re-indexes dropped rows to NaN.
func (m *Model) PredictProba(cols [][]float64, out []float64) error {
	if len(cols) != len(m.Coef) {
		return fmt.Errorf("logreg: model has %d features, got %d columns: %w", len(m.Coef), len(cols), ErrInvalidInput)
	}
	for j, c := range cols {
		if len(c) != len(out) {
			return fmt.Errorf("logreg: column %d has %d rows, out has %d: %w", j, len(c), len(out), ErrInvalidInput)
		}
	}
	for lo := 0; lo < len(out); lo += blockRows {
		hi := min(lo+blockRows, len(out))
		z := out[lo:hi]
		for i := range z {
			z[i] = m.Intercept
		}
		for j, c := range cols {
			b := m.Coef[j]
			for i, v := range c[lo:hi] {
				z[i] += b * v
			}
		}
		for i, v := range z {
			z[i] = sigmoid(v)
		}
	}
	return nil
}

// sigmoid is 1/(1+e^-z) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// problem evaluates the scaled objective f(θ) = (1/S)·Σ wᵢ ℓᵢ + ½·l2·‖β‖² and its gradient,
// θ = (β, b), S = Σ wᵢ, l2 = 1/(C·S) (0 for no penalty).
type problem struct {
	cols      [][]float64
	y         []float64
	n, d, dim int
	intercept bool
	w         [2]float64
	invS, l2  float64

	nblocks int
	partial []float64 // per block: loss, then dim gradient sums

	x      []float64 // θ of the cached f and g
	f      float64
	g      []float64
	passes int
}

// eval computes f and g at x, reusing the last result when x is unchanged (gonum asks for
// Func and Grad separately at the same point).
func (p *problem) eval(x []float64) {
	if p.x != nil && slices.Equal(p.x, x) {
		return
	}
	p.passes++
	stride := p.dim + 1
	var next atomic.Int64
	work := func() {
		buf := make([]float64, 2*blockRows)
		for {
			k := int(next.Add(1)) - 1
			if k >= p.nblocks {
				return
			}
			p.block(k, x, buf, p.partial[k*stride:(k+1)*stride])
		}
	}
	if workers := min(runtime.GOMAXPROCS(0), p.nblocks); workers == 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}

	// Reduce in block order: the result does not depend on which worker did which block.
	loss := 0.0
	clear(p.g)
	for k := range p.nblocks {
		part := p.partial[k*stride : (k+1)*stride]
		loss += part[0]
		for j := range p.g {
			p.g[j] += part[1+j]
		}
	}
	reg := 0.0
	for j := range p.d {
		reg += x[j] * x[j]
	}
	p.f = loss*p.invS + 0.5*p.l2*reg
	for j := range p.g {
		p.g[j] *= p.invS
		if j < p.d {
			p.g[j] += p.l2 * x[j]
		}
	}
	p.x = append(p.x[:0], x...)
}

// block writes the weighted loss sum and gradient sums of rows [k·blockRows, ...) into out.
func (p *problem) block(k int, x, buf, out []float64) {
	lo := k * blockRows
	hi := min(lo+blockRows, p.n)
	m := hi - lo
	z, r := buf[:m], buf[blockRows:blockRows+m]
	b := 0.0
	if p.intercept {
		b = x[p.d]
	}
	for i := range z {
		z[i] = b
	}
	// Two columns per pass halve the loads and stores of z.
	j := 0
	for ; j+1 < p.d; j += 2 {
		b0, b1 := x[j], x[j+1]
		c0, c1 := p.cols[j][lo:hi], p.cols[j+1][lo:hi]
		c1 = c1[:len(c0)]
		z := z[:len(c0)]
		for i, v := range c0 {
			z[i] += b0*v + b1*c1[i]
		}
	}
	if j < p.d {
		bj, c := x[j], p.cols[j][lo:hi]
		z := z[:len(c)]
		for i, v := range c {
			z[i] += bj * v
		}
	}
	loss := 0.0
	wts := p.w
	y := p.y[lo:hi]
	z = z[:len(y)]
	r = r[:len(y)]
	for i, yi := range y {
		zi := z[i]
		// The log loss is softplus(z) = log(1+e^z) for y=0 and softplus(−z) for y=1, with
		// softplus(±z) = max(±z, 0) + log1p(e^-|z|); σ(z) comes from the same exponential.
		e := math.Exp(-math.Abs(zi))
		num := e
		if zi >= 0 {
			num = 1
		}
		sig := num / (1 + e)
		w := wts[int(yi)&1] // yi is 0 or 1
		loss += w * (math.Log1p(e) + max(zi*(1-2*yi), 0))
		r[i] = w * (sig - yi)
	}
	out[0] = loss
	// Gradient sums: two interleaved partial sums per column break the dependency chain of a
	// single accumulator; the order is fixed, so the result is too.
	for j, c := range p.cols {
		c := c[lo:hi]
		r := r[:len(c)]
		var s0, s1 float64
		i := 0
		for ; i+1 < len(c); i += 2 {
			s0 += r[i] * c[i]
			s1 += r[i+1] * c[i+1]
		}
		if i < len(c) {
			s0 += r[i] * c[i]
		}
		out[1+j] = s0 + s1
	}
	if p.intercept {
		s := 0.0
		for _, v := range r {
			s += v
		}
		out[1+p.d] = s
	}
}
