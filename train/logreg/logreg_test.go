package logreg

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// refCase is one scikit-learn reference fit (see sklearn_ref_test.go).
type refCase struct {
	name                             string
	penalty                          string
	C                                float64
	balanced, noIntercept, separable bool
	coef                             []float64
	intercept                        float64
	proba4                           []float64
}

func (rc refCase) params() Params {
	p := DefaultParams()
	p.Penalty, p.C, p.FitIntercept = rc.penalty, rc.C, !rc.noIntercept
	if rc.balanced {
		p.ClassWeight = "balanced"
	}
	return p
}

func (rc refCase) labels() []float64 {
	if rc.separable {
		return refYSep
	}
	return refY
}

// tight returns p with a tolerance far below the default, to compare against the exact optimum.
func tight(p Params) Params {
	p.Tol, p.MaxIter = 1e-10, 1000
	return p
}

// TestMatchesSklearn compares the optimum with scikit-learn's newton-cg solution at tol 1e-12.
func TestMatchesSklearn(t *testing.T) {
	for _, rc := range refCases {
		t.Run(rc.name, func(t *testing.T) {
			m, err := Fit(refX, rc.labels(), tight(rc.params()))
			if err != nil {
				t.Fatal(err)
			}
			if !m.Converged {
				t.Errorf("not converged: %+v", m)
			}
			for j, want := range rc.coef {
				if d := math.Abs(m.Coef[j] - want); d > 1e-6 {
					t.Errorf("coef[%d] = %.10g, sklearn %.10g (diff %.2g)", j, m.Coef[j], want, d)
				}
			}
			if d := math.Abs(m.Intercept - rc.intercept); d > 1e-6 {
				t.Errorf("intercept = %.10g, sklearn %.10g (diff %.2g)", m.Intercept, rc.intercept, d)
			}
			out := make([]float64, len(refY))
			if err := m.PredictProba(refX, out); err != nil {
				t.Fatal(err)
			}
			for i, want := range rc.proba4 {
				if d := math.Abs(out[i] - want); d > 1e-7 {
					t.Errorf("proba[%d] = %.10g, sklearn %.10g", i, out[i], want)
				}
			}
		})
	}
}

// TestDefaultTolNearOptimum checks that the default stopping rule (tol 1e-4, max_iter 100) lands
// within 1e-4 of the optimum on the small reference problems.
func TestDefaultTolNearOptimum(t *testing.T) {
	for _, rc := range refCases {
		m, err := Fit(refX, rc.labels(), rc.params())
		if err != nil {
			t.Fatal(err)
		}
		if !m.Converged {
			t.Errorf("%s: not converged: %+v", rc.name, m)
		}
		worst := 0.0
		for j, want := range rc.coef {
			worst = math.Max(worst, math.Abs(m.Coef[j]-want))
		}
		t.Logf("%s: %d iterations, grad %.1e, max |coef - optimum| %.1e", rc.name, m.Iterations, m.GradNorm, worst)
		if worst > 1e-4 {
			t.Errorf("%s: coef %v, optimum %v", rc.name, m.Coef, rc.coef)
		}
	}
}

// objective evaluates sklearn's unscaled objective C·Σ wᵢ·ℓᵢ + ½‖β‖² (Σ wᵢ·ℓᵢ for penalty none),
// its gradient and Hessian at theta = (β, b), written directly from the definition.
// The Hessian is only formed when hess is true.
func objective(cols [][]float64, y []float64, p Params, theta []float64, hess bool) (f float64, g []float64, h [][]float64) {
	d, n := len(cols), len(y)
	dim := len(theta)
	var n1 float64
	for _, v := range y {
		n1 += v
	}
	c := p.C
	if p.Penalty == PenaltyNone {
		c = 1
	}
	g = make([]float64, dim)
	h = make([][]float64, dim)
	for k := range h {
		h[k] = make([]float64, dim)
	}
	xt := make([]float64, dim)
	for i := range n {
		w := 1.0
		if p.ClassWeight == "balanced" {
			if y[i] == 1 {
				w = float64(n) / (2 * n1)
			} else {
				w = float64(n) / (2 * (float64(n) - n1))
			}
		}
		z := 0.0
		for j := range d {
			xt[j] = cols[j][i]
		}
		if dim > d {
			xt[d] = 1
		}
		for k := range dim {
			z += theta[k] * xt[k]
		}
		prob := 1 / (1 + math.Exp(-z))
		// ℓ = log(1+e^z) − y·z
		f += c * w * (math.Log1p(math.Exp(-math.Abs(z))) + math.Max(z, 0) - y[i]*z)
		for k := range dim {
			g[k] += c * w * (prob - y[i]) * xt[k]
			if hess {
				hk, s := h[k], c*w*prob*(1-prob)*xt[k]
				for l := range dim {
					hk[l] += s * xt[l]
				}
			}
		}
	}
	if p.Penalty == PenaltyL2 {
		for j := range d {
			f += 0.5 * theta[j] * theta[j]
			g[j] += theta[j]
			h[j][j]++
		}
	}
	return f, g, h
}

// solve solves a·x = b by Gaussian elimination with partial pivoting (a and b are overwritten).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for k := range n {
		p := k
		for i := k + 1; i < n; i++ {
			if math.Abs(a[i][k]) > math.Abs(a[p][k]) {
				p = i
			}
		}
		a[k], a[p] = a[p], a[k]
		b[k], b[p] = b[p], b[k]
		for i := k + 1; i < n; i++ {
			f := a[i][k] / a[k][k]
			for j := k; j < n; j++ {
				a[i][j] -= f * a[k][j]
			}
			b[i] -= f * b[k]
		}
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < n; j++ {
			s -= a[i][j] * x[j]
		}
		x[i] = s / a[i][i]
	}
	return x
}

// newton minimises objective by damped Newton steps, independently of the package's L-BFGS.
func newton(t *testing.T, cols [][]float64, y []float64, p Params) []float64 {
	dim := len(cols)
	if p.FitIntercept {
		dim++
	}
	theta := make([]float64, dim)
	scale := float64(len(y)) * math.Max(1, p.C)
	for range 60 {
		f, g, h := objective(cols, y, p, theta, true)
		if infNormTest(g) < 1e-13*scale {
			break
		}
		step := solve(h, append([]float64(nil), g...))
		accepted := false
		for s := 1.0; s > 1e-4 && !accepted; s /= 2 {
			next := make([]float64, dim)
			for k := range theta {
				next[k] = theta[k] - s*step[k]
			}
			if fn, _, _ := objective(cols, y, p, next, false); fn <= f {
				theta, accepted = next, true
			}
		}
		if !accepted {
			break // at the optimum up to rounding
		}
	}
	if _, g, _ := objective(cols, y, p, theta, false); infNormTest(g) > 1e-10*scale {
		t.Fatalf("newton did not converge: gradient %g", infNormTest(g))
	}
	return theta
}

func infNormTest(g []float64) float64 {
	m := 0.0
	for _, v := range g {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// randomProblem draws n rows of d standard normal features with labels from a noisy linear rule.
func randomProblem(seed uint64, n, d int, bias float64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	y := make([]float64, n)
	for i := range n {
		z := bias
		for j := range d {
			v := r.NormFloat64()
			cols[j][i] = v
			z += v * float64(j%3-1) * 0.8
		}
		if z+r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return cols, y
}

// TestOptimumNewton compares Fit with an independent Newton solver over C, class weights and
// intercept settings, and checks that the gradient of sklearn's objective vanishes at Fit's answer.
func TestOptimumNewton(t *testing.T) {
	cols, y := randomProblem(3, 60, 3, -0.8)
	for _, c := range []float64{0.01, 1, 100} {
		for _, cw := range []string{"", "balanced"} {
			for _, icpt := range []bool{true, false} {
				p := DefaultParams()
				p.C, p.ClassWeight, p.FitIntercept = c, cw, icpt
				m, err := Fit(cols, y, tight(p))
				if err != nil {
					t.Fatal(err)
				}
				theta := append([]float64(nil), m.Coef...)
				if icpt {
					theta = append(theta, m.Intercept)
				} else if m.Intercept != 0 {
					t.Errorf("C=%g: intercept %g without fit_intercept", c, m.Intercept)
				}
				f, g, _ := objective(cols, y, p, theta, false)
				if want := f / c; math.Abs(m.Objective-want) > 1e-12*want {
					t.Errorf("C=%g cw=%q icpt=%v: Objective %.15g, want %.15g", c, cw, icpt, m.Objective, want)
				}
				if gn := infNormTest(g); gn > 1e-7*math.Max(1, c) {
					t.Errorf("C=%g cw=%q icpt=%v: |grad| of the sklearn objective = %g", c, cw, icpt, gn)
				}
				want := newton(t, cols, y, p)
				for k := range want {
					if d := math.Abs(theta[k] - want[k]); d > 1e-6 {
						t.Errorf("C=%g cw=%q icpt=%v: theta[%d] = %.10g, newton %.10g", c, cw, icpt, k, theta[k], want[k])
					}
				}
			}
		}
	}
}

// TestBalancedDiffers guards against class_weight being ignored: on imbalanced data the balanced
// intercept must be clearly higher than the unweighted one.
func TestBalancedDiffers(t *testing.T) {
	cols, y := randomProblem(5, 400, 3, -1.5)
	p := DefaultParams()
	plain, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	p.ClassWeight = "balanced"
	bal, err := Fit(cols, y, p)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Intercept < plain.Intercept+0.5 {
		t.Errorf("balanced intercept %g, unweighted %g", bal.Intercept, plain.Intercept)
	}
}

// TestSeparable checks that perfectly separable data stays bounded under L2 (the objective at 0,
// C·n·log 2, bounds ½‖β‖²) and that penalty none returns finite values without an error.
func TestSeparable(t *testing.T) {
	n := len(refYSep)
	for _, c := range []float64{1, 1e4} {
		p := DefaultParams()
		p.C = c
		m, err := Fit(refX, refYSep, p)
		if err != nil {
			t.Fatal(err)
		}
		norm2 := 0.0
		for _, v := range m.Coef {
			norm2 += v * v
		}
		if bound := 2 * c * float64(n) * math.Ln2; !(norm2 <= bound) {
			t.Errorf("C=%g: ‖β‖² = %g exceeds %g", c, norm2, bound)
		}
	}
	p := DefaultParams()
	p.Penalty = PenaltyNone
	m, err := Fit(refX, refYSep, p)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, n)
	if err := m.PredictProba(refX, out); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if math.IsNaN(v) || (v > 0.5) != (refYSep[i] == 1) {
			t.Fatalf("row %d: p=%v y=%v (model %+v)", i, v, refYSep[i], m)
		}
	}
}

// TestDeterministic fits the same multi-block problem at GOMAXPROCS 1 and 2 and twice, and
// requires identical JSON bytes.
func TestDeterministic(t *testing.T) {
	cols, y := randomProblem(11, 30000, 6, 0.3)
	fit := func(procs int) []byte {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		m, err := Fit(cols, y, DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := fit(1), fit(2), fit(2)
	if !bytes.Equal(a, b) || !bytes.Equal(b, c) {
		t.Fatalf("fits differ:\n%s\n%s\n%s", a, b, c)
	}
	var m Model
	if err := json.Unmarshal(a, &m); err != nil || len(m.Coef) != 6 || m.Iterations == 0 {
		t.Fatalf("round trip: %v %+v", err, m)
	}
}

func TestMaxIter(t *testing.T) {
	p := tight(DefaultParams())
	p.MaxIter = 0
	m, err := Fit(refX, refY, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Converged || m.Iterations != 0 || m.Coef[0] != 0 || m.Intercept != 0 {
		t.Errorf("max_iter 0: %+v", m)
	}
	p.MaxIter = 2
	m, err = Fit(refX, refY, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Converged || m.Iterations > 2 || m.Coef[0] == 0 {
		t.Errorf("max_iter 2: %+v", m)
	}
}

func TestPredictProba(t *testing.T) {
	m := &Model{Coef: []float64{2, -1}, Intercept: 0.5}
	cols := [][]float64{{0, 1, math.NaN(), 400, -400}, {0, 3, 0, 0, 0}}
	out := make([]float64, 5)
	if err := m.PredictProba(cols, out); err != nil {
		t.Fatal(err)
	}
	want := []float64{1 / (1 + math.Exp(-0.5)), 1 / (1 + math.Exp(0.5)), math.NaN(), 1, 0}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(out[i]) || (!math.IsNaN(want[i]) && math.Abs(out[i]-want[i]) > 1e-15) {
			t.Errorf("row %d: %v, want %v", i, out[i], want[i])
		}
	}
	if err := m.PredictProba(cols[:1], out); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("one column for a 2-feature model: %v", err)
	}
	if err := m.PredictProba(cols, out[:4]); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short out: %v", err)
	}
}

func TestFitBadInput(t *testing.T) {
	p := DefaultParams()
	ones := []float64{1, 1, 1}
	if _, err := Fit([][]float64{{1, 2, 3}}, ones, p); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2, 3}}, []float64{0, 0, 0}, p); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class (zeros): %v", err)
	}
	_, err := Fit([][]float64{{1, 2, 3}, {1, math.NaN(), 3}}, []float64{0, 1, 0}, p)
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "column 1 row 1") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := Fit([][]float64{{1, math.Inf(1), 3}}, []float64{0, 1, 0}, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Inf: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2, 3}, {1, 2}}, []float64{0, 1, 0}, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("length mismatch: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2, 3}}, []float64{0, 2, 1}, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("label 2: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2, 3}}, []float64{0, math.NaN(), 1}, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("NaN label: %v", err)
	}
	if _, err := Fit(nil, []float64{0, 1}, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("no columns: %v", err)
	}
	if _, err := Fit([][]float64{{}}, nil, p); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("no rows: %v", err)
	}
	bad := p
	bad.C = -1
	if _, err := Fit([][]float64{{1, 2}}, []float64{0, 1}, bad); !errors.Is(err, ErrInvalidParam) {
		t.Errorf("C=-1: %v", err)
	}
}

func TestParseParams(t *testing.T) {
	// The 1min sample config's lc entry (ITB §4.4), plus the keys ITB adds itself.
	p, err := ParseParams(json.RawMessage(`{"penalty": "l2", "C": 1.0, "class_weight": null, "solver": "sag",
		"max_iter": 100, "n_jobs": -1, "verbose": 0, "random_state": 42}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Params{Penalty: "l2", C: 1, Solver: "sag", MaxIter: 100, Tol: 1e-4, FitIntercept: true}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	p, err = ParseParams(json.RawMessage(`{"penalty": null, "C": 0.5, "class_weight": "balanced", "max_iter": 200,
		"tol": 1e-6, "fit_intercept": false, "dual": false, "multi_class": "auto", "l1_ratio": null,
		"warm_start": true, "intercept_scaling": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	want = Params{Penalty: "none", C: 0.5, ClassWeight: "balanced", Solver: "lbfgs", MaxIter: 200, Tol: 1e-6}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	for _, raw := range []string{"", "null", "{}", " { } "} {
		if p, err := ParseParams(json.RawMessage(raw)); err != nil || p != DefaultParams() {
			t.Errorf("%q: %+v %v", raw, p, err)
		}
	}
	if p, err := ParseParams(json.RawMessage(`{"penalty": "none"}`)); err != nil || p.Penalty != PenaltyNone {
		t.Errorf("penalty none: %+v %v", p, err)
	}

	bad := []struct {
		raw, inErr string
		sentinel   error
	}{
		{`{"alpha": 1}`, `"alpha"`, ErrUnknownParam},
		{`{"C": 1, "learning_rate": 0.1}`, `"learning_rate"`, ErrUnknownParam},
		{`{"penalty": "l1"}`, "l1", ErrUnsupported},
		{`{"penalty": "elasticnet", "l1_ratio": 0.5}`, "l1_ratio", ErrUnsupported},
		{`{"penalty": "elasticnet"}`, "elasticnet", ErrUnsupported},
		{`{"penalty": "l3"}`, "l3", ErrInvalidParam},
		{`{"class_weight": {"0": 1, "1": 5}}`, "class_weight", ErrUnsupported},
		{`{"class_weight": "auto"}`, "auto", ErrInvalidParam},
		{`{"max_iter": 100.0}`, "max_iter", ErrInvalidParam},
		{`{"max_iter": -1}`, "max_iter", ErrInvalidParam},
		{`{"C": 0}`, "C", ErrInvalidParam},
		{`{"C": "1"}`, `"C"`, ErrInvalidParam},
		{`{"tol": -1e-4}`, "tol", ErrInvalidParam},
		{`{"fit_intercept": 1}`, "fit_intercept", ErrInvalidParam},
		{`{"solver": "adam"}`, "adam", ErrInvalidParam},
		{`{"solver": "liblinear", "penalty": null}`, "liblinear", ErrInvalidParam},
		{`{"dual": true}`, "dual", ErrUnsupported},
		{`{"multi_class": "multinomial"}`, "multinomial", ErrUnsupported},
		{`[1, 2]`, "JSON object", ErrInvalidParam},
	}
	for _, b := range bad {
		_, err := ParseParams(json.RawMessage(b.raw))
		if !errors.Is(err, b.sentinel) || !strings.Contains(err.Error(), b.inErr) {
			t.Errorf("%s: got %v, want %v mentioning %s", b.raw, err, b.sentinel, b.inErr)
		}
	}
}
