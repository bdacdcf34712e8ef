package features

import "math"

// Native rolling kernels for the TA-Lib functions whose value at row t depends only on the
// window x[t-lookback .. t]. Each value is computed from its own window, with no running
// sums carried from row to row, so a computation over any suffix that holds the look-back
// gives bit-identical values (what the incremental mode relies on). The arithmetic follows
// TA-Lib C's per-window formulas; explicit float64 conversions keep the compiler from fusing
// a*b+c into an FMA, so results do not depend on the CPU.

// nativeKernel computes out[t] for t in [lo, hi) from x[t-lookback .. t] (lo >= lookback).
// n is the timeperiod and p the first extra parameter (nbdev for STDDEV), unused otherwise.
type nativeKernel func(x []float64, n int, p float64, out []float64, lo, hi int)

// taZeroOrNeg is TA-Lib 0.4's TA_IS_ZERO_OR_NEG threshold: STDDEV is 0 when the variance is below it.
const taZeroOrNeg = 0.00000001

func windowSum(x []float64, t, n int) float64 {
	s := 0.0
	for _, v := range x[t-n+1 : t+1] {
		s += v
	}
	return s
}

// windowSums4 computes windowSum for rows t..t+3 at once: each row keeps its own
// accumulator and its own summation order (oldest first), so the results are bit-identical
// to windowSum, but the four independent chains run in parallel in the CPU.
func windowSums4(x []float64, t, n int) (s0, s1, s2, s3 float64) {
	x0, x1, x2, x3 := x[t-n+1:t+1], x[t-n+2:t+2], x[t-n+3:t+3], x[t-n+4:t+4]
	for k := range x0 {
		s0 += x0[k]
		s1 += x1[k]
		s2 += x2[k]
		s3 += x3[k]
	}
	return
}

// kernelSMA is SMA(n): the mean of the last n values.
func kernelSMA(x []float64, n int, _ float64, out []float64, lo, hi int) {
	fn := float64(n)
	t := lo
	for ; t+4 <= hi; t += 4 {
		s0, s1, s2, s3 := windowSums4(x, t, n)
		out[t], out[t+1], out[t+2], out[t+3] = s0/fn, s1/fn, s2/fn, s3/fn
	}
	for ; t < hi; t++ {
		out[t] = windowSum(x, t, n) / fn
	}
}

// kernelSum is SUM(n).
func kernelSum(x []float64, n int, _ float64, out []float64, lo, hi int) {
	t := lo
	for ; t+4 <= hi; t += 4 {
		out[t], out[t+1], out[t+2], out[t+3] = windowSums4(x, t, n)
	}
	for ; t < hi; t++ {
		out[t] = windowSum(x, t, n)
	}
}

// windowVar is the population variance of the window ending at t, computed in two passes
// (mean, then the mean of squared deviations), which avoids the cancellation of TA-Lib's
// running mean(x²) - mean(x)².
func windowVar(x []float64, t, n int) float64 {
	w := x[t-n+1 : t+1]
	fn := float64(n)
	mean := 0.0
	for _, v := range w {
		mean += v
	}
	mean /= fn
	ss := 0.0
	for _, v := range w {
		d := v - mean
		ss += float64(d * d)
	}
	return ss / fn
}

// windowVars4 computes windowVar for rows t..t+3 at once, bit-identical to windowVar.
func windowVars4(x []float64, t, n int) (v0, v1, v2, v3 float64) {
	fn := float64(n)
	m0, m1, m2, m3 := windowSums4(x, t, n)
	m0, m1, m2, m3 = m0/fn, m1/fn, m2/fn, m3/fn
	x0, x1, x2, x3 := x[t-n+1:t+1], x[t-n+2:t+2], x[t-n+3:t+3], x[t-n+4:t+4]
	var s0, s1, s2, s3 float64
	for k := range x0 {
		d0, d1, d2, d3 := x0[k]-m0, x1[k]-m1, x2[k]-m2, x3[k]-m3
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
		s2 += float64(d2 * d2)
		s3 += float64(d3 * d3)
	}
	return s0 / fn, s1 / fn, s2 / fn, s3 / fn
}

// kernelVar is VAR(n): the population variance (TA-Lib ignores nbdev for VAR).
func kernelVar(x []float64, n int, _ float64, out []float64, lo, hi int) {
	t := lo
	for ; t+4 <= hi; t += 4 {
		out[t], out[t+1], out[t+2], out[t+3] = windowVars4(x, t, n)
	}
	for ; t < hi; t++ {
		out[t] = windowVar(x, t, n)
	}
}

// stdDev applies TA-Lib's STDDEV rule to a variance.
func stdDev(v, nbdev float64) float64 {
	if v < taZeroOrNeg {
		return 0
	}
	return math.Sqrt(v) * nbdev
}

// kernelStdDev is STDDEV(n, nbdev): sqrt(population variance) * nbdev, and exactly 0 when
// the variance is below 1e-8 (TA-Lib 0.4's TA_IS_ZERO_OR_NEG rule).
func kernelStdDev(x []float64, n int, nbdev float64, out []float64, lo, hi int) {
	t := lo
	for ; t+4 <= hi; t += 4 {
		v0, v1, v2, v3 := windowVars4(x, t, n)
		out[t], out[t+1], out[t+2], out[t+3] = stdDev(v0, nbdev), stdDev(v1, nbdev), stdDev(v2, nbdev), stdDev(v3, nbdev)
	}
	for ; t < hi; t++ {
		out[t] = stdDev(windowVar(x, t, n), nbdev)
	}
}

// linregConsts returns TA-Lib's SumX and Divisor for period n: SumX = n(n-1)/2,
// SumXSqr = n(n-1)(2n-1)/6 (integer arithmetic, as in C), Divisor = SumX² - n·SumXSqr.
func linregConsts(n int) (sumX, divisor float64) {
	sumX = float64(n*(n-1)) * 0.5
	sumXSqr := float64(n * (n - 1) * (2*n - 1) / 6)
	divisor = float64(sumX*sumX) - float64(float64(n)*sumXSqr)
	return sumX, divisor
}

// linregSums returns TA-Lib's per-window SumY and SumXY for the window ending at t: i counts
// down from n-1 to 0 and x[t-i] gets weight i (the oldest value has the largest weight).
func linregSums(x []float64, t, n int) (sumY, sumXY float64) {
	for i := n - 1; i >= 0; i-- {
		v := x[t-i]
		sumY += v
		sumXY += float64(float64(i) * v)
	}
	return sumY, sumXY
}

// linregSums4 computes linregSums for rows t..t+3 at once, bit-identical to linregSums.
func linregSums4(x []float64, t, n int) (y, xy [4]float64) {
	x0, x1, x2, x3 := x[t-n+1:t+1], x[t-n+2:t+2], x[t-n+3:t+3], x[t-n+4:t+4]
	for k := range x0 {
		i := float64(n - 1 - k)
		v0, v1, v2, v3 := x0[k], x1[k], x2[k], x3[k]
		y[0] += v0
		y[1] += v1
		y[2] += v2
		y[3] += v3
		xy[0] += float64(i * v0)
		xy[1] += float64(i * v1)
		xy[2] += float64(i * v2)
		xy[3] += float64(i * v3)
	}
	return y, xy
}

// linregSlope is TA-Lib's m = (n·SumXY - SumX·SumY) / Divisor.
func linregSlope(fn, sumX, divisor, sumY, sumXY float64) float64 {
	return (float64(fn*sumXY) - float64(sumX*sumY)) / divisor
}

// linregKernel runs TA-Lib C's LINEARREG loop and maps (m, b) to the output with f.
func linregKernel(x []float64, n int, out []float64, lo, hi int, f func(m, b, fn float64) float64) {
	sumX, divisor := linregConsts(n)
	fn := float64(n)
	one := func(sumY, sumXY float64) float64 {
		m := linregSlope(fn, sumX, divisor, sumY, sumXY)
		b := (sumY - float64(m*sumX)) / fn
		return f(m, b, fn)
	}
	t := lo
	for ; t+4 <= hi; t += 4 {
		y, xy := linregSums4(x, t, n)
		for k := range 4 {
			out[t+k] = one(y[k], xy[k])
		}
	}
	for ; t < hi; t++ {
		out[t] = one(linregSums(x, t, n))
	}
}

// kernelLinearRegSlope is LINEARREG_SLOPE(n): the OLS slope per bar.
func kernelLinearRegSlope(x []float64, n int, _ float64, out []float64, lo, hi int) {
	sumX, divisor := linregConsts(n)
	fn := float64(n)
	t := lo
	for ; t+4 <= hi; t += 4 {
		y, xy := linregSums4(x, t, n)
		for k := range 4 {
			out[t+k] = linregSlope(fn, sumX, divisor, y[k], xy[k])
		}
	}
	for ; t < hi; t++ {
		sumY, sumXY := linregSums(x, t, n)
		out[t] = linregSlope(fn, sumX, divisor, sumY, sumXY)
	}
}

// kernelLinearReg is LINEARREG(n): the fitted value at the last bar, b + m·(n-1).
func kernelLinearReg(x []float64, n int, _ float64, out []float64, lo, hi int) {
	linregKernel(x, n, out, lo, hi, func(m, b, fn float64) float64 { return b + float64(m*(fn-1)) })
}

// kernelLinearRegIntercept is LINEARREG_INTERCEPT(n): b.
func kernelLinearRegIntercept(x []float64, n int, _ float64, out []float64, lo, hi int) {
	linregKernel(x, n, out, lo, hi, func(_, b, _ float64) float64 { return b })
}

// kernelLinearRegAngle is LINEARREG_ANGLE(n): atan(m) in degrees.
func kernelLinearRegAngle(x []float64, n int, _ float64, out []float64, lo, hi int) {
	linregKernel(x, n, out, lo, hi, func(m, _, _ float64) float64 { return math.Atan(m) * (180.0 / math.Pi) })
}

// kernelTSF is TSF(n): the forecast for the next bar, b + m·n.
func kernelTSF(x []float64, n int, _ float64, out []float64, lo, hi int) {
	linregKernel(x, n, out, lo, hi, func(m, b, fn float64) float64 { return b + float64(m*fn) })
}

// kernelWMA is WMA(n): weights 1..n from the oldest to the newest value, divided by n(n+1)/2.
func kernelWMA(x []float64, n int, _ float64, out []float64, lo, hi int) {
	divider := float64((n * (n + 1)) >> 1)
	for t := lo; t < hi; t++ {
		s := 0.0
		w := x[t-n+1 : t+1]
		for k, v := range w {
			s += float64(v * float64(k+1))
		}
		out[t] = s / divider
	}
}

// extremum computes the maximum (isMax) or minimum of each window with a monotonic queue
// restarted at lo. Each value is the exact extremum of its window, so it does not depend on
// where the computation started.
func extremum(x []float64, n int, out []float64, lo, hi int, isMax bool) {
	q := make([]int, 0, min(n, hi-lo)+1)
	head := 0
	push := func(i int) {
		v := x[i]
		for len(q) > head {
			b := x[q[len(q)-1]]
			if (isMax && b > v) || (!isMax && b < v) {
				break
			}
			q = q[:len(q)-1]
		}
		q = append(q, i)
	}
	for i := lo - n + 1; i < lo; i++ {
		push(i)
	}
	for t := lo; t < hi; t++ {
		push(t)
		for q[head] <= t-n {
			head++
		}
		out[t] = x[q[head]]
		if head > 4096 && head*2 > len(q) { // drop the consumed front of the queue
			q = append(q[:0], q[head:]...)
			head = 0
		}
	}
}

// kernelMax is MAX(n).
func kernelMax(x []float64, n int, _ float64, out []float64, lo, hi int) {
	extremum(x, n, out, lo, hi, true)
}

// kernelMin is MIN(n).
func kernelMin(x []float64, n int, _ float64, out []float64, lo, hi int) {
	extremum(x, n, out, lo, hi, false)
}

// kernelMOM is MOM(n) = x[t] - x[t-n].
func kernelMOM(x []float64, n int, _ float64, out []float64, lo, hi int) {
	for t := lo; t < hi; t++ {
		out[t] = x[t] - x[t-n]
	}
}

// rocKernel applies f(x[t], x[t-n]) when x[t-n] != 0 and writes 0 otherwise, as TA-Lib does.
func rocKernel(x []float64, n int, out []float64, lo, hi int, f func(v, prev float64) float64) {
	for t := lo; t < hi; t++ {
		if prev := x[t-n]; prev != 0 {
			out[t] = f(x[t], prev)
		} else {
			out[t] = 0
		}
	}
}

// kernelROC is ROC(n) = (x/prev - 1)·100.
func kernelROC(x []float64, n int, _ float64, out []float64, lo, hi int) {
	rocKernel(x, n, out, lo, hi, func(v, prev float64) float64 { return ((v / prev) - 1.0) * 100.0 })
}

// kernelROCP is ROCP(n) = (x - prev)/prev.
func kernelROCP(x []float64, n int, _ float64, out []float64, lo, hi int) {
	rocKernel(x, n, out, lo, hi, func(v, prev float64) float64 { return (v - prev) / prev })
}

// kernelROCR is ROCR(n) = x/prev.
func kernelROCR(x []float64, n int, _ float64, out []float64, lo, hi int) {
	rocKernel(x, n, out, lo, hi, func(v, prev float64) float64 { return v / prev })
}

// kernelROCR100 is ROCR100(n) = x/prev·100.
func kernelROCR100(x []float64, n int, _ float64, out []float64, lo, hi int) {
	rocKernel(x, n, out, lo, hi, func(v, prev float64) float64 { return (v / prev) * 100.0 })
}
