package svm

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// ---- helpers ----

func rowsToCols(rows [][]float64) [][]float64 {
	cols := make([][]float64, len(rows[0]))
	for j := range cols {
		cols[j] = make([]float64, len(rows))
		for i, r := range rows {
			cols[j][i] = r[j]
		}
	}
	return cols
}

func fit(t *testing.T, cols [][]float64, y []float64, p Params) *Model {
	t.Helper()
	m, err := Fit(cols, y, p)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return m
}

func decisions(t *testing.T, m *Model, cols [][]float64) []float64 {
	t.Helper()
	out := make([]float64, len(cols[0]))
	if err := m.Decision(cols, out); err != nil {
		t.Fatalf("Decision: %v", err)
	}
	return out
}

func probas(t *testing.T, m *Model, cols [][]float64) []float64 {
	t.Helper()
	out := make([]float64, len(cols[0]))
	if err := m.PredictProba(cols, out); err != nil {
		t.Fatalf("PredictProba: %v", err)
	}
	return out
}

func rbf(gamma float64, a, b []float64) float64 {
	s := 0.0
	for k := range a {
		s += (a[k] - b[k]) * (a[k] - b[k])
	}
	return math.Exp(-gamma * s)
}

// fullAlpha expands the model's support set into α for every training row.
func fullAlpha(m *Model, n int) []float64 {
	a := make([]float64, n)
	for s, i := range m.Support {
		a[i] = math.Abs(m.DualCoef[s])
	}
	return a
}

// circles is two noisy concentric rings: class 0 at radius 1, class 1 at radius 2.
func circles(n int, noise float64, seed uint64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	rows := make([][]float64, n)
	y := make([]float64, n)
	for i := range rows {
		rad := 1.0
		if i%2 == 1 {
			rad, y[i] = 2, 1
		}
		th := 2 * math.Pi * r.Float64()
		rows[i] = []float64{rad*math.Cos(th) + noise*r.NormFloat64(), rad*math.Sin(th) + noise*r.NormFloat64()}
	}
	return rows, y
}

// blobs is two Gaussian clouds in d dimensions, means ±sep/2 on every axis, a fraction pos
// of class 1.
func blobs(n, d int, sep, pos float64, seed uint64) ([][]float64, []float64) {
	r := rand.New(rand.NewPCG(seed, 5))
	rows := make([][]float64, n)
	y := make([]float64, n)
	for i := range rows {
		c := -0.5
		if r.Float64() < pos {
			c, y[i] = 0.5, 1
		}
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			rows[i][j] = c*sep + r.NormFloat64()
		}
	}
	return rows, y
}

func auc(score, y []float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var rankSum, npos float64
	for r, i := range idx {
		if y[i] == 1 {
			rankSum += float64(r + 1)
			npos++
		}
	}
	nneg := float64(len(y)) - npos
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

// ---- the solver on problems with known answers ----

// Four collinear points, class 0 at x=−3, −1 and class 1 at x=1, 3, gamma 0.05, C 10.
// By hand: if only the inner pair is a support vector, the equality constraint forces
// α₁ = α₂ = a and the dual ½·2a²(1−k) − 2a with k = K(−1,1) = e^{−0.2} is minimal at
// a = 1/(1−k) = 5.5167 < C; by symmetry ρ = 0; then f(±3) = ±a(e^{−0.2} − e^{−0.8}) = ±2.04,
// beyond the margin, so the outer points are not support vectors and this is the optimum.
func TestHandCheckableFourPoints(t *testing.T) {
	rows := [][]float64{{-3, 0.5}, {-1, 0.5}, {1, 0.5}, {3, 0.5}}
	y := []float64{0, 0, 1, 1}
	p := DefaultParams()
	p.Gamma, p.GammaValue, p.C, p.Tol = GammaValue, 0.05, 10, 1e-9
	m := fit(t, rowsToCols(rows), y, p)

	a := 1 / (1 - math.Exp(-0.2))
	if got := m.Support; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("support = %v, want [1 2] (the inner points)", got)
	}
	if m.NSupport != [2]int{1, 1} {
		t.Errorf("n_support = %v, want [1 1]", m.NSupport)
	}
	if math.Abs(m.DualCoef[0]+a) > 1e-6 || math.Abs(m.DualCoef[1]-a) > 1e-6 {
		t.Errorf("dual coef = %v, want [-%.6f %.6f]", m.DualCoef, a, a)
	}
	if math.Abs(m.Rho) > 1e-6 {
		t.Errorf("rho = %v, want 0", m.Rho)
	}
	test := [][]float64{{-5, 0.5}, {-3, 0.5}, {-1, 0.5}, {-0.5, 0.5}, {0, 0.5}, {0.5, 0.5}, {1, 0.5}, {3, 0.5}, {5, 0.5}}
	f := decisions(t, m, rowsToCols(test))
	outer := a * (math.Exp(-0.2) - math.Exp(-0.8))
	want := map[int]float64{1: -outer, 2: -1, 4: 0, 6: 1, 7: outer}
	for i, w := range want {
		if math.Abs(f[i]-w) > 1e-6 {
			t.Errorf("f(%v) = %.8f, want %.8f", test[i][0], f[i], w)
		}
	}
	for i, x := range test {
		if x[0] != 0 && (f[i] > 0) != (x[0] > 0) {
			t.Errorf("f(%v) = %v has the wrong sign", x[0], f[i])
		}
	}
	if !m.Converged {
		t.Error("not converged")
	}
}

// exactDual solves a tiny C-SVC exactly by enumerating which α are free (0<α<C), which are
// at 0 and which at C, solving the KKT linear system of each pattern and keeping the one
// that satisfies every KKT condition.
func exactDual(t *testing.T, x [][]float64, y []float64, gamma, c float64) (alpha []float64, rho float64) {
	t.Helper()
	n := len(x)
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*y[i] - 1
	}
	q := func(i, j int) float64 { return s[i] * s[j] * rbf(gamma, x[i], x[j]) }
	pow3 := 1
	for range n {
		pow3 *= 3
	}
	for code := range pow3 {
		state := make([]int, n) // 0 lower, 1 free, 2 upper
		for i, v := 0, code; i < n; i, v = i+1, v/3 {
			state[i] = v % 3
		}
		var free []int
		a := make([]float64, n)
		for i, st := range state {
			switch st {
			case 1:
				free = append(free, i)
			case 2:
				a[i] = c
			}
		}
		if len(free) == 0 {
			continue
		}
		// [Q_FF s_F; s_Fᵀ 0] [α_F; b] = [1 − Q_FU α_U; −s_Uᵀ α_U]
		k := len(free)
		mat := make([][]float64, k+1)
		for r := range mat {
			mat[r] = make([]float64, k+2)
		}
		for r, i := range free {
			rhs := 1.0
			for j := range n {
				if state[j] == 2 {
					rhs -= q(i, j) * c
				}
			}
			for cc, j := range free {
				mat[r][cc] = q(i, j)
			}
			mat[r][k] = s[i]
			mat[r][k+1] = rhs
		}
		rhs := 0.0
		for j := range n {
			if state[j] == 2 {
				rhs -= s[j] * c
			}
		}
		for cc, j := range free {
			mat[k][cc] = s[j]
		}
		mat[k][k+1] = rhs
		sol, ok := gaussSolve(mat)
		if !ok {
			continue
		}
		good := true
		for r, i := range free {
			a[i] = sol[r]
			good = good && sol[r] > 0 && sol[r] < c
		}
		if !good {
			continue
		}
		b := sol[k] // Σ_j s_j α_j K_ij + s_i b = 1 on free i, so the decision is s(x) + b
		for i := range n {
			f := b
			for j := range n {
				f += s[j] * a[j] * rbf(gamma, x[j], x[i])
			}
			m := s[i] * f
			switch state[i] {
			case 0:
				good = good && m >= 1-1e-9
			case 2:
				good = good && m <= 1+1e-9
			}
		}
		if good {
			return a, -b
		}
	}
	t.Fatal("exactDual: no KKT pattern found")
	return nil, 0
}

func gaussSolve(m [][]float64) ([]float64, bool) {
	n := len(m)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return nil, false
		}
		m[c], m[p] = m[p], m[c]
		for r := range n {
			if r != c {
				f := m[r][c] / m[c][c]
				for k := c; k <= n; k++ {
					m[r][k] -= f * m[c][k]
				}
			}
		}
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = m[i][n] / m[i][i]
	}
	return x, true
}

// Six overlapping points in 2-D, not symmetric: with C = 1.5 four α sit at the bound and
// two are free, with C = 5 the pattern is mixed, with C = 100 all are free. The support set,
// α and ρ must equal the exact solution found by enumeration.
func TestSixPointsMatchExactDual(t *testing.T) {
	rows := [][]float64{{0, 0}, {0.4, 1.1}, {1.2, 0.3}, {1.0, 1.0}, {2.1, 1.6}, {0.9, 0.2}}
	y := []float64{0, 0, 0, 1, 1, 1}
	for _, c := range []float64{1.5, 5, 100} {
		p := DefaultParams()
		p.Gamma, p.GammaValue, p.C, p.Tol = GammaValue, 0.8, c, 1e-10
		m := fit(t, rowsToCols(rows), y, p)
		want, rho := exactDual(t, rows, y, 0.8, c)
		got := fullAlpha(m, len(rows))
		for i := range got {
			if (got[i] > 0) != (want[i] > 1e-9) || math.Abs(got[i]-want[i]) > 1e-6*max(1, c) {
				t.Errorf("C=%v: α = %v, want %v", c, got, want)
				break
			}
		}
		if math.Abs(m.Rho-rho) > 1e-6*max(1, c) {
			t.Errorf("C=%v: rho = %v, want %v", c, m.Rho, rho)
		}
		f := decisions(t, m, rowsToCols(rows))
		for i := range f {
			if (f[i] > 0) != (y[i] == 1) && want[i] < c-1e-9 {
				t.Errorf("C=%v: row %d (not at bound) misclassified: f=%v", c, i, f[i])
			}
		}
	}
}

// checkKKT verifies, with kernels recomputed in float64 from the model, the dual
// constraints and libsvm's stopping rule max_{I_up} −y∇ − min_{I_low} −y∇ < tol, and that
// −rho lies between the two.
func checkKKT(t *testing.T, m *Model, rows [][]float64, y []float64, cPos, cNeg, tol float64) {
	t.Helper()
	n := len(rows)
	alpha := fullAlpha(m, n)
	s := make([]float64, n)
	sum := 0.0
	for i := range s {
		s[i] = 2*y[i] - 1
		c := cNeg
		if s[i] > 0 {
			c = cPos
		}
		if alpha[i] < 0 || alpha[i] > c*(1+1e-12) {
			t.Fatalf("α[%d] = %v outside [0, %v]", i, alpha[i], c)
		}
		sum += s[i] * alpha[i]
	}
	if math.Abs(sum) > 1e-9*float64(n)*max(cPos, cNeg) {
		t.Errorf("Σ y α = %v, want 0", sum)
	}
	upMax, lowMin := math.Inf(-1), math.Inf(1)
	for i := range n {
		g := -1.0 // ∇_i = Σ_j Q_ij α_j − 1
		for j := range n {
			if alpha[j] > 0 {
				g += s[i] * s[j] * rbf(m.Gamma, rows[i], rows[j]) * alpha[j]
			}
		}
		v := -s[i] * g
		c := cNeg
		if s[i] > 0 {
			c = cPos
		}
		inUp := (s[i] > 0 && alpha[i] < c) || (s[i] < 0 && alpha[i] > 0)
		inLow := (s[i] > 0 && alpha[i] > 0) || (s[i] < 0 && alpha[i] < c)
		if inUp {
			upMax = max(upMax, v)
		}
		if inLow {
			lowMin = min(lowMin, v)
		}
	}
	const slack = 1e-5 // float32 kernel cache in the solver
	if upMax-lowMin >= tol+slack {
		t.Errorf("KKT violation %v ≥ tol %v", upMax-lowMin, tol)
	}
	if b := -m.Rho; b < lowMin-tol-slack || b > upMax+tol+slack {
		t.Errorf("b = −rho = %v outside [%v, %v]", b, lowMin, upMax)
	}
}

func TestDualConstraintsAndKKT(t *testing.T) {
	rows, y := circles(400, 0.35, 11)
	for _, tc := range []struct {
		name string
		edit func(*Params)
		cPos float64
		cNeg float64
	}{
		{"defaults", func(*Params) {}, 1, 1},
		{"C=20 no shrinking", func(p *Params) { p.C, p.Shrinking = 20, false }, 20, 20},
		{"class weights", func(p *Params) { p.ClassWeight = []float64{0.5, 3} }, 3, 0.5},
		{"tol 1e-5 tiny cache", func(p *Params) { p.Tol, p.CacheSizeMB = 1e-5, 0.01 }, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			m := fit(t, rowsToCols(rows), y, p)
			checkKKT(t, m, rows, y, tc.cPos, tc.cNeg, p.Tol)
			bounded := 0
			for s, i := range m.Support {
				c := tc.cNeg
				if y[i] == 1 {
					c = tc.cPos
				}
				if math.Abs(m.DualCoef[s]) == c {
					bounded++
				}
			}
			if bounded == 0 {
				t.Errorf("no α at its bound: the noisy rings should have some")
			}
		})
	}
}

// refSMO is an independent reference: dense float64 kernel, maximal-violating-pair SMO
// without shrinking or caching, iterated to a 1e-10 gap. It returns α and b (decision is
// Σ y α K + b).
func refSMO(x [][]float64, y []float64, gamma, c float64) ([]float64, float64) {
	n := len(x)
	s := make([]float64, n)
	k := make([][]float64, n)
	for i := range x {
		s[i] = 2*y[i] - 1
		k[i] = make([]float64, n)
		for j := range x {
			k[i][j] = rbf(gamma, x[i], x[j])
		}
	}
	alpha := make([]float64, n)
	g := make([]float64, n) // ∇ = Qα − 1
	for i := range g {
		g[i] = -1
	}
	up := func(i int) bool { return (s[i] > 0 && alpha[i] < c) || (s[i] < 0 && alpha[i] > 0) }
	low := func(i int) bool { return (s[i] > 0 && alpha[i] > 0) || (s[i] < 0 && alpha[i] < c) }
	for iter := 0; iter < 10_000_000; iter++ {
		i, j := -1, -1
		for t := range n {
			if up(t) && (i < 0 || -s[t]*g[t] > -s[i]*g[i]) {
				i = t
			}
			if low(t) && (j < 0 || -s[t]*g[t] < -s[j]*g[j]) {
				j = t
			}
		}
		gap := -s[i]*g[i] + s[j]*g[j]
		if gap < 1e-10 {
			break
		}
		// Move along α_i += s_i·λ, α_j −= s_j·λ (keeps Σ sα), λ ≥ 0.
		eta := k[i][i] + k[j][j] - 2*k[i][j]
		lam := gap / max(eta, 1e-12)
		bi := c - alpha[i]
		if s[i] < 0 {
			bi = alpha[i]
		}
		bj := alpha[j]
		if s[j] < 0 {
			bj = c - alpha[j]
		}
		lam = min(lam, bi, bj)
		di, dj := s[i]*lam, -s[j]*lam
		alpha[i] += di
		alpha[j] += dj
		for t := range n {
			g[t] += s[t]*s[i]*k[t][i]*di + s[t]*s[j]*k[t][j]*dj
		}
	}
	// b from the free vectors (y_i f_i = 1), else the middle of the feasible interval.
	var sum float64
	var nf int
	lo, hi := math.Inf(-1), math.Inf(1)
	for i := range n {
		v := -s[i] * g[i] // = y_i − Σ_j y_j α_j K_ij
		if alpha[i] > 0 && alpha[i] < c {
			sum += v
			nf++
		}
		if up(i) {
			lo = max(lo, v)
		}
		if low(i) {
			hi = min(hi, v)
		}
	}
	if nf > 0 {
		return alpha, sum / float64(nf)
	}
	return alpha, (lo + hi) / 2
}

func TestDecisionMatchesReferenceSolver(t *testing.T) {
	rows, y := circles(300, 0.3, 2)
	cols := rowsToCols(rows)
	// Grid covering the data.
	var grid [][]float64
	for gx := -3.0; gx <= 3; gx += 0.25 {
		for gy := -3.0; gy <= 3; gy += 0.25 {
			grid = append(grid, []float64{gx, gy})
		}
	}
	gcols := rowsToCols(grid)
	for _, tc := range []struct {
		c, tol, within float64
	}{{1, 1e-3, 2e-3}, {1, 1e-6, 1e-5}, {10, 1e-3, 5e-3}} {
		p := DefaultParams()
		p.C, p.Tol = tc.c, tc.tol
		m := fit(t, cols, y, p)
		alpha, b := refSMO(rows, y, m.Gamma, tc.c)
		got := decisions(t, m, gcols)
		worst := 0.0
		for gi, x := range grid {
			f := b
			for i := range rows {
				if alpha[i] > 0 {
					f += (2*y[i] - 1) * alpha[i] * rbf(m.Gamma, rows[i], x)
				}
			}
			worst = max(worst, math.Abs(got[gi]-f))
		}
		if worst > tc.within {
			t.Errorf("C=%v tol=%v: max |f − f_ref| over the grid = %.3g > %.3g", tc.c, tc.tol, worst, tc.within)
		}
		// Same objective value: ½αᵀQα − Σα.
		obj := 0.0
		for i := range rows {
			for j := range rows {
				obj += 0.5 * alpha[i] * alpha[j] * (2*y[i] - 1) * (2*y[j] - 1) * rbf(m.Gamma, rows[i], rows[j])
			}
			obj -= alpha[i]
		}
		t.Logf("C=%v tol=%v: max |Δf| %.3g, objective %.10g vs reference %.10g", tc.c, tc.tol, worst, m.Objective, obj)
		if math.Abs(m.Objective-obj) > 1e-6*math.Abs(obj) {
			t.Errorf("C=%v tol=%v: objective %v, reference %v", tc.c, tc.tol, m.Objective, obj)
		}
	}
}

// ---- gamma, class weights, shrinking ----

func TestGammaModes(t *testing.T) {
	rows, y := blobs(120, 3, 2, 0.5, 4)
	for j := range rows {
		rows[j][1] *= 10 // uneven scales make Var(X) differ from 1
	}
	cols := rowsToCols(rows)
	var sum, sq float64
	for _, r := range rows {
		for _, v := range r {
			sum += v
		}
	}
	mean := sum / float64(3*len(rows))
	for _, r := range rows {
		for _, v := range r {
			sq += (v - mean) * (v - mean)
		}
	}
	scale := 1 / (3 * sq / float64(3*len(rows)))
	for _, tc := range []struct {
		raw  string
		want float64
	}{{`{}`, scale}, {`{"gamma":"scale"}`, scale}, {`{"gamma":"auto"}`, 1.0 / 3}, {`{"gamma":0.25}`, 0.25}} {
		p, err := ParseParams(json.RawMessage(tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		m := fit(t, cols, y, p)
		if math.Abs(m.Gamma-tc.want) > 1e-12*tc.want {
			t.Errorf("%s: gamma %v, want %v", tc.raw, m.Gamma, tc.want)
		}
	}
	// Constant data: Var = 0 gives gamma 1 (sklearn).
	m := fit(t, [][]float64{{2, 2, 2, 2}}, []float64{0, 1, 0, 1}, DefaultParams())
	if m.Gamma != 1 {
		t.Errorf("constant X: gamma %v, want 1", m.Gamma)
	}
}

func TestBalancedClassWeight(t *testing.T) {
	rows, y := blobs(600, 2, 1.0, 0.15, 8) // overlapping, 15% positives
	npos := 0.0
	for _, v := range y {
		npos += v
	}
	n := float64(len(y))
	wPos, wNeg := n/(2*npos), n/(2*(n-npos))
	p := DefaultParams()
	p.Balanced = true
	m := fit(t, rowsToCols(rows), y, p)
	checkKKT(t, m, rows, y, wPos, wNeg, p.Tol)
	var maxPos, maxNeg float64
	for s, i := range m.Support {
		if y[i] == 1 {
			maxPos = max(maxPos, m.DualCoef[s])
		} else {
			maxNeg = max(maxNeg, -m.DualCoef[s])
		}
	}
	if math.Abs(maxPos-wPos) > 1e-12 || math.Abs(maxNeg-wNeg) > 1e-12 {
		t.Errorf("largest α per class = (%v, %v), want the bounds (%v, %v)", maxNeg, maxPos, wNeg, wPos)
	}
	// Balancing must favour the minority class: more rows predicted positive.
	plain := fit(t, rowsToCols(rows), y, DefaultParams())
	count := func(m *Model) int {
		c := 0
		for _, f := range decisions(t, m, rowsToCols(rows)) {
			if f > 0 {
				c++
			}
		}
		return c
	}
	if cb, cp := count(m), count(plain); cb <= cp {
		t.Errorf("balanced predicts %d positives, unweighted %d: want more", cb, cp)
	}
}

func TestShrinkingDoesNotChangeTheSolution(t *testing.T) {
	rows, y := blobs(2500, 4, 1.2, 0.3, 9)
	cols := rowsToCols(rows)
	p := DefaultParams()
	p.Tol, p.C = 1e-5, 10
	a := fit(t, cols, y, p)
	p.Shrinking = false
	b := fit(t, cols, y, p)
	fa, fb := decisions(t, a, cols), decisions(t, b, cols)
	worst := 0.0
	for i := range fa {
		worst = max(worst, math.Abs(fa[i]-fb[i]))
	}
	if worst > 1e-3 {
		t.Errorf("shrinking changes decision values by up to %v", worst)
	}
	if a.Iterations < 2000 {
		t.Errorf("only %d iterations: the problem is too easy to exercise shrinking", a.Iterations)
	}
}

func TestMaxIterStopsEarly(t *testing.T) {
	rows, y := circles(300, 0.3, 5)
	p := DefaultParams()
	p.MaxIter = 10
	m := fit(t, rowsToCols(rows), y, p)
	if m.Converged || m.Iterations != 10 {
		t.Errorf("converged=%v iterations=%d, want false and 10", m.Converged, m.Iterations)
	}
	checkFeasible := fullAlpha(m, len(rows))
	sum := 0.0
	for i, a := range checkFeasible {
		sum += (2*y[i] - 1) * a
	}
	if math.Abs(sum) > 1e-12 {
		t.Errorf("Σ y α = %v after an early stop", sum)
	}
	full := fit(t, rowsToCols(rows), y, DefaultParams())
	if !full.Converged || full.Iterations <= 10 {
		t.Errorf("default fit: converged=%v iterations=%d", full.Converged, full.Iterations)
	}
}

// ---- probabilities ----

func TestProbabilities(t *testing.T) {
	rows, y := blobs(500, 3, 2.5, 0.4, 21)
	m := fit(t, rowsToCols(rows), y, DefaultParams())
	if !(m.ProbA < 0) {
		t.Fatalf("ProbA = %v, want < 0 on separable-ish data", m.ProbA)
	}
	test, ty := blobs(2000, 3, 2.5, 0.4, 22)
	tc := rowsToCols(test)
	f := decisions(t, m, tc)
	pr := probas(t, m, tc)
	idx := make([]int, len(f))
	for i := range idx {
		idx[i] = i
		if !(pr[i] > 0 && pr[i] < 1) {
			t.Fatalf("p[%d] = %v outside (0,1)", i, pr[i])
		}
		if w := 1 / (1 + math.Exp(m.ProbA*f[i]+m.ProbB)); math.Abs(pr[i]-w) > 1e-12 {
			t.Fatalf("p[%d] = %v, want 1/(1+exp(A f + B)) = %v", i, pr[i], w)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return f[idx[a]] < f[idx[b]] })
	for k := 1; k < len(idx); k++ {
		if pr[idx[k]] < pr[idx[k-1]] {
			t.Fatalf("probability decreases from f=%v (p=%v) to f=%v (p=%v)", f[idx[k-1]], pr[idx[k-1]], f[idx[k]], pr[idx[k]])
		}
	}
	if a := auc(pr, ty); a < 0.95 {
		t.Errorf("held-out AUC %v < 0.95", a)
	}
	// Calibration sanity: mean predicted probability close to the positive rate.
	mean, rate := 0.0, 0.0
	for i := range pr {
		mean += pr[i]
		rate += ty[i]
	}
	if math.Abs(mean-rate)/float64(len(pr)) > 0.05 {
		t.Errorf("mean probability %v vs positive rate %v", mean/float64(len(pr)), rate/float64(len(pr)))
	}
}

func TestProbabilityExtremes(t *testing.T) {
	for _, f := range []float64{-1e6, -50, 0, 50, 1e6} {
		p := sigmoidPredict(f, -3, 0.5)
		if !(p > 0 && p < 1) || math.IsNaN(p) {
			t.Errorf("sigmoidPredict(%v) = %v", f, p)
		}
	}
	if p := sigmoidPredict(math.NaN(), -3, 0.5); !math.IsNaN(p) {
		t.Errorf("NaN decision gives %v", p)
	}
}

// plattLoss is Platt's objective with libsvm's smoothed targets.
func plattLoss(dec []float64, label []bool, a, b float64) (f, ga, gb float64) {
	var np, nn float64
	for _, l := range label {
		if l {
			np++
		} else {
			nn++
		}
	}
	for i, d := range dec {
		t := 1 / (nn + 2)
		if label[i] {
			t = (np + 1) / (np + 2)
		}
		p := 1 / (1 + math.Exp(a*d+b)) // P(y=1)
		f -= t*math.Log(p) + (1-t)*math.Log(1-p)
		// d/dz of the loss with z = a·d + b is t − p.
		ga += (t - p) * d
		gb += t - p
	}
	return
}

func TestSigmoidTrainMatchesIndependentMinimiser(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	dec := make([]float64, n)
	label := make([]bool, n)
	const trueA, trueB = -2.0, 0.7
	for i := range dec {
		dec[i] = 3 * r.NormFloat64()
		label[i] = r.Float64() < 1/(1+math.Exp(trueA*dec[i]+trueB))
	}
	a, b, ok := sigmoidTrain(dec, label)
	if !ok {
		t.Fatal("sigmoidTrain did not converge")
	}
	// Independent: cyclic coordinate descent, each coordinate minimised exactly by
	// bisection on its partial derivative (the loss is convex in each).
	ra, rb := 0.0, 0.0
	for sweep := 0; sweep < 500; sweep++ {
		for coord := range 2 {
			lo, hi := -50.0, 50.0
			for range 200 {
				mid := (lo + hi) / 2
				var g float64
				if coord == 0 {
					_, g, _ = plattLoss(dec, label, mid, rb)
				} else {
					_, _, g = plattLoss(dec, label, ra, mid)
				}
				if g > 0 {
					hi = mid
				} else {
					lo = mid
				}
				if hi-lo < 1e-13 {
					break
				}
			}
			if coord == 0 {
				ra = (lo + hi) / 2
			} else {
				rb = (lo + hi) / 2
			}
		}
		if _, ga, gb := plattLoss(dec, label, ra, rb); math.Hypot(ga, gb) < 1e-8 {
			break
		}
	}
	if math.Abs(a-ra) > 1e-5 || math.Abs(b-rb) > 1e-5 {
		t.Errorf("sigmoidTrain (A,B) = (%v,%v), independent minimiser (%v,%v)", a, b, ra, rb)
	}
	if math.Abs(a-trueA) > 0.3 || math.Abs(b-trueB) > 0.3 {
		t.Errorf("(A,B) = (%v,%v) far from the generating (%v,%v)", a, b, trueA, trueB)
	}
}

// ---- determinism ----

func modelJSON(t *testing.T, m *Model) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterminism(t *testing.T) {
	rows, y := blobs(2500, 5, 0.8, 0.2, 31)
	cols := rowsToCols(rows)
	p := DefaultParams()
	p.Seed = 7
	ref := modelJSON(t, fit(t, cols, y, p))

	if again := modelJSON(t, fit(t, cols, y, p)); !bytes.Equal(ref, again) {
		t.Error("same seed: model JSON differs between two fits")
	}
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		if got := modelJSON(t, fit(t, cols, y, p)); !bytes.Equal(ref, got) {
			t.Errorf("GOMAXPROCS=%d: model JSON differs", procs)
		}
	}
	runtime.GOMAXPROCS(old)

	small := p
	small.CacheSizeMB = 0.05 // a few rows: constant eviction
	if got := modelJSON(t, fit(t, cols, y, small)); !bytes.Equal(ref, got) {
		t.Error("a tiny kernel cache changes the model")
	}

	other := p
	other.Seed = 8
	m2 := fit(t, cols, y, other)
	var m1 Model
	if err := json.Unmarshal(ref, &m1); err != nil {
		t.Fatal(err)
	}
	if m1.ProbA == m2.ProbA && m1.ProbB == m2.ProbB {
		t.Error("a different seed gives the same Platt parameters: the CV folds ignore the seed")
	}
	if !equalFloats(m1.DualCoef, m2.DualCoef) || m1.Rho != m2.Rho {
		t.Error("the seed changed the final SVM (it should only affect the CV folds)")
	}
	if math.Abs(m1.ProbA-m2.ProbA) > 0.1*math.Abs(m1.ProbA) {
		t.Errorf("ProbA %v vs %v: the CV estimate is unstable across seeds", m1.ProbA, m2.ProbA)
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Seeding the CV folds from the full solution only changes where the solver starts: the
// Platt parameters agree with cold-started folds to within the solver tolerance's effect.
func TestSeededFoldsAgreeWithColdFolds(t *testing.T) {
	rows, y := blobs(2000, 4, 1.0, 0.25, 41)
	cols := rowsToCols(rows)
	p := DefaultParams()
	warm := fit(t, cols, y, p)
	p.coldCV = true
	cold := fit(t, cols, y, p)
	if math.Abs(warm.ProbA-cold.ProbA) > 0.01*math.Abs(cold.ProbA) || math.Abs(warm.ProbB-cold.ProbB) > 0.01*math.Abs(cold.ProbA) {
		t.Errorf("seeded (A,B) = (%v,%v), cold (%v,%v)", warm.ProbA, warm.ProbB, cold.ProbA, cold.ProbB)
	}
}

func TestModelJSONRoundTrip(t *testing.T) {
	rows, y := circles(200, 0.25, 6)
	cols := rowsToCols(rows)
	m := fit(t, cols, y, DefaultParams())
	var back Model
	if err := json.Unmarshal(modelJSON(t, m), &back); err != nil {
		t.Fatal(err)
	}
	a, b := probas(t, m, cols), probas(t, &back, cols)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: %v before, %v after a JSON round trip", i, a[i], b[i])
		}
	}
}

// ---- bad input ----

func TestBadInputs(t *testing.T) {
	good := [][]float64{{0, 1, 2, 3}, {1, 0, 1, 0}}
	y := []float64{0, 1, 0, 1}
	p := DefaultParams()
	nan := [][]float64{{0, math.NaN(), 2, 3}, {1, 0, 1, 0}}
	inf := [][]float64{{0, 1, math.Inf(1), 3}, {1, 0, 1, 0}}
	for _, tc := range []struct {
		name string
		cols [][]float64
		y    []float64
		p    Params
		want error
	}{
		{"one class", good, []float64{1, 1, 1, 1}, p, ErrOneClass},
		{"one class zero", good, []float64{0, 0, 0, 0}, p, ErrOneClass},
		{"NaN feature", nan, y, p, ErrBadInput},
		{"Inf feature", inf, y, p, ErrBadInput},
		{"NaN label", good, []float64{0, math.NaN(), 0, 1}, p, ErrBadInput},
		{"label 2", good, []float64{0, 2, 0, 1}, p, ErrBadInput},
		{"length mismatch", good, []float64{0, 1, 0}, p, ErrBadInput},
		{"ragged columns", [][]float64{{0, 1, 2, 3}, {1, 0, 1}}, y, p, ErrBadInput},
		{"no columns", nil, y, p, ErrBadInput},
		{"no rows", [][]float64{{}}, []float64{}, p, ErrBadInput},
		{"C zero", good, y, Params{Gamma: GammaScale, Tol: 1e-3, MaxIter: -1, CacheSizeMB: 1}, ErrBadParam},
		{"bad gamma value", good, y, func() Params { q := p; q.Gamma, q.GammaValue = GammaValue, -1; return q }(), ErrBadParam},
		{"max_iter 0", good, y, func() Params { q := p; q.MaxIter = 0; return q }(), ErrBadParam},
		{"one class weight", good, y, func() Params { q := p; q.ClassWeight = []float64{1}; return q }(), ErrBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit(tc.cols, tc.y, tc.p)
			if !errors.Is(err, tc.want) || m != nil {
				t.Errorf("Fit = %v, %v; want nil, %v", m, err, tc.want)
			}
		})
	}

	m := fit(t, good, y, p)
	out := make([]float64, 4)
	if err := m.Decision(good[:1], out); !errors.Is(err, ErrBadInput) {
		t.Errorf("one column for a 2-feature model: %v", err)
	}
	if err := m.PredictProba(good, out[:3]); !errors.Is(err, ErrBadInput) {
		t.Errorf("short output: %v", err)
	}
	if err := m.PredictProba(nan, out); err != nil || !math.IsNaN(out[1]) || math.IsNaN(out[0]) {
		t.Errorf("NaN row: err %v, out %v (want NaN only in row 1)", err, out)
	}
	broken := *m
	broken.DualCoef = broken.DualCoef[:len(broken.DualCoef)-1]
	if err := broken.Decision(good, out); !errors.Is(err, ErrBadModel) {
		t.Errorf("inconsistent model: %v", err)
	}
	broken = *m
	broken.SupportVectors = append([][]float64{{1}}, broken.SupportVectors[1:]...)
	if err := broken.Decision(good, out); !errors.Is(err, ErrBadModel) {
		t.Errorf("short support vector: %v", err)
	}
	if err := (&Model{}).Decision(good, out); !errors.Is(err, ErrBadModel) {
		t.Errorf("zero model: %v", err)
	}
}

// ---- parameters ----

func TestParseParams(t *testing.T) {
	p, err := ParseParams(json.RawMessage(`{"C": 2.5, "gamma": 0.1, "tol": 1e-4, "class_weight": "balanced",
		"max_iter": 5000, "shrinking": false, "cache_size": 300, "random_state": 42, "kernel": "rbf",
		"probability": true, "verbose": 0, "degree": 3, "coef0": 0.0, "decision_function_shape": "ovr",
		"break_ties": false}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Params{C: 2.5, Gamma: GammaValue, GammaValue: 0.1, Tol: 1e-4, Balanced: true, MaxIter: 5000,
		Shrinking: false, CacheSizeMB: 300, Seed: 42}
	if p.C != want.C || p.Gamma != want.Gamma || p.GammaValue != want.GammaValue || p.Tol != want.Tol ||
		p.Balanced != want.Balanced || p.MaxIter != want.MaxIter || p.Shrinking != want.Shrinking ||
		p.CacheSizeMB != want.CacheSizeMB || p.Seed != want.Seed || p.ClassWeight != nil {
		t.Errorf("got %+v, want %+v", p, want)
	}
	for _, raw := range []string{``, `null`, `{}`, ` {} `} {
		d, err := ParseParams(json.RawMessage(raw))
		if err != nil {
			t.Errorf("%q: %v", raw, err)
		}
		def := DefaultParams()
		if d.C != 1 || d.Gamma != GammaScale || d.Tol != 1e-3 || d.MaxIter != -1 || !d.Shrinking ||
			d.CacheSizeMB != def.CacheSizeMB || d.Seed != 0 || d.Balanced || d.ClassWeight != nil {
			t.Errorf("%q: got %+v, want the defaults", raw, d)
		}
	}
	cw, err := ParseParams(json.RawMessage(`{"class_weight": {"1": 4}, "random_state": null}`))
	if err != nil || len(cw.ClassWeight) != 2 || cw.ClassWeight[0] != 1 || cw.ClassWeight[1] != 4 {
		t.Errorf("class_weight dict: %+v, %v", cw, err)
	}
	if cw, err = ParseParams(json.RawMessage(`{"class_weight": null}`)); err != nil || cw.ClassWeight != nil || cw.Balanced {
		t.Errorf("class_weight null: %+v, %v", cw, err)
	}

	for _, tc := range []struct {
		raw  string
		want error
		key  string
	}{
		{`{"C": 1, "nu": 0.5}`, ErrUnknownParam, "nu"},
		{`{"Gamma": "scale"}`, ErrUnknownParam, "Gamma"},
		{`{"kernel": "linear"}`, ErrUnsupportedKernel, "linear"},
		{`{"kernel": "poly"}`, ErrUnsupportedKernel, "poly"},
		{`{"kernel": 3}`, ErrBadParam, "kernel"},
		{`{"C": 0}`, ErrBadParam, "C"},
		{`{"C": -1}`, ErrBadParam, "C"},
		{`{"C": "1"}`, ErrBadParam, "C"},
		{`{"C": null}`, ErrBadParam, "C"},
		{`{"gamma": "big"}`, ErrBadParam, "gamma"},
		{`{"gamma": 0}`, ErrBadParam, "gamma"},
		{`{"tol": 0}`, ErrBadParam, "tol"},
		{`{"max_iter": 0}`, ErrBadParam, "max_iter"},
		{`{"max_iter": 2.5}`, ErrBadParam, "max_iter"},
		{`{"max_iter": -2}`, ErrBadParam, "max_iter"},
		{`{"shrinking": "yes"}`, ErrBadParam, "shrinking"},
		{`{"cache_size": -5}`, ErrBadParam, "cache_size"},
		{`{"class_weight": "auto"}`, ErrBadParam, "class_weight"},
		{`{"class_weight": {"2": 1}}`, ErrBadParam, "class_weight"},
		{`{"class_weight": {"1": -1}}`, ErrBadParam, "class_weight"},
		{`{"random_state": 1.5}`, ErrBadParam, "random_state"},
		{`{"probability": "no"}`, ErrBadParam, "probability"},
		{`{"decision_function_shape": "x"}`, ErrBadParam, "decision_function_shape"},
		{`[1, 2]`, ErrBadParam, "object"},
		{`{"C": 1`, ErrBadParam, "object"},
	} {
		_, err := ParseParams(json.RawMessage(tc.raw))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v, want %v naming %q", tc.raw, err, tc.want, tc.key)
		}
	}
}

// ---- internals ----

func TestExpKernelAccuracy(t *testing.T) {
	worst := 0.0
	for x := -110.0; x <= 0; x += 0.000731 {
		got, want := expKernel(x), math.Exp(x)
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 1e-13 {
		t.Errorf("relative error up to %v", worst)
	}
	for _, x := range []float64{0, -1e-300, 1e-12, -109.99} {
		if got, want := expKernel(x), math.Exp(x); math.Abs(got-want) > 1e-14*want {
			t.Errorf("expKernel(%v) = %v, want %v", x, got, want)
		}
	}
	if expKernel(-110.5) != 0 || expKernel(-1e300) != 0 || float32(math.Exp(-110.5)) != 0 {
		t.Error("below −110 the result must be 0 (as its float32 rounding)")
	}
	if !math.IsNaN(expKernel(math.NaN())) {
		t.Error("NaN in, NaN out")
	}
}

// The cache against a naive model: a dense matrix whose rows and columns are permuted as
// the solver's indices are, under random row requests of random lengths and batches of
// disjoint swaps, with a budget of a few rows (constant eviction).
func TestKernelCacheAgainstNaiveMatrix(t *testing.T) {
	const l = 60
	r := rand.New(rand.NewPCG(9, 9))
	mat := make([][]float32, l)
	for i := range mat {
		mat[i] = make([]float32, l)
		for j := range mat[i] {
			mat[i][j] = float32(i*1000 + j) // identifies the original pair
		}
	}
	var computedBy []int
	for _, budget := range []float64{0, 4 * 3.5 * l, 4 * l * l} {
		c := newKCache(l, budget+4*4*l)
		m := make([][]float32, l)
		for i := range m {
			m[i] = append([]float32(nil), mat[i]...)
		}
		computed := 0
		for step := 0; step < 5000; step++ {
			if r.IntN(20) == 0 {
				// A batch of disjoint transpositions (i < j), as doShrinking makes.
				perm := r.Perm(l)
				var pairs [][2]int
				for k, nk := 0, 2*r.IntN(10); k < nk; k += 2 {
					i, j := min(perm[k], perm[k+1]), max(perm[k], perm[k+1])
					pairs = append(pairs, [2]int{i, j})
					c.swapOwner(i, j)
					m[i], m[j] = m[j], m[i]
					for _, row := range m {
						row[i], row[j] = row[j], row[i]
					}
				}
				c.logSwaps(pairs)
				continue
			}
			i, n := r.IntN(l), 1+r.IntN(l)
			data, start := c.get(i, n)
			if len(data) < n || start > n {
				t.Fatalf("get(%d,%d): len %d start %d", i, n, len(data), start)
			}
			for j := 0; j < start; j++ {
				if data[j] != m[i][j] {
					t.Fatalf("budget %v step %d: cached Q[%d][%d] = %v, want %v", budget, step, i, j, data[j], m[i][j])
				}
			}
			for j := start; j < n; j++ {
				data[j] = m[i][j]
				computed++
			}
		}
		computedBy = append(computedBy, computed)
	}
	if computedBy[2] >= computedBy[0]/2 {
		t.Errorf("entries computed with budgets of 3 rows, 3.5 rows, all rows: %v; the full cache should compute far fewer", computedBy)
	}
}

// seedFold must produce a feasible point whose gradient and bound part equal those
// recomputed from scratch, and a solve from it must reach the cold-start solution.
func TestSeedFoldIsConsistent(t *testing.T) {
	rows, yv := blobs(1500, 4, 1.0, 0.3, 51)
	n, d := len(rows), 4
	x := make([]float64, 0, n*d)
	lab := make([]int8, n)
	for i, r := range rows {
		x = append(x, r...)
		lab[i] = int8(2*yv[i] - 1)
	}
	const gamma, cp, cn = 0.3, 1.0, 2.0
	base := problem{d: d, gamma: gamma, cp: cp, cn: cn, eps: 1e-3, shrinking: true, maxIter: -1, cacheBytes: 1 << 24}
	pr := base
	pr.x, pr.y = append([]float64(nil), x...), lab
	full := solveCSVC(pr)
	perm := shuffle(n, 3)
	for _, k := range []int{0, 3} {
		begin, end := k*n/cvFolds, (k+1)*n/cvFolds
		idx := append(append([]int(nil), perm[:begin]...), perm[end:]...)
		fr := base
		fr.y = make([]int8, len(idx))
		for j, i := range idx {
			fr.x = append(fr.x, x[i*d:i*d+d]...)
			fr.y[j] = lab[i]
		}
		w := seedFold(x, lab, idx, perm[begin:end], full, fr)
		sum, moved := 0.0, 0
		for j, a := range w.alpha {
			c := cn
			if fr.y[j] > 0 {
				c = cp
			}
			if a < 0 || a > c {
				t.Fatalf("fold %d: α[%d] = %v outside [0,%v]", k, j, a, c)
			}
			if a != full.alpha[idx[j]] {
				moved++
			}
			sum += float64(fr.y[j]) * a
		}
		if math.Abs(sum) > 1e-9 {
			t.Errorf("fold %d: Σ y α = %v", k, sum)
		}
		if moved == 0 || moved > len(idx)/10 {
			t.Errorf("fold %d: %d α moved to restore feasibility", k, moved)
		}
		worstG, worstB := 0.0, 0.0
		for a, i := range idx {
			g, gb := -1.0, 0.0
			for b, j := range idx {
				if w.alpha[b] == 0 {
					continue
				}
				q := float64(lab[i]*lab[j]) * rbf(gamma, rows[i], rows[j])
				g += q * w.alpha[b]
				c := cn
				if lab[j] > 0 {
					c = cp
				}
				if w.alpha[b] >= c {
					gb += q * c
				}
			}
			worstG = max(worstG, math.Abs(g-w.g[a]))
			worstB = max(worstB, math.Abs(gb-w.gBar[a]))
		}
		if worstG > 1e-4 || worstB > 1e-4 {
			t.Errorf("fold %d: seeded G off by %v, G_bar off by %v", k, worstG, worstB)
		}

		keep := append([]float64(nil), fr.x...)
		cold := fr
		cold.x = append([]float64(nil), keep...)
		warm := fr
		warm.x, warm.warm = append([]float64(nil), keep...), w
		sc, sw := solveCSVC(cold), solveCSVC(warm)
		if sw.iter >= sc.iter {
			t.Errorf("fold %d: seeded solve took %d iterations, cold %d", k, sw.iter, sc.iter)
		}
		svC, coefC := supportSet(keep, d, fr.y, sc.alpha)
		svW, coefW := supportSet(keep, d, fr.y, sw.alpha)
		worst := 0.0
		for _, i := range perm[begin:end] {
			fc := decision(svC, coefC, d, gamma, sc.rho, x[i*d:i*d+d])
			fw := decision(svW, coefW, d, gamma, sw.rho, x[i*d:i*d+d])
			worst = max(worst, math.Abs(fc-fw))
		}
		if worst > 5e-3 {
			t.Errorf("fold %d: seeded and cold decisions differ by up to %v", k, worst)
		}
	}
}
