package features

import gotalib "github.com/markcheno/go-talib"

// STOCHF, STOCH, STOCHRSI and MAVP as TA-Lib C computes them (ta_STOCHF.c, ta_STOCH.c,
// ta_STOCHRSI.c, ta_MAVP.c). Each smoothing average starts at the first valid value of the
// series it smooths; go-talib runs it over the warm-up zeros instead (STOCH's slowd,
// STOCHRSI's input), or seeds each of MAVP's averages at its own lookback, which makes the
// first 25-250 outputs differ for every MA type but SMA. The functions return full-length
// outputs with zeros before TA-Lib's lookback, as go-talib does.

// stochFastK is TA-Lib's fast %K from row period-1 on: 100·(close - lowest low) / (highest
// high - lowest low) over the window, computed as (close-lowest)/((highest-lowest)/100), and 0
// when the window is flat.
func stochFastK(high, low, close []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	if n < period {
		return out
	}
	hh, ll := make([]float64, n), make([]float64, n)
	extremum(high, period, hh, period-1, n, true)
	extremum(low, period, ll, period-1, n, false)
	for t := period - 1; t < n; t++ {
		if diff := (hh[t] - ll[t]) / 100.0; diff != 0 {
			out[t] = (close[t] - ll[t]) / diff
		}
	}
	return out
}

// taSTOCHF is TA_STOCHF: fast %K and its moving average fast %D.
func taSTOCHF(high, low, close []float64, fastK, fastD, fastDType int) [][]float64 {
	n := len(close)
	lbK, lbD := fastK-1, maLookback(fastD, fastDType)
	if n <= lbK+lbD {
		return [][]float64{make([]float64, n), make([]float64, n)}
	}
	k := stochFastK(high, low, close, fastK)
	d := maFromRow(k, lbK+lbD, fastD, fastDType)
	clear(k[:lbK+lbD])
	return [][]float64{k, d}
}

// taSTOCH is TA_STOCH: slow %K, the average of fast %K, and slow %D, the average of slow %K.
func taSTOCH(high, low, close []float64, fastK, slowK, slowKType, slowD, slowDType int) [][]float64 {
	n := len(close)
	lbK, lbKS, lbDS := fastK-1, maLookback(slowK, slowKType), maLookback(slowD, slowDType)
	if n <= lbK+lbKS+lbDS {
		return [][]float64{make([]float64, n), make([]float64, n)}
	}
	k := maFromRow(stochFastK(high, low, close, fastK), lbK+lbKS, slowK, slowKType)
	d := maFromRow(k, lbK+lbKS+lbDS, slowD, slowDType)
	clear(k[:lbK+lbKS+lbDS])
	return [][]float64{k, d}
}

// taSTOCHRSI is TA_STOCHRSI: STOCHF over the RSI from its first value on.
func taSTOCHRSI(x []float64, period, fastK, fastD, fastDType int) [][]float64 {
	n := len(x)
	if n <= period+fastK-1+maLookback(fastD, fastDType) {
		return [][]float64{make([]float64, n), make([]float64, n)}
	}
	rsi := gotalib.Rsi(x, period)[period:]
	kd := taSTOCHF(rsi, rsi, rsi, fastK, fastD, fastDType)
	outs := [][]float64{make([]float64, n), make([]float64, n)}
	for i, o := range kd {
		copy(outs[i][period:], o)
	}
	return outs
}

// taMAVP is TA_MAVP: at each row the moving average of the period given for that row (truncated
// to an integer and clamped to [minPeriod, maxPeriod]). As in C, each distinct period's average
// starts at the lookback of maxPeriod, seeded there as if it were its first output.
func taMAVP(x, periods []float64, minPeriod, maxPeriod, maType int) []float64 {
	n := len(x)
	out := make([]float64, n)
	lb := maLookback(maxPeriod, maType)
	if n <= lb {
		return out
	}
	clamped := make([]int, n)
	var order []int
	seen := map[int]bool{}
	for t := lb; t < n; t++ {
		p := min(max(int(periods[t]), minPeriod), maxPeriod)
		clamped[t] = p
		if !seen[p] {
			seen[p] = true
			order = append(order, p)
		}
	}
	for _, p := range order {
		ma := maFromRow(x, lb, p, maType)
		for t := lb; t < n; t++ {
			if clamped[t] == p {
				out[t] = ma[t]
			}
		}
	}
	return out
}

// taBBANDS is TA_BBANDS. With an MA type whose lookback exceeds period-1 (DEMA, TEMA, KAMA,
// MAMA, T3), TA-Lib computes the deviation with TA_STDDEV from the bands' first row, so its
// running sums start period-1 rows before it; go-talib starts them at row 0, which changes
// their rounding (up to 1e-8 of the band where the window is nearly flat).
func taBBANDS(x []float64, period int, nbDevUp, nbDevDn float64, maType int) [][]float64 {
	lb := maLookback(period, maType)
	if lb == period-1 || len(x) <= lb {
		return three(gotalib.BBands(x, period, nbDevUp, nbDevDn, gotalib.MaType(maType)))
	}
	n := len(x)
	mid := gotalib.Ma(x, period, gotalib.MaType(maType))
	std := gotalib.StdDev(x[lb-period+1:], period, 1.0)[period-1:]
	upper, lower := make([]float64, n), make([]float64, n)
	for t := lb; t < n; t++ {
		s := std[t-lb]
		upper[t] = mid[t] + s*nbDevUp // s*1.0 is s: the same bits as TA-Lib's nbdev == 1 branches
		lower[t] = mid[t] - s*nbDevDn
	}
	return [][]float64{upper, mid, lower}
}
