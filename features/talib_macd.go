package features

import gotalib "github.com/markcheno/go-talib"

// MACD, MACDFIX and MACDEXT as TA-Lib C computes them (ta_MACD.c, ta_MACDFIX.c, ta_MACDEXT.c).
// go-talib starts the fast average at its own lookback and runs the signal average over the
// warm-up zeros of the MACD line (go-talib issue #1), so its first ~110 outputs differ. TA-Lib
// C starts both averages at the same row, lookbackTotal - lookbackSignal, each seeded there as
// if that row were the first one it outputs, and the signal average at the first MACD value.
// The functions return full-length outputs with zeros before TA-Lib's lookback, as go-talib does.

// perToK is TA-Lib's PER_TO_K: the EMA smoothing factor of a period.
func perToK(period int) float64 { return 2.0 / float64(period+1) }

// emaFromRow is TA-Lib's TA_INT_EMA with startIdx = start over x: the EMA is seeded at row
// start with the mean of the period values ending there and runs to the end of x. Rows before
// start are left as they are in out.
func emaFromRow(x []float64, start, period int, k float64, out []float64) {
	sum := 0.0
	for _, v := range x[start-period+1 : start+1] {
		sum += v
	}
	prev := sum / float64(period)
	out[start] = prev
	for t := start + 1; t < len(x); t++ {
		prev = float64((x[t]-prev)*k) + prev
		out[t] = prev
	}
}

// macdOutputs finishes a MACD from its fast and slow averages valid from row start: the MACD
// line, the signal average of it (computed by signal over the line from row start on) and the
// histogram, each from row start+lbSignal.
func macdOutputs(fast, slow []float64, start, lbSignal int, signal func(line []float64) []float64) [][]float64 {
	n := len(fast)
	line := make([]float64, n-start)
	for t := start; t < n; t++ {
		line[t-start] = fast[t] - slow[t]
	}
	sig := signal(line)
	macd, sigOut, hist := make([]float64, n), make([]float64, n), make([]float64, n)
	for j := lbSignal; j < len(line); j++ {
		t := start + j
		macd[t], sigOut[t] = line[j], sig[j]
		hist[t] = line[j] - sig[j]
	}
	return [][]float64{macd, sigOut, hist}
}

// taMACD is TA_MACD (fixed = false) or TA_MACDFIX (fixed = true: periods 12 and 26 with TA-Lib's
// fixed factors 0.15 and 0.075).
func taMACD(x []float64, fastPeriod, slowPeriod, signalPeriod int, fixed bool) [][]float64 {
	if slowPeriod < fastPeriod {
		fastPeriod, slowPeriod = slowPeriod, fastPeriod
	}
	kFast, kSlow := perToK(fastPeriod), perToK(slowPeriod)
	if fixed {
		fastPeriod, slowPeriod, kFast, kSlow = 12, 26, 0.15, 0.075
	}
	lbSignal := signalPeriod - 1
	start := slowPeriod - 1 // lookbackTotal - lookbackSignal
	n := len(x)
	if n <= start+lbSignal {
		return [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	}
	fast, slow := make([]float64, n), make([]float64, n)
	emaFromRow(x, start, slowPeriod, kSlow, slow)
	emaFromRow(x, start, fastPeriod, kFast, fast)
	kSignal := perToK(signalPeriod)
	return macdOutputs(fast, slow, start, lbSignal, func(line []float64) []float64 {
		sig := make([]float64, len(line))
		emaFromRow(line, lbSignal, signalPeriod, kSignal, sig)
		return sig
	})
}

// maFromRow is TA_MA(startIdx = start) of x: TA-Lib's moving averages start their warm-up at
// startIdx - lookback, so it equals the average of the suffix x[start-lookback:] placed at
// row start (go-talib's MA, which equals TA-Lib C from a suffix's first row; the oracle test
// checks it for every type). Rows before start are zero.
func maFromRow(x []float64, start, period, maType int) []float64 {
	out := make([]float64, len(x))
	lb := maLookback(period, maType)
	if period == 1 {
		copy(out[start:], x[start:])
		return out
	}
	r := gotalib.Ma(x[start-lb:], period, gotalib.MaType(maType))
	copy(out[start:], r[lb:])
	return out
}

// taMACDEXT is TA_MACDEXT: MACD with a moving average of any type for each line.
func taMACDEXT(x []float64, fastPeriod, fastType, slowPeriod, slowType, signalPeriod, signalType int) [][]float64 {
	if slowPeriod < fastPeriod {
		fastPeriod, slowPeriod = slowPeriod, fastPeriod
		fastType, slowType = slowType, fastType
	}
	lbSignal := maLookback(signalPeriod, signalType)
	start := max(maLookback(fastPeriod, fastType), maLookback(slowPeriod, slowType))
	n := len(x)
	if n <= start+lbSignal {
		return [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	}
	slow := maFromRow(x, start, slowPeriod, slowType)
	fast := maFromRow(x, start, fastPeriod, fastType)
	return macdOutputs(fast, slow, start, lbSignal, func(line []float64) []float64 {
		return maFromRow(line, lbSignal, signalPeriod, signalType)
	})
}
