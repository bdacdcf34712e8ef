package svm

import (
	"runtime"
	"sync"
)

// seedFold builds a starting point for a CV fold from the solution of the full problem
// (alpha seeding, DeCoste & Wagstaff 2000): α restricted to the fold's rows idx, made
// feasible again (Σ yα = 0) by moving the α of as few rows as possible, with G and G_bar
// updated from the full problem's by the kernel columns of the held-out support vectors and
// of the moved rows. Any feasible start leads the solver to a solution meeting the same
// stopping rule; seeding only saves iterations.
func seedFold(x []float64, lab []int8, idx, held []int, full solution, pr problem) *warmStart {
	d, l := pr.d, len(idx)
	bound := func(y int8) float64 {
		if y > 0 {
			return pr.cp
		}
		return pr.cn
	}
	w := &warmStart{alpha: make([]float64, l), g: make([]float64, l), gBar: make([]float64, l)}
	r := 0.0
	for k, i := range idx {
		a := min(full.alpha[i], bound(lab[i]))
		w.alpha[k] = a
		r += float64(lab[i]) * a
	}

	// A source is a point whose α changes relative to the full solution: y·wG is added to
	// the gradient through its kernel column, y·wB to G_bar.
	type source struct {
		row    []float64
		y      float64
		wG, wB float64
	}
	var src []source
	for _, h := range held {
		if a := full.alpha[h]; a > 0 {
			wB := 0.0
			if a >= bound(lab[h]) {
				wB = -bound(lab[h])
			}
			src = append(src, source{x[h*d : h*d+d], float64(lab[h]), -a, wB})
		}
	}

	// Restore Σ y α = 0: change Σ y α by −r, first through free rows, then bounded ones.
	rem := r
	for pass := 0; pass < 2 && rem != 0; pass++ {
		for k := 0; k < l && rem != 0; k++ {
			a, c, y := w.alpha[k], bound(pr.y[k]), float64(pr.y[k])
			free := a > 0 && a < c
			if free != (pass == 0) {
				continue
			}
			// Moving α by δ changes Σ yα by y·δ; we want the sign of −rem.
			up := y*rem < 0 // α increases
			room := a
			if up {
				room = c - a
			}
			if room <= 0 {
				continue
			}
			amount := min(room, abs(rem))
			na := a - amount
			if up {
				na = a + amount
			}
			if amount == room {
				if up {
					na = c
				} else {
					na = 0
				}
			}
			if rem > 0 {
				rem = max(rem-amount, 0)
			} else {
				rem = min(rem+amount, 0)
			}
			wB := 0.0
			switch was, is := a >= c, na >= c; {
			case is && !was:
				wB = c
			case was && !is:
				wB = -c
			}
			w.alpha[k] = na
			src = append(src, source{x[idx[k]*d : idx[k]*d+d], y, na - a, wB})
		}
	}

	// G[k] += Σ_s Q(k,s)·wG_s and G_bar[k] += Σ_s Q(k,s)·wB_s, with Q rounded to float32
	// exactly as the solver's kernel rows. Rows k are independent: split across CPUs.
	xsq := make([]float64, len(src))
	for s, so := range src {
		xsq[s] = dot(so.row, so.row)
	}
	work := func(lo, hi int) {
		for k := lo; k < hi; k++ {
			i := idx[k]
			xk := x[i*d : i*d+d]
			xsqk, yk := dot(xk, xk), float64(lab[i])
			g, gb := full.g[i], full.gBar[i]
			for s, so := range src {
				q := float64(float32(yk * so.y * expKernel(-pr.gamma*(xsqk+xsq[s]-2*dot(xk, so.row)))))
				g += q * so.wG
				gb += q * so.wB
			}
			w.g[k], w.gBar[k] = g, gb
		}
	}
	parts := max(1, min(runtime.GOMAXPROCS(0), l/1024))
	var wg sync.WaitGroup
	chunk := (l + parts - 1) / parts
	for lo := 0; lo < l; lo += chunk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(lo, min(lo+chunk, l))
		}()
	}
	wg.Wait()
	return w
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
