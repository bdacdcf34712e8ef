package mlp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sentinel errors for bad training data and failed training.
var (
	// ErrOneClass: classification labels contain a single class.
	ErrOneClass = errors.New("mlp: labels contain only one class")
	// ErrShape: no rows or features, or column and label lengths differ.
	ErrShape = errors.New("mlp: bad data shape")
	// ErrNonFinite: a feature or label is NaN or ±Inf (callers drop NaN rows before Fit).
	ErrNonFinite = errors.New("mlp: non-finite value")
	// ErrLabel: a classification label is neither 0 nor 1.
	ErrLabel = errors.New("mlp: classification label not 0 or 1")
	// ErrDiverged: the training loss or the weights became NaN or infinite.
	ErrDiverged = errors.New("mlp: training diverged")
)

// Keras' Adam defaults.
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-7
)

// chunkRows is the fixed number of rows per unit of parallel work. A batch is split into
// ceil(batch/chunkRows) chunks whatever GOMAXPROCS is, each chunk sums its rows in order into
// its own buffer, and the buffers are added in chunk order: the result never depends on the
// number of goroutines.
const chunkRows = 256

// maxParams bounds the network size (weights plus biases); Fit keeps several copies.
const maxParams = 1 << 24

// rngStream is the second word of the PCG state; the first is the seed.
const rngStream = 0x6d6c702d74726164 // "mlp-trad"

// Fit trains a network on cols (column-major: cols[j][i] is feature j of row i) and labels y
// (0/1 for classification, any finite value for regression). The data must be free of NaN
// and infinities; it is not modified. The result depends only on the data and p (Seed
// included), not on GOMAXPROCS. Errors wrap ErrParam, ErrShape, ErrNonFinite, ErrLabel,
// ErrOneClass or ErrDiverged.
func Fit(cols [][]float64, y []float64, p Params) (*Model, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	d, nrows, err := checkData(cols, y, p.Regression)
	if err != nil {
		return nil, err
	}
	hidden := append([]int(nil), p.Layers...)
	if len(hidden) == 0 {
		hidden = []int{max(1, d/4)}
	}
	sizes := append(append([]int{d}, hidden...), 1)
	nparams := 0
	for l := 0; l+1 < len(sizes); l++ {
		if sizes[l+1] > maxParams || sizes[l] > maxParams/sizes[l+1] {
			nparams = maxParams + 1
			break
		}
		nparams += (sizes[l] + 1) * sizes[l+1]
	}
	if nparams > maxParams {
		return nil, fmt.Errorf("%w: layers %v on %d features exceed %d weights", ErrParam, hidden, d, maxParams)
	}
	nt := newNet(sizes, actOf(p.Activation), p.Regression)

	rng := rand.New(rand.NewPCG(uint64(p.Seed), rngStream))
	nt.glorot(rng.Float64)

	tr := newTrainer(nt, rowMajor(cols, y), d, min(p.BatchSize, nrows))
	perm := make([]int32, nrows)
	for i := range perm {
		perm[i] = int32(i)
	}

	m := &Model{}
	best := math.Inf(1)
	wait := 0
	for epoch := 0; epoch < p.Epochs; epoch++ {
		rng.Shuffle(nrows, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var lossSum float64
		for start := 0; start < nrows; start += p.BatchSize {
			lossSum += tr.batch(perm[start:min(start+p.BatchSize, nrows)], p.LearningRate)
		}
		loss := lossSum / float64(nrows)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("%w: loss %v in epoch %d", ErrDiverged, loss, epoch+1)
		}
		m.Epochs = epoch + 1
		m.Loss = loss
		m.LossHistory = append(m.LossHistory, loss)
		if p.OnEpoch != nil {
			p.OnEpoch(epoch+1, loss)
		}
		if p.EarlyStopping.Enabled {
			// Keras EarlyStopping (mode "min"): an improvement must beat best by min_delta.
			wait++
			if loss < best-p.EarlyStopping.MinDelta {
				best, wait = loss, 0
			} else if wait >= p.EarlyStopping.Patience && epoch > 0 {
				break
			}
		}
	}
	for _, v := range nt.theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: non-finite weight after %d epochs", ErrDiverged, m.Epochs)
		}
	}
	m.fromNet(nt, p.Activation)
	return m, nil
}

// rowMajor packs the features and the label of row i into xy[i*(d+1):(i+1)*(d+1)], so that
// a shuffled row is one contiguous read. Rows are copied in blocks to stay cache friendly.
func rowMajor(cols [][]float64, y []float64) []float64 {
	d, n := len(cols), len(y)
	s := d + 1
	xy := make([]float64, n*s)
	const blk = 512
	for i0 := 0; i0 < n; i0 += blk {
		i1 := min(i0+blk, n)
		for j, c := range cols {
			for i, v := range c[i0:i1] {
				xy[(i0+i)*s+j] = v
			}
		}
		for i, v := range y[i0:i1] {
			xy[(i0+i)*s+d] = v
		}
	}
	return xy
}

// checkData validates shapes and values and returns the number of features and rows.
func checkData(cols [][]float64, y []float64, regression bool) (d, n int, err error) {
	d, n = len(cols), len(y)
	if d == 0 {
		return 0, 0, fmt.Errorf("%w: no feature columns", ErrShape)
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: no rows", ErrShape)
	}
	if n > math.MaxInt32 {
		return 0, 0, fmt.Errorf("%w: %d rows, at most %d supported", ErrShape, n, math.MaxInt32)
	}
	for j, c := range cols {
		if len(c) != n {
			return 0, 0, fmt.Errorf("%w: column %d has %d rows, labels have %d", ErrShape, j, len(c), n)
		}
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, fmt.Errorf("%w: feature %d row %d is %v", ErrNonFinite, j, i, v)
			}
		}
	}
	var seen [2]bool
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("%w: label row %d is %v", ErrNonFinite, i, v)
		}
		if regression {
			continue
		}
		switch v {
		case 0:
			seen[0] = true
		case 1:
			seen[1] = true
		default:
			return 0, 0, fmt.Errorf("%w: row %d has label %v", ErrLabel, i, v)
		}
	}
	if !regression && !(seen[0] && seen[1]) {
		return 0, 0, fmt.Errorf("%w: all %d labels are the same", ErrOneClass, n)
	}
	return d, n, nil
}

// trainer holds the optimiser state and the per-chunk work buffers.
type trainer struct {
	nt      *net
	xy      []float64 // rowMajor's layout
	d       int
	works   []*work
	bufs    [][]float64 // per-chunk copies of the chunk's rows
	grad    []float64
	m, v    []float64
	t       int
	workers int
}

func newTrainer(nt *net, xy []float64, d, maxBatch int) *trainer {
	nchunks := (maxBatch + chunkRows - 1) / chunkRows
	tr := &trainer{
		nt: nt, xy: xy, d: d,
		works: make([]*work, nchunks),
		bufs:  make([][]float64, nchunks),
		grad:  make([]float64, len(nt.theta)),
		m:     make([]float64, len(nt.theta)),
		v:     make([]float64, len(nt.theta)),
		// The goroutine count only affects speed, never the result (see chunkRows).
		workers: min(runtime.GOMAXPROCS(0), nchunks),
	}
	for i := range tr.works {
		tr.works[i] = nt.newWork(true)
		tr.bufs[i] = make([]float64, chunkRows*(d+1))
	}
	return tr
}

// chunk computes the loss and gradient sums of rows idx into wk, using buf for a contiguous
// copy of the rows (gathering first lets the random reads overlap).
func (tr *trainer) chunk(idx []int32, wk *work, buf []float64) {
	clear(wk.grad)
	wk.loss = 0
	s := tr.d + 1
	buf = buf[:len(idx)*s]
	for r, i := range idx {
		copy(buf[r*s:r*s+s], tr.xy[int(i)*s:int(i)*s+s])
	}
	for r := range idx {
		row := buf[r*s : r*s+s : r*s+s]
		tr.nt.step(row[:tr.d], row[tr.d], wk)
	}
}

// batch takes one Adam step on the rows idx and returns their loss sum (before the step).
func (tr *trainer) batch(idx []int32, lr float64) float64 {
	nc := (len(idx) + chunkRows - 1) / chunkRows
	part := func(c int) []int32 { return idx[c*chunkRows : min((c+1)*chunkRows, len(idx))] }
	if w := min(tr.workers, nc); w <= 1 {
		for c := 0; c < nc; c++ {
			tr.chunk(part(c), tr.works[c], tr.bufs[c])
		}
	} else {
		var next atomic.Int32
		var wg sync.WaitGroup
		run := func() {
			for c := int(next.Add(1)) - 1; c < nc; c = int(next.Add(1)) - 1 {
				tr.chunk(part(c), tr.works[c], tr.bufs[c])
			}
		}
		for g := 1; g < w; g++ {
			wg.Go(run)
		}
		run()
		wg.Wait()
	}

	// Fixed-order reduction, then the mean.
	g := tr.grad
	copy(g, tr.works[0].grad)
	loss := tr.works[0].loss
	for c := 1; c < nc; c++ {
		cg := tr.works[c].grad[:len(g)]
		for i, v := range cg {
			g[i] += v
		}
		loss += tr.works[c].loss
	}
	inv := 1 / float64(len(idx))

	// Adam as in Keras: alpha = lr*sqrt(1-beta2^t)/(1-beta1^t), w -= alpha*m/(sqrt(v)+eps).
	tr.t++
	t := float64(tr.t)
	alpha := lr * math.Sqrt(1-math.Pow(adamBeta2, t)) / (1 - math.Pow(adamBeta1, t))
	th := tr.nt.theta[:len(g)]
	m := tr.m[:len(g)]
	v := tr.v[:len(g)]
	for i, gi := range g {
		gi *= inv
		m[i] += (gi - m[i]) * (1 - adamBeta1)
		v[i] += (gi*gi - v[i]) * (1 - adamBeta2)
		th[i] -= m[i] * alpha / (math.Sqrt(v[i]) + adamEpsilon)
	}
	return loss
}
