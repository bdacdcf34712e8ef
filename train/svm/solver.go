package svm

import "math"

// This file ports libsvm's Solver (Fan, Chen & Lin 2005: SMO with second-order working set
// selection, shrinking and gradient reconstruction) for the C-SVC dual
//
//	min ½ αᵀQα + pᵀα   s.t.  yᵀα = 0,  0 ≤ α_i ≤ C_{y_i}
//
// with p = −1. The structure and every branch follow libsvm's svm.cpp so that behaviour and
// numerics match it closely; only the data layout is Go's.

const (
	statusLower uint8 = iota
	statusUpper
	statusFree
)

// Membership flags of the index sets used by working-set selection.
const (
	inUp  uint8 = 1 << iota // y·α may increase
	inLow                   // y·α may decrease
)

// tau replaces a non-positive curvature in the two-variable sub-problem.
const tau = 1e-12

// solver is the state of one SMO run. Shrinking permutes the indices: position i holds
// the variable activeSet[i], and positions below activeSize are the active ones.
type solver struct {
	l          int
	activeSize int
	y          []int8
	yf         []float64 // y as ±1.0
	flags      []uint8   // inUp | inLow
	g          []float64 // gradient of the objective
	gBar       []float64 // Σ_{α_j = C_j} C_j Q_ij, for gradient reconstruction
	alpha      []float64
	status     []uint8
	p          []float64
	activeSet  []int
	cp, cn     float64
	eps        float64
	shrinking  bool
	unshrink   bool
	q          *svcQ
	// gmax = max{−y_t G_t : t ∈ I_up} and its index, left by step for the next
	// selectWorkingSet; valid until the active set or G changes otherwise.
	gmax      float64
	gmaxIdx   int
	gmaxValid bool
	maxIter   int
}

// solution is the solver's result in the original index order.
type solution struct {
	alpha     []float64 // α_i ≥ 0
	g, gBar   []float64 // final gradient and its bound part (valid for all i)
	rho       float64
	obj       float64
	iter      int
	converged bool
}

func (s *solver) c(i int) float64 {
	if s.y[i] > 0 {
		return s.cp
	}
	return s.cn
}

func (s *solver) updateStatus(i int) {
	switch {
	case s.alpha[i] >= s.c(i):
		s.status[i] = statusUpper
	case s.alpha[i] <= 0:
		s.status[i] = statusLower
	default:
		s.status[i] = statusFree
	}
	// I_up = {y=+1, α<C} ∪ {y=−1, α>0}; I_low = {y=+1, α>0} ∪ {y=−1, α<C}.
	var f uint8
	up, low := s.status[i] != statusUpper, s.status[i] != statusLower
	if s.y[i] < 0 {
		up, low = low, up
	}
	if up {
		f |= inUp
	}
	if low {
		f |= inLow
	}
	s.flags[i] = f
}

func (s *solver) isUpper(i int) bool { return s.status[i] == statusUpper }
func (s *solver) isLower(i int) bool { return s.status[i] == statusLower }
func (s *solver) isFree(i int) bool  { return s.status[i] == statusFree }

func (s *solver) swap(i, j int) {
	s.q.swap(i, j)
	s.y[i], s.y[j] = s.y[j], s.y[i]
	s.g[i], s.g[j] = s.g[j], s.g[i]
	s.status[i], s.status[j] = s.status[j], s.status[i]
	s.yf[i], s.yf[j] = s.yf[j], s.yf[i]
	s.flags[i], s.flags[j] = s.flags[j], s.flags[i]
	s.alpha[i], s.alpha[j] = s.alpha[j], s.alpha[i]
	s.p[i], s.p[j] = s.p[j], s.p[i]
	s.activeSet[i], s.activeSet[j] = s.activeSet[j], s.activeSet[i]
	s.gBar[i], s.gBar[j] = s.gBar[j], s.gBar[i]
}

// problem is one C-SVC training problem for solveCSVC.
type problem struct {
	x          []float64 // l×d row-major; permuted in place by the solver
	d          int
	y          []int8 // ±1
	gamma      float64
	cp, cn     float64 // upper bounds of α for y = +1 and y = −1
	eps        float64 // stopping tolerance
	shrinking  bool
	maxIter    int // −1: no user limit (libsvm's cap applies)
	cacheBytes float64
	team       *rowTeam   // helpers for long kernel rows; nil: none
	warm       *warmStart // optional feasible starting point
}

// warmStart is a feasible starting point with its gradient: g = Qα + p and
// gBar = Σ_{α_j = C_j} C_j Q_·j, all in problem order.
type warmStart struct {
	alpha, g, gBar []float64
}

// solveCSVC trains a C-SVC on pr (libsvm's solve_c_svc with Solver::Solve).
func solveCSVC(pr problem) solution {
	l := len(pr.y)
	s := &solver{
		l: l, y: append([]int8(nil), pr.y...), g: make([]float64, l), gBar: make([]float64, l),
		alpha: make([]float64, l), status: make([]uint8, l), p: make([]float64, l),
		yf: make([]float64, l), flags: make([]uint8, l),
		activeSet: make([]int, l), cp: pr.cp, cn: pr.cn, eps: pr.eps, shrinking: pr.shrinking,
		q: newSVCQ(pr.x, pr.d, pr.y, pr.gamma, pr.cacheBytes, pr.team),
	}
	for i := range s.p {
		s.p[i] = -1
		s.yf[i] = float64(pr.y[i])
	}
	// No user limit: libsvm's own cap, max(10⁷, 100·l).
	s.maxIter = pr.maxIter
	if s.maxIter < 0 {
		s.maxIter = max(10_000_000, 100*l)
		if l > math.MaxInt32/100 {
			s.maxIter = math.MaxInt32
		}
	}
	if pr.warm != nil {
		copy(s.alpha, pr.warm.alpha)
	}
	return s.solve(pr.warm)
}

func (s *solver) solve(warm *warmStart) solution {
	l := s.l
	for i := range l {
		s.updateStatus(i)
		s.activeSet[i] = i
	}
	s.activeSize = l
	if warm != nil {
		copy(s.g, warm.g)
		copy(s.gBar, warm.gBar)
	} else {
		s.initGradient()
	}
	return s.optimize()
}

// initGradient computes G = Qα + p and G_bar from the current α (libsvm's initialisation).
func (s *solver) initGradient() {
	l := s.l
	copy(s.g, s.p)
	for i := range l {
		if s.isLower(i) {
			continue
		}
		qi := s.q.row(i, l)[:l]
		ai := s.alpha[i]
		for j := range l {
			s.g[j] += ai * float64(qi[j])
		}
		if s.isUpper(i) {
			ci := s.c(i)
			for j := range l {
				s.gBar[j] += ci * float64(qi[j])
			}
		}
	}
}

// optimize runs SMO iterations from the current state and returns the solution in the
// original index order.
func (s *solver) optimize() solution {
	l := s.l
	iter := 0
	converged := false
	counter := min(l, 1000) + 1
	for iter < s.maxIter {
		counter--
		if counter == 0 {
			counter = min(l, 1000)
			if s.shrinking {
				s.doShrinking()
			}
		}
		i, j, ok := s.selectWorkingSet()
		if !ok {
			s.reconstructGradient()
			s.activeSize = l
			if i, j, ok = s.selectWorkingSet(); !ok {
				converged = true
				break
			}
			counter = 1 // shrink again at the next iteration
		}
		iter++
		s.step(i, j)
	}
	if !converged && s.activeSize < l {
		s.reconstructGradient()
		s.activeSize = l
	}

	sol := solution{alpha: make([]float64, l), rho: s.calculateRho(), iter: iter, converged: converged}
	v := 0.0
	for i := range l {
		v += s.alpha[i] * (s.g[i] + s.p[i])
	}
	sol.obj = v / 2
	sol.g, sol.gBar = make([]float64, l), make([]float64, l)
	for i := range l {
		o := s.activeSet[i]
		sol.alpha[o], sol.g[o], sol.gBar[o] = s.alpha[i], s.g[i], s.gBar[i]
	}
	return sol
}

// step optimises the pair (i, j) and updates the gradient and its bound part.
func (s *solver) step(i, j int) {
	as := s.activeSize
	qi := s.q.row(i, as)[:as]
	qj := s.q.row(j, as)[:as]
	ci, cj := s.c(i), s.c(j)
	oldAi, oldAj := s.alpha[i], s.alpha[j]
	a := s.alpha
	qd := s.q.qd
	if s.y[i] != s.y[j] {
		quad := qd[i] + qd[j] + 2*float64(qi[j])
		if quad <= 0 {
			quad = tau
		}
		delta := (-s.g[i] - s.g[j]) / quad
		diff := a[i] - a[j]
		a[i] += delta
		a[j] += delta
		if diff > 0 {
			if a[j] < 0 {
				a[j] = 0
				a[i] = diff
			}
		} else if a[i] < 0 {
			a[i] = 0
			a[j] = -diff
		}
		if diff > ci-cj {
			if a[i] > ci {
				a[i] = ci
				a[j] = ci - diff
			}
		} else if a[j] > cj {
			a[j] = cj
			a[i] = cj + diff
		}
	} else {
		quad := qd[i] + qd[j] - 2*float64(qi[j])
		if quad <= 0 {
			quad = tau
		}
		delta := (s.g[i] - s.g[j]) / quad
		sum := a[i] + a[j]
		a[i] -= delta
		a[j] += delta
		if sum > ci {
			if a[i] > ci {
				a[i] = ci
				a[j] = sum - ci
			}
		} else if a[j] < 0 {
			a[j] = 0
			a[i] = sum
		}
		if sum > cj {
			if a[j] > cj {
				a[j] = cj
				a[i] = sum - cj
			}
		} else if a[i] < 0 {
			a[i] = 0
			a[j] = sum
		}
	}

	dai, daj := a[i]-oldAi, a[j]-oldAj
	ui, uj := s.isUpper(i), s.isUpper(j)
	s.updateStatus(i)
	s.updateStatus(j)
	// Update G and, in the same pass, find the first index of the next working set
	// (the first loop of selectWorkingSet, which then need not run).
	g, yf, fl := s.g[:as], s.yf[:as], s.flags[:as]
	qi, qj = qi[:len(g)], qj[:len(g)]
	gmax, gmaxIdx := math.Inf(-1), -1
	for k, f := range fl {
		gk := g[k] + (float64(qi[k])*dai + float64(qj[k])*daj) // libsvm's association
		g[k] = gk
		if f&inUp != 0 {
			if v := -yf[k] * gk; v >= gmax {
				gmax, gmaxIdx = v, k
			}
		}
	}
	s.gmax, s.gmaxIdx, s.gmaxValid = gmax, gmaxIdx, true

	l := s.l
	if ui != s.isUpper(i) {
		row := s.q.row(i, l)[:l]
		gb := s.gBar[:l]
		if ui {
			for k := range gb {
				gb[k] -= ci * float64(row[k])
			}
		} else {
			for k := range gb {
				gb[k] += ci * float64(row[k])
			}
		}
	}
	if uj != s.isUpper(j) {
		row := s.q.row(j, l)[:l]
		gb := s.gBar[:l]
		if uj {
			for k := range gb {
				gb[k] -= cj * float64(row[k])
			}
		} else {
			for k := range gb {
				gb[k] += cj * float64(row[k])
			}
		}
	}
}

// selectWorkingSet is libsvm's WSS 3 (second-order information); ok is false at optimality.
// The branches of libsvm's loops on y are folded into ±1 factors, which are exact, so the
// selected pair is libsvm's.
func (s *solver) selectWorkingSet() (outI, outJ int, ok bool) {
	as := s.activeSize
	g, yf, fl := s.g[:as], s.yf[:as], s.flags[:as]
	gmax, gmaxIdx := s.gmax, s.gmaxIdx
	if !s.gmaxValid {
		gmax, gmaxIdx = math.Inf(-1), -1
		for t, f := range fl {
			if f&inUp != 0 {
				if v := -yf[t] * g[t]; v >= gmax {
					gmax, gmaxIdx = v, t
				}
			}
		}
	}
	s.gmaxValid = false
	if gmaxIdx == -1 {
		return 0, 0, false // gmax = −Inf: libsvm stops as well
	}
	i := gmaxIdx
	qi := s.q.row(i, as)[:as]
	qd := s.q.qd[:as]
	qdi, yi2 := qd[i], 2*yf[i]
	gmax2, gminIdx, objDiffMin := math.Inf(-1), -1, math.Inf(1)
	for j, f := range fl {
		if f&inLow == 0 {
			continue
		}
		yg := yf[j] * g[j]
		if yg >= gmax2 {
			gmax2 = yg
		}
		if gradDiff := gmax + yg; gradDiff > 0 {
			quad := qdi + qd[j] - yi2*yf[j]*float64(qi[j])
			if quad <= 0 {
				quad = tau
			}
			if objDiff := -(gradDiff * gradDiff) / quad; objDiff <= objDiffMin {
				gminIdx, objDiffMin = j, objDiff
			}
		}
	}
	if gmax+gmax2 < s.eps || gminIdx == -1 {
		return 0, 0, false
	}
	return gmaxIdx, gminIdx, true
}

func (s *solver) beShrunk(i int, gmax1, gmax2 float64) bool {
	switch {
	case s.isUpper(i):
		if s.y[i] == 1 {
			return -s.g[i] > gmax1
		}
		return -s.g[i] > gmax2
	case s.isLower(i):
		if s.y[i] == 1 {
			return s.g[i] > gmax2
		}
		return s.g[i] > gmax1
	}
	return false
}

func (s *solver) doShrinking() {
	s.gmaxValid = false
	gmax1, gmax2 := math.Inf(-1), math.Inf(-1) // max −y∇f over I_up, max y∇f over I_low
	for i := range s.activeSize {
		if s.y[i] == 1 {
			if !s.isUpper(i) && -s.g[i] >= gmax1 {
				gmax1 = -s.g[i]
			}
			if !s.isLower(i) && s.g[i] >= gmax2 {
				gmax2 = s.g[i]
			}
		} else {
			if !s.isUpper(i) && -s.g[i] >= gmax2 {
				gmax2 = -s.g[i]
			}
			if !s.isLower(i) && s.g[i] >= gmax1 {
				gmax1 = s.g[i]
			}
		}
	}
	if !s.unshrink && gmax1+gmax2 <= s.eps*10 {
		s.unshrink = true
		s.reconstructGradient()
		s.activeSize = s.l
	}
	for i := 0; i < s.activeSize; i++ {
		if !s.beShrunk(i, gmax1, gmax2) {
			continue
		}
		s.activeSize--
		for s.activeSize > i {
			if !s.beShrunk(s.activeSize, gmax1, gmax2) {
				s.swap(i, s.activeSize)
				break
			}
			s.activeSize--
		}
	}
	s.q.flush()
}

// reconstructGradient recomputes G for the inactive (shrunk) variables from G_bar and the
// free variables, choosing the cheaper loop order as libsvm does.
func (s *solver) reconstructGradient() {
	l, as := s.l, s.activeSize
	if as == l {
		return
	}
	for j := as; j < l; j++ {
		s.g[j] = s.gBar[j] + s.p[j]
	}
	nFree := 0
	for j := range as {
		if s.isFree(j) {
			nFree++
		}
	}
	if nFree*l > 2*as*(l-as) {
		for i := as; i < l; i++ {
			qi := s.q.row(i, as)[:as]
			gi := s.g[i]
			for j := range as {
				if s.isFree(j) {
					gi += s.alpha[j] * float64(qi[j])
				}
			}
			s.g[i] = gi
		}
	} else {
		for i := range as {
			if !s.isFree(i) {
				continue
			}
			qi := s.q.row(i, l)[:l]
			ai := s.alpha[i]
			for j := as; j < l; j++ {
				s.g[j] += ai * float64(qi[j])
			}
		}
	}
}

func (s *solver) calculateRho() float64 {
	nFree := 0
	ub, lb, sumFree := math.Inf(1), math.Inf(-1), 0.0
	for i := range s.activeSize {
		yg := float64(s.y[i]) * s.g[i]
		switch {
		case s.isUpper(i):
			if s.y[i] == -1 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		case s.isLower(i):
			if s.y[i] == 1 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		default:
			nFree++
			sumFree += yg
		}
	}
	if nFree > 0 {
		return sumFree / float64(nFree)
	}
	return (ub + lb) / 2
}
