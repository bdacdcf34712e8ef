package features

import "math"

// The three functions TA-Lib 0.6 added to 0.4's 158: ACCBANDS, AVGDEV and IMI, computed per
// window as TA-Lib C does (ta_ACCBANDS.c, ta_AVGDEV.c, ta_IMI.c), so they are local: the value
// at row t depends on rows t-lookback..t only.

// taIsZero is TA-Lib's TA_IS_ZERO.
func taIsZero(v float64) bool { return -0.00000001 < v && v < 0.00000001 }

// kernelAvgDev is AVGDEV(n): the mean absolute deviation from the window mean. As in C, both
// sums run from the newest value to the oldest.
func kernelAvgDev(x []float64, n int, _ float64, out []float64, lo, hi int) {
	fn := float64(n)
	for t := lo; t < hi; t++ {
		sum := 0.0
		for i := 0; i < n; i++ {
			sum += x[t-i]
		}
		mean := sum / fn
		dev := 0.0
		for i := 0; i < n; i++ {
			dev += math.Abs(x[t-i] - mean)
		}
		out[t] = dev / fn
	}
}

// taACCBANDS is ACCBANDS(n): Acceleration Bands. With r = 4(high-low)/(high+low), the upper
// band is SMA(high·(1+r)), the middle band SMA(close) and the lower band SMA(low·(1-r)); a
// bar with high+low of zero contributes high and low unchanged. The SMAs are per-window
// sums (as the SMA function here), TA-Lib's are running sums: they agree to float noise.
func taACCBANDS(high, low, close []float64, n int) [][]float64 {
	m := len(close)
	up, down := make([]float64, m), make([]float64, m)
	for i := range m {
		h, l := high[i], low[i]
		up[i], down[i] = h, l
		if s := h + l; !taIsZero(s) {
			r := 4 * (h - l) / s
			up[i], down[i] = h*(1+r), l*(1-r)
		}
	}
	outs := [][]float64{make([]float64, m), make([]float64, m), make([]float64, m)}
	if m >= n {
		for k, x := range [][]float64{up, close, down} {
			kernelSMA(x, n, 0, outs[k], n-1, m)
		}
	}
	return outs
}

// taIMI is IMI(n): the Intraday Momentum Index, 100·up/(up+down) over the window, where up sums
// close-open of the bars closing above their open and down sums open-close of the others
// (oldest first). A window of flat bars gives 0/0 = NaN, as in TA-Lib.
func taIMI(open, close []float64, n int) []float64 {
	m := len(close)
	out := make([]float64, m)
	for t := n - 1; t < m; t++ {
		up, down := 0.0, 0.0
		for i := t - n + 1; i <= t; i++ {
			if c, o := close[i], open[i]; c > o {
				up += c - o
			} else {
				down += o - c
			}
		}
		out[t] = 100.0 * (up / (up + down))
	}
	return out
}
