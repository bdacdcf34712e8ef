package mlp

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// refLogit is an independent, straightforward forward pass over the Model's documented JSON
// layout (Weights[l][j][k], Biases[l][j]); it returns the output unit's pre-activation and
// every hidden pre-activation.
func refLogit(m *Model, x []float64) (float64, []float64) {
	a := append([]float64(nil), x...)
	var pre []float64
	for l := range m.Weights {
		next := make([]float64, len(m.Weights[l]))
		for j, row := range m.Weights[l] {
			z := m.Biases[l][j]
			for k := range row {
				z += row[k] * a[k]
			}
			if l == len(m.Weights)-1 {
				return z, pre
			}
			pre = append(pre, z)
			switch m.Activation {
			case "sigmoid":
				next[j] = 1 / (1 + math.Exp(-z))
			case "tanh":
				next[j] = (math.Exp(z) - math.Exp(-z)) / (math.Exp(z) + math.Exp(-z))
			case "relu":
				next[j] = math.Max(0, z)
			}
		}
		a = next
	}
	panic("unreachable")
}

// refLoss is the mean loss over rows (row-major x): binary cross-entropy -[y ln p + (1-y) ln(1-p)]
// or the squared error.
func refLoss(m *Model, x [][]float64, y []float64) float64 {
	var s float64
	for i, row := range x {
		z, _ := refLogit(m, row)
		if m.Regression {
			s += (z - y[i]) * (z - y[i])
		} else {
			p := 1 / (1 + math.Exp(-z))
			s -= y[i]*math.Log(p) + (1-y[i])*math.Log(1-p)
		}
	}
	return s / float64(len(x))
}

// aucPairs is the ROC AUC by counting (positive, negative) pairs: P(score+ > score-) + P(tie)/2.
func aucPairs(score, y []float64) float64 {
	var pos, neg []float64
	for i, v := range y {
		if v == 1 {
			pos = append(pos, score[i])
		} else {
			neg = append(neg, score[i])
		}
	}
	var wins float64
	for _, p := range pos {
		for _, n := range neg {
			switch {
			case p > n:
				wins++
			case p == n:
				wins += 0.5
			}
		}
	}
	return wins / float64(len(pos)*len(neg))
}

func transpose(rows [][]float64) [][]float64 {
	cols := make([][]float64, len(rows[0]))
	for j := range cols {
		cols[j] = make([]float64, len(rows))
		for i, r := range rows {
			cols[j][i] = r[j]
		}
	}
	return cols
}

// circle returns n points uniform in [-1,1]^2, labelled 1 inside the circle of area 2
// (half the square), as rows and columns.
func circle(n int, seed uint64) (rows, cols [][]float64, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	r2 := 2 / math.Pi
	for range n {
		a, b := 2*rng.Float64()-1, 2*rng.Float64()-1
		rows = append(rows, []float64{a, b})
		if a*a+b*b < r2 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
	}
	return rows, transpose(rows), y
}

func TestGradientCheck(t *testing.T) {
	for _, regression := range []bool{false, true} {
		for _, name := range []string{Sigmoid, ReLU, Tanh} {
			nt := newNet([]int{3, 5, 4, 1}, actOf(name), regression)
			rng := rand.New(rand.NewPCG(11, 3))
			for i := range nt.theta {
				nt.theta[i] = rng.NormFloat64() * 0.8
			}
			var xs [][]float64
			var ys []float64
			for i := range 6 {
				xs = append(xs, []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()})
				if regression {
					ys = append(ys, rng.NormFloat64())
				} else {
					ys = append(ys, float64(i%2))
				}
			}
			wk := nt.newWork(true)
			for i := range xs {
				nt.step(xs[i], ys[i], wk)
			}
			m := &Model{}
			m.fromNet(nt, name)
			for _, x := range xs {
				_, pre := refLogit(m, x)
				for _, z := range pre {
					if name == ReLU && math.Abs(z) < 1e-3 {
						t.Fatalf("relu pre-activation %v too close to the kink for finite differences", z)
					}
				}
			}
			n := float64(len(xs))
			if got, want := wk.loss/n, refLoss(m, xs, ys); math.Abs(got-want) > 1e-12*math.Max(1, want) {
				t.Errorf("%s reg=%v: loss %v, reference %v", name, regression, got, want)
			}
			const h = 1e-5
			big := 0
			for i := range nt.theta {
				orig := nt.theta[i]
				nt.theta[i] = orig + h
				m.fromNet(nt, name)
				lp := refLoss(m, xs, ys)
				nt.theta[i] = orig - h
				m.fromNet(nt, name)
				lm := refLoss(m, xs, ys)
				nt.theta[i] = orig
				fd := (lp - lm) / (2 * h)
				an := wk.grad[i] / n
				scale := math.Max(math.Abs(fd), math.Abs(an))
				if scale < 1e-4 {
					if math.Abs(fd-an) > 1e-10 {
						t.Errorf("%s reg=%v param %d: analytic %v, finite difference %v", name, regression, i, an, fd)
					}
					continue
				}
				big++
				if rel := math.Abs(fd-an) / scale; rel > 1e-6 {
					t.Errorf("%s reg=%v param %d: analytic %v, finite difference %v, relative error %.2g",
						name, regression, i, an, fd, rel)
				}
			}
			if big < len(nt.theta)/2 {
				t.Errorf("%s reg=%v: only %d of %d gradient components are large enough to check relatively",
					name, regression, big, len(nt.theta))
			}
		}
	}
}

func TestGlorotInit(t *testing.T) {
	nt := newNet([]int{300, 100, 1}, actSigmoid, false)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range nt.theta {
		nt.theta[i] = 9 // must be overwritten
	}
	nt.glorot(rng.Float64)
	r := math.Sqrt(6.0 / 400)
	w := nt.w(nt.theta, 0)
	var sum, sq float64
	for _, v := range w {
		if math.Abs(v) > r {
			t.Fatalf("weight %v outside ±%v", v, r)
		}
		sum += v
		sq += v * v
	}
	nw := float64(len(w))
	if mean := sum / nw; math.Abs(mean) > 0.01*r {
		t.Errorf("mean %v, want ~0", mean)
	}
	// U(-r, r) has variance r^2/3.
	if v := sq / nw; math.Abs(v/(r*r/3)-1) > 0.02 {
		t.Errorf("variance %v, want %v", v, r*r/3)
	}
	for l := range 2 {
		for _, b := range nt.b(nt.theta, l) {
			if b != 0 {
				t.Fatalf("bias %v, want 0", b)
			}
		}
	}
	r1 := math.Sqrt(6.0 / 101)
	for _, v := range nt.w(nt.theta, 1) {
		if v == 9 || math.Abs(v) > r1 {
			t.Fatalf("output weight %v outside ±%v", v, r1)
		}
	}
}

// TestAdamSteps replays Fit's first full-batch steps with an independent Keras Adam update.
func TestAdamSteps(t *testing.T) {
	rows, cols, y := circle(64, 9)
	p := DefaultParams()
	p.Layers = []int{4}
	p.BatchSize = 64
	p.Epochs = 3
	p.LearningRate = 0.05
	p.EarlyStopping.Enabled = false
	p.Seed = 77
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}

	nt := newNet([]int{2, 4, 1}, actSigmoid, false)
	nt.glorot(rand.New(rand.NewPCG(77, rngStream)).Float64)
	mom := make([]float64, len(nt.theta))
	vel := make([]float64, len(nt.theta))
	for step := 1; step <= 3; step++ {
		wk := nt.newWork(true)
		for i := range rows {
			nt.step(rows[i], y[i], wk)
		}
		for i := range nt.theta {
			g := wk.grad[i] / 64
			mom[i] = 0.9*mom[i] + 0.1*g
			vel[i] = 0.999*vel[i] + 0.001*g*g
			mhat := mom[i] / (1 - math.Pow(0.9, float64(step)))
			// Keras adds epsilon to sqrt(v) before bias correction: eps_hat = eps*sqrt(1-beta2^t).
			vhat := math.Sqrt(vel[i]) / math.Sqrt(1-math.Pow(0.999, float64(step)))
			nt.theta[i] -= 0.05 * mhat / (vhat + 1e-7/math.Sqrt(1-math.Pow(0.999, float64(step))))
		}
	}
	want := &Model{}
	want.fromNet(nt, Sigmoid)
	for l := range want.Weights {
		for j := range want.Weights[l] {
			for k, w := range want.Weights[l][j] {
				if g := m.Weights[l][j][k]; math.Abs(g-w) > 1e-12 {
					t.Errorf("weight [%d][%d][%d] = %v, independent Adam gives %v", l, j, k, g, w)
				}
			}
			if g, w := m.Biases[l][j], want.Biases[l][j]; math.Abs(g-w) > 1e-12 {
				t.Errorf("bias [%d][%d] = %v, independent Adam gives %v", l, j, g, w)
			}
		}
	}
}

func TestFitsCircle(t *testing.T) {
	trainRows, trainCols, trainY := circle(4000, 1)
	_, testCols, testY := circle(2000, 2)
	_ = trainRows
	for _, name := range []string{Sigmoid, Tanh, ReLU} {
		p := DefaultParams()
		p.Layers = []int{16}
		p.Activation = name
		p.LearningRate = 0.01
		p.BatchSize = 32
		p.Epochs = 80
		p.Seed = 3
		m, err := Fit(trainCols, trainY, p)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(testY))
		if err := m.PredictProba(testCols, out); err != nil {
			t.Fatal(err)
		}
		auc := aucPairs(out, testY)
		t.Logf("%s [16]: held-out AUC %.4f after %d epochs, loss %.4f", name, auc, m.Epochs, m.Loss)
		if auc <= 0.95 {
			t.Errorf("%s [16]: held-out AUC %.4f, want > 0.95", name, auc)
		}
	}

	// ITB's default size for 2 features is max(1, 2/4) = 1 hidden unit: a monotone function
	// of one linear projection, which cannot separate the inside of a circle from the outside.
	p := DefaultParams()
	p.LearningRate = 0.01
	p.BatchSize = 32
	p.Epochs = 80
	p.Seed = 3
	m, err := Fit(trainCols, trainY, p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Layers, []int{1}) {
		t.Fatalf("default layers for 2 features = %v, want [1]", m.Layers)
	}
	out := make([]float64, len(testY))
	if err := m.PredictProba(testCols, out); err != nil {
		t.Fatal(err)
	}
	auc := aucPairs(out, testY)
	t.Logf("sigmoid [1]: held-out AUC %.4f", auc)
	if auc >= 0.7 {
		t.Errorf("one hidden unit reached AUC %.4f on a circle, want < 0.7", auc)
	}
}

func TestDefaultLayers(t *testing.T) {
	for _, c := range []struct{ d, h int }{{13, 3}, {8, 2}, {3, 1}, {1, 1}} {
		cols, y := benchData(50, c.d)
		p := DefaultParams()
		p.Epochs = 1
		m, err := Fit(cols, y, p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Layers, []int{c.h}) || m.NFeatures != c.d {
			t.Errorf("%d features: layers %v, n_features %d; want [%d]", c.d, m.Layers, m.NFeatures, c.h)
		}
	}
}

func TestRegression(t *testing.T) {
	gen := func(n int, seed uint64) ([][]float64, []float64) {
		rng := rand.New(rand.NewPCG(seed, 2))
		cols := [][]float64{make([]float64, n), make([]float64, n)}
		y := make([]float64, n)
		for i := range n {
			a, b := 4*rng.Float64()-2, 4*rng.Float64()-2
			cols[0][i], cols[1][i] = a, b
			y[i] = 3*math.Sin(1.5*a) + b*b + 1
		}
		return cols, y
	}
	cols, y := gen(3000, 1)
	tcols, ty := gen(1000, 2)
	p := DefaultParams()
	p.Regression = true
	p.Layers = []int{32}
	p.Activation = Tanh
	p.LearningRate = 0.01
	p.BatchSize = 32
	p.Epochs = 100
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(ty))
	if err := m.Predict(tcols, out); err != nil {
		t.Fatal(err)
	}
	var mean, sse, sst float64
	for _, v := range ty {
		mean += v / float64(len(ty))
	}
	for i, v := range ty {
		sse += (out[i] - v) * (out[i] - v)
		sst += (v - mean) * (v - mean)
	}
	r2 := 1 - sse/sst
	t.Logf("regression: held-out R^2 %.4f, train MSE %.4f, %d epochs", r2, m.Loss, m.Epochs)
	if r2 < 0.95 {
		t.Errorf("held-out R^2 = %.4f, want >= 0.95", r2)
	}
	if err := m.PredictProba(tcols, out); !errors.Is(err, ErrNotClassifier) {
		t.Errorf("PredictProba on a regressor: %v, want ErrNotClassifier", err)
	}
}

func TestEarlyStoppingFlatLoss(t *testing.T) {
	rows, cols, y := circle(500, 4)
	for _, patience := range []int{0, 2, 5} {
		p := DefaultParams()
		p.LearningRate = 1e-12 // the weights, hence the loss, stay put
		p.BatchSize = 100
		p.EarlyStopping.Patience = patience
		p.Epochs = 50
		m, err := Fit(cols, y, p)
		if err != nil {
			t.Fatal(err)
		}
		// Epoch 1 improves on +Inf; the next `patience` epochs do not improve by min_delta.
		if want := 1 + max(patience, 1); m.Epochs != want {
			t.Errorf("patience %d: %d epochs run, want %d (losses %v)", patience, m.Epochs, want, m.LossHistory)
		}
		// With frozen weights the epoch loss is the plain mean BCE of the final model.
		if ref := refLoss(m, rows, y); math.Abs(m.Loss-ref) > 1e-9 {
			t.Errorf("reported loss %v, reference BCE %v", m.Loss, ref)
		}
	}
	p := DefaultParams()
	p.LearningRate = 1e-12
	p.BatchSize = 100
	p.Epochs = 12
	p.EarlyStopping.Enabled = false
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Epochs != 12 {
		t.Errorf("without early stopping %d epochs run, want 12", m.Epochs)
	}
}

func TestEarlyStoppingRule(t *testing.T) {
	_, cols, y := circle(2000, 5)
	p := DefaultParams()
	p.Layers = []int{16}
	p.Activation = Tanh
	p.LearningRate = 0.01
	p.BatchSize = 32
	p.Epochs = 300
	p.EarlyStopping = EarlyStopping{Enabled: true, MinDelta: 2e-3, Patience: 3}
	var seen []float64
	p.OnEpoch = func(epoch int, loss float64) {
		if epoch != len(seen)+1 {
			t.Errorf("callback epoch %d after %d calls", epoch, len(seen))
		}
		seen = append(seen, loss)
	}
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, m.LossHistory) || m.Loss != seen[len(seen)-1] {
		t.Fatalf("callback losses %v differ from history %v / loss %v", seen, m.LossHistory, m.Loss)
	}
	// Independent rule: stop after the first epoch that is `patience` epochs past the last
	// epoch whose loss beat the best so far by more than min_delta.
	want := len(seen)
	best, last := math.Inf(1), -1
	for e, l := range seen {
		if l < best-2e-3 {
			best, last = l, e
		}
		if e-last >= 3 {
			want = e + 1
			break
		}
	}
	t.Logf("stopped after %d epochs, losses %.4f", m.Epochs, seen)
	if m.Epochs != want || want >= 300 {
		t.Errorf("%d epochs run, the rule says %d (of max 300)", m.Epochs, want)
	}
	// The case is meant to stop after real learning, not on an initial plateau.
	if m.Epochs < 10 || seen[len(seen)-1] > 0.5*seen[0] {
		t.Errorf("expected a long run with a large loss decrease: %v", seen)
	}
}

func TestDeterminism(t *testing.T) {
	cols, y := benchData(3000, 5)
	p := DefaultParams()
	p.Layers = []int{8, 4}
	p.Epochs = 5
	p.Seed = 42
	fit := func(procs int, seed int64) []byte {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		q := p
		q.Seed = seed
		m, err := Fit(cols, y, q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := fit(1, 42)
	for _, procs := range []int{1, 2, 4} {
		if b := fit(procs, 42); !bytes.Equal(a, b) {
			t.Errorf("GOMAXPROCS %d: model JSON differs from GOMAXPROCS 1", procs)
		}
	}
	if b := fit(2, 43); bytes.Equal(a, b) {
		t.Error("seeds 42 and 43 gave identical models")
	}
}

func TestBadInputs(t *testing.T) {
	_, cols, y := circle(100, 6)
	good := DefaultParams()
	good.Epochs = 1
	clone := func() ([][]float64, []float64) {
		c := [][]float64{append([]float64(nil), cols[0]...), append([]float64(nil), cols[1]...)}
		return c, append([]float64(nil), y...)
	}
	cases := []struct {
		name string
		mod  func(c [][]float64, y []float64, p *Params) ([][]float64, []float64)
		want error
	}{
		{"all zeros", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			return c, make([]float64, len(y))
		}, ErrOneClass},
		{"all ones", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			for i := range y {
				y[i] = 1
			}
			return c, y
		}, ErrOneClass},
		{"NaN feature", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			c[1][50] = math.NaN()
			return c, y
		}, ErrNonFinite},
		{"Inf feature", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			c[0][3] = math.Inf(-1)
			return c, y
		}, ErrNonFinite},
		{"NaN label", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			y[7] = math.NaN()
			return c, y
		}, ErrNonFinite},
		{"NaN label regression", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Regression = true
			y[7] = math.NaN()
			return c, y
		}, ErrNonFinite},
		{"label 2", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			y[0] = 2
			return c, y
		}, ErrLabel},
		{"short column", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			c[1] = c[1][:99]
			return c, y
		}, ErrShape},
		{"short labels", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			return c, y[:99]
		}, ErrShape},
		{"no columns", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			return nil, y
		}, ErrShape},
		{"no rows", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			return [][]float64{{}, {}}, []float64{}
		}, ErrShape},
		{"layer 0", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Layers = []int{4, 0}
			return c, y
		}, ErrParam},
		{"layer -3", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Layers = []int{-3}
			return c, y
		}, ErrParam},
		{"activation", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Activation = "selu"
			return c, y
		}, ErrParam},
		{"empty activation", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Activation = ""
			return c, y
		}, ErrParam},
		{"learning rate", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.LearningRate = math.NaN()
			return c, y
		}, ErrParam},
		{"epochs", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Epochs = 0
			return c, y
		}, ErrParam},
		{"batch", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.BatchSize = -1
			return c, y
		}, ErrParam},
		{"huge layer", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.Layers = []int{1 << 40, 1 << 40}
			return c, y
		}, ErrParam},
		{"patience", func(c [][]float64, y []float64, p *Params) ([][]float64, []float64) {
			p.EarlyStopping.Patience = -1
			return c, y
		}, ErrParam},
	}
	for _, tc := range cases {
		c, yy := clone()
		p := good
		c, yy = tc.mod(c, yy, &p)
		m, err := Fit(c, yy, p)
		if !errors.Is(err, tc.want) || m != nil {
			t.Errorf("%s: (%v, %v), want error %v", tc.name, m, err, tc.want)
		}
	}
	// A one-class label set is fine for regression.
	p := good
	p.Regression = true
	if _, err := Fit(cols, make([]float64, len(y)), p); err != nil {
		t.Errorf("constant regression target: %v", err)
	}
	// The unmodified input trains.
	if _, err := Fit(cols, y, good); err != nil {
		t.Errorf("good input: %v", err)
	}
}

func TestDiverged(t *testing.T) {
	_, cols, y := circle(200, 8)
	big := make([]float64, len(y))
	for i := range big {
		big[i] = 1e300 * float64(i%3)
	}
	p := DefaultParams()
	p.Regression = true
	p.Epochs = 2
	if _, err := Fit(cols, big, p); !errors.Is(err, ErrDiverged) {
		t.Errorf("regression on 1e300 targets: %v, want ErrDiverged", err)
	}
}

func TestPredict(t *testing.T) {
	rows, cols, y := circle(5000, 10)
	p := DefaultParams()
	p.Layers = []int{6, 3}
	p.Activation = Tanh
	p.Epochs = 3
	p.BatchSize = 50
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(y))
	if err := m.PredictProba(cols, out); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		z, _ := refLogit(m, r)
		if want := 1 / (1 + math.Exp(-z)); math.Abs(out[i]-want) > 1e-12 {
			t.Fatalf("row %d: %v, reference forward pass %v", i, out[i], want)
		}
	}

	// JSON round trip predicts identically.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var m2 Model
	if err := json.Unmarshal(b, &m2); err != nil {
		t.Fatal(err)
	}
	out2 := make([]float64, len(y))
	if err := m2.PredictProba(cols, out2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, out2) || m2.Epochs != 3 || len(m2.LossHistory) != 3 || m2.Loss != m.Loss {
		t.Error("JSON round trip changed the model")
	}

	// A NaN or infinite feature gives a NaN prediction for that row only.
	cols[0][17] = math.NaN()
	cols[1][4900] = math.Inf(1)
	if err := m.PredictProba(cols, out2); err != nil {
		t.Fatal(err)
	}
	for i := range out {
		nan := i == 17 || i == 4900
		if nan != math.IsNaN(out2[i]) || (!nan && out2[i] != out[i]) {
			t.Fatalf("row %d: %v (clean input gave %v)", i, out2[i], out[i])
		}
	}

	if err := m.PredictProba(cols[:1], out); !errors.Is(err, ErrShape) {
		t.Errorf("one column: %v, want ErrShape", err)
	}
	if err := m.PredictProba(cols, out[:10]); !errors.Is(err, ErrShape) {
		t.Errorf("short out: %v, want ErrShape", err)
	}

	bad := []func(m *Model){
		func(m *Model) { m.Weights[1] = m.Weights[1][:2] },
		func(m *Model) { m.Weights[0][1] = m.Weights[0][1][:1] },
		func(m *Model) { m.Biases = m.Biases[:2] },
		func(m *Model) { m.Layers = []int{6, 0} },
		func(m *Model) { m.NFeatures = 0 },
		func(m *Model) { m.Activation = "linear" },
		func(m *Model) { m.Weights[2][0][0] = math.Inf(1) },
		func(m *Model) { m.Biases[0][0] = math.NaN() },
	}
	for i, f := range bad {
		var mm Model
		if err := json.Unmarshal(b, &mm); err != nil {
			t.Fatal(err)
		}
		f(&mm)
		if err := mm.Predict(cols, out); !errors.Is(err, ErrModel) {
			t.Errorf("malformed model %d: %v, want ErrModel", i, err)
		}
	}
	var nilModel *Model
	if err := nilModel.Predict(cols, out); !errors.Is(err, ErrModel) {
		t.Errorf("nil model: %v, want ErrModel", err)
	}
}
