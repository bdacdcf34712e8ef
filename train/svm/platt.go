package svm

import "math"

// sigmoidTrain is libsvm's sigmoid_train: Platt scaling P(y=1|f) = 1/(1+exp(A·f+B)) fitted
// by the Newton method with backtracking line search of Lin, Lin & Weng (2007), with Platt's
// smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2). label[i] is true for the positive class.
// It returns A, B and whether the Newton iteration met its stopping rule.
func sigmoidTrain(dec []float64, label []bool) (a, b float64, ok bool) {
	var prior1, prior0 float64
	for _, l := range label {
		if l {
			prior1++
		} else {
			prior0++
		}
	}
	const (
		maxIter = 100   // maximal Newton iterations
		minStep = 1e-10 // minimal line-search step
		sigma   = 1e-12 // keeps the Hessian strictly positive definite
		eps     = 1e-5
	)
	hiTarget := (prior1 + 1) / (prior1 + 2)
	loTarget := 1 / (prior0 + 2)
	t := make([]float64, len(dec))
	for i, l := range label {
		if l {
			t[i] = hiTarget
		} else {
			t[i] = loTarget
		}
	}
	objective := func(a, b float64) float64 {
		f := 0.0
		for i, d := range dec {
			fApB := d*a + b
			if fApB >= 0 {
				f += t[i]*fApB + math.Log1p(math.Exp(-fApB))
			} else {
				f += (t[i]-1)*fApB + math.Log1p(math.Exp(fApB))
			}
		}
		return f
	}
	a, b = 0, math.Log((prior0+1)/(prior1+1))
	fval := objective(a, b)
	for iter := 0; iter < maxIter; iter++ {
		h11, h22, h21, g1, g2 := sigma, sigma, 0.0, 0.0, 0.0
		for i, d := range dec {
			fApB := d*a + b
			var p, q float64
			if fApB >= 0 {
				e := math.Exp(-fApB)
				p, q = e/(1+e), 1/(1+e)
			} else {
				e := math.Exp(fApB)
				p, q = 1/(1+e), e/(1+e)
			}
			d2 := p * q
			h11 += d * d * d2
			h22 += d2
			h21 += d * d2
			d1 := t[i] - p
			g1 += d * d1
			g2 += d1
		}
		if math.Abs(g1) < eps && math.Abs(g2) < eps {
			return a, b, true
		}
		det := h11*h22 - h21*h21
		dA := -(h22*g1 - h21*g2) / det
		dB := -(-h21*g1 + h11*g2) / det
		gd := g1*dA + g2*dB
		step := 1.0
		for step >= minStep {
			na, nb := a+step*dA, b+step*dB
			if nf := objective(na, nb); nf < fval+1e-4*step*gd {
				a, b, fval = na, nb, nf
				break
			}
			step /= 2
		}
		if step < minStep {
			return a, b, false // line search failed
		}
	}
	return a, b, false
}

// minProb clips probabilities away from 0 and 1, as libsvm's predict_probability.
const minProb = 1e-7

// sigmoidPredict is 1/(1+exp(A·f+B)) evaluated without overflow or cancellation, clipped
// to [minProb, 1−minProb].
func sigmoidPredict(f, a, b float64) float64 {
	fApB := f*a + b
	var p float64
	if fApB >= 0 {
		e := math.Exp(-fApB)
		p = e / (1 + e)
	} else {
		p = 1 / (1 + math.Exp(fApB))
	}
	return min(max(p, minProb), 1-minProb)
}
