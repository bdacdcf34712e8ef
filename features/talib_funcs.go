package features

import (
	"fmt"
	"sort"
	"strings"

	gotalib "github.com/markcheno/go-talib"
)

// This file is the table of TA-Lib functions the talib generator knows: for each TA-Lib
// name its input arguments, its optional timeperiod, its other parameters with TA-Lib's
// defaults and ranges, its outputs (TA-Lib's lower-case names), its look-back (TA-Lib's
// documented lookback, which is the number of leading outputs that are undefined) and how
// it is computed: by an exact native kernel (rolling.go) or by github.com/markcheno/go-talib.
//
// Known go-talib deviations, handled or documented here:
//   - go-talib writes 0 (not NaN) into the look-back rows; the generator overwrites the
//     first lookback rows with NaN using the lookback below.
//   - MACD, MACDFIX and MACDEXT seed the fast average independently of the slow one (go-talib
//     issue #1) and the signal average over the zeros of the MACD warm-up, so their first ~110
//     outputs differ from TA-Lib C; they are computed here as TA-Lib does (talib_macd.go).
//   - STOCH's slowd and STOCHRSI run their averages over warm-up zeros and MAVP seeds each
//     period's average at its own lookback, so with MA types other than SMA their first
//     25-250 outputs differ from TA-Lib C; they are computed here as TA-Lib does
//     (talib_stoch.go), as is STOCHF.
//   - HT_DCPHASE writes its first value at row 0 instead of row 63 (its output is shifted
//     left by the lookback, which would leak future values); the wrapper shifts it back.
//   - STDDEV inside BBANDS zeroes variances below 1e-14 (newer TA-Lib) while the native
//     STDDEV function uses TA-Lib 0.4's 1e-8 rule.

// paramKind says how a TA-Lib parameter is validated.
type paramKind uint8

const (
	intParam paramKind = iota
	floatParam
	maParam // a moving-average type, 0..8 (SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, MAMA, T3)
)

// paramSpec is one optional TA-Lib parameter (not timeperiod), named as in ta-lib-python.
type paramSpec struct {
	name     string
	kind     paramKind
	def      float64
	min, max float64
}

// funcSpec describes one TA-Lib function.
type funcSpec struct {
	name      string
	inputs    []string // TA-Lib argument names, e.g. real, real0, high, low, close, volume
	hasPeriod bool     // takes timeperiod (the generator's windows)
	defPeriod int
	minPeriod int
	params    []paramSpec
	outputs   []string // TA-Lib output names; one entry for single-output functions
	// lookback is TA-Lib's lookback for the given timeperiod (0 when none) and parameters.
	lookback func(n int, p []float64) int
	// native, when set, computes the function exactly per window (rolling.go); the output
	// at row t depends only on rows t-lookback..t.
	native nativeKernel
	// run computes the function with go-talib over a NaN-free series.
	run func(in [][]float64, n int, p []float64) [][]float64
	// local is true for go-talib functions without running state: the value at row t is
	// computed from rows t-lookback..t only, so a computation over any suffix holding the
	// look-back gives bit-identical values.
	local bool
}

// maLookback is TA-Lib's lookback of MA(n, matype).
func maLookback(n int, maType int) int {
	if n <= 1 {
		return 0
	}
	switch maType {
	case 3: // DEMA
		return 2 * (n - 1)
	case 4: // TEMA
		return 3 * (n - 1)
	case 6: // KAMA
		return n
	case 7: // MAMA
		return 32
	case 8: // T3
		return 6 * (n - 1)
	default: // SMA, EMA, WMA, TRIMA
		return n - 1
	}
}

const maxPeriod = 100000

func pInt(name string, def, min int) paramSpec {
	return paramSpec{name: name, kind: intParam, def: float64(def), min: float64(min), max: maxPeriod}
}

func pFloat(name string, def, min, max float64) paramSpec {
	return paramSpec{name: name, kind: floatParam, def: def, min: min, max: max}
}

func pMA(name string) paramSpec { return paramSpec{name: name, kind: maParam, def: 0, min: 0, max: 8} }

func ma(v float64) gotalib.MaType { return gotalib.MaType(int(v)) }

func one(x []float64) [][]float64 { return [][]float64{x} }

func two(a, b []float64) [][]float64 { return [][]float64{a, b} }

func three(a, b, c []float64) [][]float64 { return [][]float64{a, b, c} }

var (
	inReal  = []string{"real"}
	inReal2 = []string{"real0", "real1"}
	inHL    = []string{"high", "low"}
	inHLC   = []string{"high", "low", "close"}
	inHLCV  = []string{"high", "low", "close", "volume"}
	inOHLC  = []string{"open", "high", "low", "close"}
	outReal = []string{"real"}
)

func lbConst(k int) func(int, []float64) int { return func(int, []float64) int { return k } }
func lbN(d int) func(int, []float64) int     { return func(n int, _ []float64) int { return n + d } }

// simple builds a single-output function of one real input with a timeperiod, run by go-talib.
func simple(name string, def, min int, lb func(int, []float64) int, f func([]float64, int) []float64) funcSpec {
	return funcSpec{name: name, inputs: inReal, hasPeriod: true, defPeriod: def, minPeriod: min, outputs: outReal,
		lookback: lb, run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(f(in[0], n)) }}
}

// nativeFn builds a single-input function computed by an exact native kernel.
func nativeFn(name string, def, min int, lbDelta int, k nativeKernel, params ...paramSpec) funcSpec {
	return funcSpec{name: name, inputs: inReal, hasPeriod: true, defPeriod: def, minPeriod: min, params: params,
		outputs: outReal, lookback: lbN(lbDelta), native: k}
}

// hlcPeriod builds a single-output high/low/close function with a timeperiod.
func hlcPeriod(name string, def, min int, lb func(int, []float64) int, local bool, f func(h, l, c []float64, n int) []float64) funcSpec {
	return funcSpec{name: name, inputs: inHLC, hasPeriod: true, defPeriod: def, minPeriod: min, outputs: outReal, lookback: lb, local: local,
		run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(f(in[0], in[1], in[2], n)) }}
}

// elementwise builds a math transform of one real input (lookback 0).
func elementwise(name string, f func([]float64) []float64) funcSpec {
	return funcSpec{name: name, inputs: inReal, outputs: outReal, lookback: lbConst(0), local: true,
		run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(f(in[0])) }}
}

// operator builds a math operator of real0 and real1 (lookback 0).
func operator(name string, f func(a, b []float64) []float64) funcSpec {
	return funcSpec{name: name, inputs: inReal2, outputs: outReal, lookback: lbConst(0), local: true,
		run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(f(in[0], in[1])) }}
}

// shiftRight moves x right by k positions (zeros in front); it undoes go-talib's HT_DCPHASE misalignment.
func shiftRight(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	if k < len(x) {
		copy(out[k:], x[:len(x)-k])
	}
	return out
}

// talibFuncs maps upper-case TA-Lib names to their specs.
var talibFuncs = map[string]*funcSpec{}

func init() {
	specs := []funcSpec{
		// Overlap studies.
		{name: "ACCBANDS", inputs: inHLC, hasPeriod: true, defPeriod: 20, minPeriod: 2,
			outputs: []string{"upperband", "middleband", "lowerband"}, lookback: lbN(-1), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return taACCBANDS(in[0], in[1], in[2], n) }},
		{name: "BBANDS", inputs: inReal, hasPeriod: true, defPeriod: 5, minPeriod: 2,
			params:  []paramSpec{pFloat("nbdevup", 2, -3e37, 3e37), pFloat("nbdevdn", 2, -3e37, 3e37), pMA("matype")},
			outputs: []string{"upperband", "middleband", "lowerband"},
			lookback: func(n int, p []float64) int {
				return maLookback(n, int(p[2]))
			},
			run: func(in [][]float64, n int, p []float64) [][]float64 {
				return taBBANDS(in[0], n, p[0], p[1], int(p[2]))
			}},
		simple("DEMA", 30, 2, func(n int, _ []float64) int { return 2 * (n - 1) }, gotalib.Dema),
		simple("EMA", 30, 2, lbN(-1), gotalib.Ema),
		{name: "HT_TRENDLINE", inputs: inReal, outputs: outReal, lookback: lbConst(63),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.HtTrendline(in[0])) }},
		simple("KAMA", 30, 2, lbN(0), gotalib.Kama),
		{name: "MA", inputs: inReal, hasPeriod: true, defPeriod: 30, minPeriod: 1, params: []paramSpec{pMA("matype")}, outputs: outReal,
			lookback: func(n int, p []float64) int { return maLookback(n, int(p[0])) },
			run:      func(in [][]float64, n int, p []float64) [][]float64 { return one(gotalib.Ma(in[0], n, ma(p[0]))) }},
		{name: "MAMA", inputs: inReal, params: []paramSpec{pFloat("fastlimit", 0.5, 0.01, 0.99), pFloat("slowlimit", 0.05, 0.01, 0.99)},
			outputs: []string{"mama", "fama"}, lookback: lbConst(32),
			run: func(in [][]float64, _ int, p []float64) [][]float64 { return two(gotalib.Mama(in[0], p[0], p[1])) }},
		{name: "MAVP", inputs: []string{"real", "periods"}, params: []paramSpec{pInt("minperiod", 2, 2), pInt("maxperiod", 30, 2), pMA("matype")},
			outputs: outReal, lookback: func(_ int, p []float64) int { return maLookback(int(p[1]), int(p[2])) },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(taMAVP(in[0], in[1], int(p[0]), int(p[1]), int(p[2])))
			}},
		{name: "MIDPOINT", inputs: inReal, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: outReal, lookback: lbN(-1), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.MidPoint(in[0], n)) }},
		{name: "MIDPRICE", inputs: inHL, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: outReal, lookback: lbN(-1), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.MidPrice(in[0], in[1], n)) }},
		{name: "SAR", inputs: inHL, params: []paramSpec{pFloat("acceleration", 0.02, 0, 3e37), pFloat("maximum", 0.2, 0, 3e37)},
			outputs: outReal, lookback: lbConst(1),
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.Sar(in[0], in[1], p[0], p[1]))
			}},
		{name: "SAREXT", inputs: inHL, params: []paramSpec{
			pFloat("startvalue", 0, -3e37, 3e37), pFloat("offsetonreverse", 0, 0, 3e37),
			pFloat("accelerationinitlong", 0.02, 0, 3e37), pFloat("accelerationlong", 0.02, 0, 3e37), pFloat("accelerationmaxlong", 0.2, 0, 3e37),
			pFloat("accelerationinitshort", 0.02, 0, 3e37), pFloat("accelerationshort", 0.02, 0, 3e37), pFloat("accelerationmaxshort", 0.2, 0, 3e37)},
			outputs: outReal, lookback: lbConst(1),
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.SarExt(in[0], in[1], p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]))
			}},
		nativeFn("SMA", 30, 2, -1, kernelSMA),
		{name: "T3", inputs: inReal, hasPeriod: true, defPeriod: 5, minPeriod: 2, params: []paramSpec{pFloat("vfactor", 0.7, 0, 1)}, outputs: outReal,
			lookback: func(n int, _ []float64) int { return 6 * (n - 1) },
			run:      func(in [][]float64, n int, p []float64) [][]float64 { return one(gotalib.T3(in[0], n, p[0])) }},
		simple("TEMA", 30, 2, func(n int, _ []float64) int { return 3 * (n - 1) }, gotalib.Tema),
		simple("TRIMA", 30, 2, lbN(-1), gotalib.Trima),
		nativeFn("WMA", 30, 2, -1, kernelWMA),

		// Momentum indicators.
		hlcPeriod("ADX", 14, 2, func(n int, _ []float64) int { return 2*n - 1 }, false, gotalib.Adx),
		hlcPeriod("ADXR", 14, 2, func(n int, _ []float64) int { return 3*n - 2 }, false, gotalib.AdxR),
		{name: "APO", inputs: inReal, params: []paramSpec{pInt("fastperiod", 12, 2), pInt("slowperiod", 26, 2), pMA("matype")}, outputs: outReal,
			lookback: func(_ int, p []float64) int { return maLookback(max(int(p[0]), int(p[1])), int(p[2])) },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.Apo(in[0], int(p[0]), int(p[1]), ma(p[2])))
			}},
		{name: "AROON", inputs: inHL, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: []string{"aroondown", "aroonup"}, lookback: lbN(0), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return two(gotalib.Aroon(in[0], in[1], n)) }},
		{name: "AROONOSC", inputs: inHL, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: outReal, lookback: lbN(0), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.AroonOsc(in[0], in[1], n)) }},
		{name: "BOP", inputs: inOHLC, outputs: outReal, lookback: lbConst(0), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(gotalib.Bop(in[0], in[1], in[2], in[3]))
			}},
		hlcPeriod("CCI", 14, 2, lbN(-1), false, gotalib.Cci),
		simple("CMO", 14, 2, lbN(0), gotalib.Cmo),
		{name: "IMI", inputs: []string{"open", "close"}, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: outReal,
			lookback: lbN(-1), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(taIMI(in[0], in[1], n)) }},
		hlcPeriod("DX", 14, 2, func(n int, _ []float64) int { return max(n, 2) }, false, gotalib.Dx),
		{name: "MACD", inputs: inReal, params: []paramSpec{pInt("fastperiod", 12, 2), pInt("slowperiod", 26, 2), pInt("signalperiod", 9, 1)},
			outputs:  []string{"macd", "macdsignal", "macdhist"},
			lookback: func(_ int, p []float64) int { return max(int(p[0]), int(p[1])) - 1 + int(p[2]) - 1 },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return taMACD(in[0], int(p[0]), int(p[1]), int(p[2]), false)
			}},
		{name: "MACDEXT", inputs: inReal, params: []paramSpec{pInt("fastperiod", 12, 2), pMA("fastmatype"), pInt("slowperiod", 26, 2), pMA("slowmatype"),
			pInt("signalperiod", 9, 1), pMA("signalmatype")},
			outputs: []string{"macd", "macdsignal", "macdhist"},
			lookback: func(_ int, p []float64) int {
				return max(maLookback(int(p[0]), int(p[1])), maLookback(int(p[2]), int(p[3]))) + maLookback(int(p[4]), int(p[5]))
			},
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return taMACDEXT(in[0], int(p[0]), int(p[1]), int(p[2]), int(p[3]), int(p[4]), int(p[5]))
			}},
		{name: "MACDFIX", inputs: inReal, params: []paramSpec{pInt("signalperiod", 9, 1)}, outputs: []string{"macd", "macdsignal", "macdhist"},
			lookback: func(_ int, p []float64) int { return 25 + int(p[0]) - 1 },
			run:      func(in [][]float64, _ int, p []float64) [][]float64 { return taMACD(in[0], 12, 26, int(p[0]), true) }},
		{name: "MFI", inputs: inHLCV, hasPeriod: true, defPeriod: 14, minPeriod: 2, outputs: outReal, lookback: lbN(0),
			run: func(in [][]float64, n int, _ []float64) [][]float64 {
				return one(gotalib.Mfi(in[0], in[1], in[2], in[3], n))
			}},
		hlcPeriod("MINUS_DI", 14, 1, func(n int, _ []float64) int { return max(n, 1) }, false, gotalib.MinusDI),
		{name: "MINUS_DM", inputs: inHL, hasPeriod: true, defPeriod: 14, minPeriod: 1, outputs: outReal,
			lookback: func(n int, _ []float64) int { return max(n-1, 1) },
			run:      func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.MinusDM(in[0], in[1], n)) }},
		nativeFn("MOM", 10, 1, 0, kernelMOM),
		hlcPeriod("PLUS_DI", 14, 1, func(n int, _ []float64) int { return max(n, 1) }, false, gotalib.PlusDI),
		{name: "PLUS_DM", inputs: inHL, hasPeriod: true, defPeriod: 14, minPeriod: 1, outputs: outReal,
			lookback: func(n int, _ []float64) int { return max(n-1, 1) },
			run:      func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.PlusDM(in[0], in[1], n)) }},
		{name: "PPO", inputs: inReal, params: []paramSpec{pInt("fastperiod", 12, 2), pInt("slowperiod", 26, 2), pMA("matype")}, outputs: outReal,
			lookback: func(_ int, p []float64) int { return maLookback(max(int(p[0]), int(p[1])), int(p[2])) },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.Ppo(in[0], int(p[0]), int(p[1]), ma(p[2])))
			}},
		nativeFn("ROC", 10, 1, 0, kernelROC),
		nativeFn("ROCP", 10, 1, 0, kernelROCP),
		nativeFn("ROCR", 10, 1, 0, kernelROCR),
		nativeFn("ROCR100", 10, 1, 0, kernelROCR100),
		simple("RSI", 14, 2, lbN(0), gotalib.Rsi),
		{name: "STOCH", inputs: inHLC, params: []paramSpec{pInt("fastk_period", 5, 1), pInt("slowk_period", 3, 1), pMA("slowk_matype"),
			pInt("slowd_period", 3, 1), pMA("slowd_matype")},
			outputs: []string{"slowk", "slowd"},
			lookback: func(_ int, p []float64) int {
				return int(p[0]) - 1 + maLookback(int(p[1]), int(p[2])) + maLookback(int(p[3]), int(p[4]))
			},
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return taSTOCH(in[0], in[1], in[2], int(p[0]), int(p[1]), int(p[2]), int(p[3]), int(p[4]))
			}},
		{name: "STOCHF", inputs: inHLC, params: []paramSpec{pInt("fastk_period", 5, 1), pInt("fastd_period", 3, 1), pMA("fastd_matype")},
			outputs:  []string{"fastk", "fastd"},
			lookback: func(_ int, p []float64) int { return int(p[0]) - 1 + maLookback(int(p[1]), int(p[2])) },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return taSTOCHF(in[0], in[1], in[2], int(p[0]), int(p[1]), int(p[2]))
			}},
		{name: "STOCHRSI", inputs: inReal, hasPeriod: true, defPeriod: 14, minPeriod: 2,
			params:  []paramSpec{pInt("fastk_period", 5, 1), pInt("fastd_period", 3, 1), pMA("fastd_matype")},
			outputs: []string{"fastk", "fastd"},
			lookback: func(n int, p []float64) int {
				return n + int(p[0]) - 1 + maLookback(int(p[1]), int(p[2]))
			},
			run: func(in [][]float64, n int, p []float64) [][]float64 {
				return taSTOCHRSI(in[0], n, int(p[0]), int(p[1]), int(p[2]))
			}},
		simple("TRIX", 30, 1, func(n int, _ []float64) int { return 3*(n-1) + 1 }, gotalib.Trix),
		{name: "ULTOSC", inputs: inHLC, params: []paramSpec{pInt("timeperiod1", 7, 1), pInt("timeperiod2", 14, 1), pInt("timeperiod3", 28, 1)},
			outputs:  outReal,
			lookback: func(_ int, p []float64) int { return max(int(p[0]), int(p[1]), int(p[2])) },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.UltOsc(in[0], in[1], in[2], int(p[0]), int(p[1]), int(p[2])))
			}},
		hlcPeriod("WILLR", 14, 2, lbN(-1), true, gotalib.WillR),

		// Volume indicators.
		{name: "AD", inputs: inHLCV, outputs: outReal, lookback: lbConst(0),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(gotalib.Ad(in[0], in[1], in[2], in[3]))
			}},
		{name: "ADOSC", inputs: inHLCV, params: []paramSpec{pInt("fastperiod", 3, 2), pInt("slowperiod", 10, 2)}, outputs: outReal,
			lookback: func(_ int, p []float64) int { return max(int(p[0]), int(p[1])) - 1 },
			run: func(in [][]float64, _ int, p []float64) [][]float64 {
				return one(gotalib.AdOsc(in[0], in[1], in[2], in[3], int(p[0]), int(p[1])))
			}},
		{name: "OBV", inputs: []string{"real", "volume"}, outputs: outReal, lookback: lbConst(0),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.Obv(in[0], in[1])) }},

		// Volatility indicators.
		hlcPeriod("ATR", 14, 1, lbN(0), false, gotalib.Atr),
		hlcPeriod("NATR", 14, 1, lbN(0), false, gotalib.Natr),
		{name: "TRANGE", inputs: inHLC, outputs: outReal, lookback: lbConst(1), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.TRange(in[0], in[1], in[2])) }},

		// Price transforms.
		{name: "AVGPRICE", inputs: inOHLC, outputs: outReal, lookback: lbConst(0), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(gotalib.AvgPrice(in[0], in[1], in[2], in[3]))
			}},
		{name: "MEDPRICE", inputs: inHL, outputs: outReal, lookback: lbConst(0), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.MedPrice(in[0], in[1])) }},
		{name: "TYPPRICE", inputs: inHLC, outputs: outReal, lookback: lbConst(0), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(gotalib.TypPrice(in[0], in[1], in[2]))
			}},
		{name: "WCLPRICE", inputs: inHLC, outputs: outReal, lookback: lbConst(0), local: true,
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(gotalib.WclPrice(in[0], in[1], in[2]))
			}},

		// Cycle indicators.
		{name: "HT_DCPERIOD", inputs: inReal, outputs: outReal, lookback: lbConst(32),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.HtDcPeriod(in[0])) }},
		{name: "HT_DCPHASE", inputs: inReal, outputs: outReal, lookback: lbConst(63),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 {
				return one(shiftRight(gotalib.HtDcPhase(in[0]), 63))
			}},
		{name: "HT_PHASOR", inputs: inReal, outputs: []string{"inphase", "quadrature"}, lookback: lbConst(32),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return two(gotalib.HtPhasor(in[0])) }},
		{name: "HT_SINE", inputs: inReal, outputs: []string{"sine", "leadsine"}, lookback: lbConst(63),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return two(gotalib.HtSine(in[0])) }},
		{name: "HT_TRENDMODE", inputs: inReal, outputs: []string{"integer"}, lookback: lbConst(63),
			run: func(in [][]float64, _ int, _ []float64) [][]float64 { return one(gotalib.HtTrendMode(in[0])) }},

		// Statistic functions.
		nativeFn("AVGDEV", 14, 2, -1, kernelAvgDev),
		{name: "BETA", inputs: inReal2, hasPeriod: true, defPeriod: 5, minPeriod: 1, outputs: outReal, lookback: lbN(0),
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.Beta(in[0], in[1], n)) }},
		{name: "CORREL", inputs: inReal2, hasPeriod: true, defPeriod: 30, minPeriod: 1, outputs: outReal, lookback: lbN(-1),
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return one(gotalib.Correl(in[0], in[1], n)) }},
		nativeFn("LINEARREG", 14, 2, -1, kernelLinearReg),
		nativeFn("LINEARREG_ANGLE", 14, 2, -1, kernelLinearRegAngle),
		nativeFn("LINEARREG_INTERCEPT", 14, 2, -1, kernelLinearRegIntercept),
		nativeFn("LINEARREG_SLOPE", 14, 2, -1, kernelLinearRegSlope),
		nativeFn("STDDEV", 5, 2, -1, kernelStdDev, pFloat("nbdev", 1, -3e37, 3e37)),
		nativeFn("TSF", 14, 2, -1, kernelTSF),
		nativeFn("VAR", 5, 1, -1, kernelVar, pFloat("nbdev", 1, -3e37, 3e37)),

		// Math transforms.
		elementwise("ACOS", gotalib.Acos), elementwise("ASIN", gotalib.Asin), elementwise("ATAN", gotalib.Atan),
		elementwise("CEIL", gotalib.Ceil), elementwise("COS", gotalib.Cos), elementwise("COSH", gotalib.Cosh),
		elementwise("EXP", gotalib.Exp), elementwise("FLOOR", gotalib.Floor), elementwise("LN", gotalib.Ln),
		elementwise("LOG10", gotalib.Log10), elementwise("SIN", gotalib.Sin), elementwise("SINH", gotalib.Sinh),
		elementwise("SQRT", gotalib.Sqrt), elementwise("TAN", gotalib.Tan), elementwise("TANH", gotalib.Tanh),

		// Math operators.
		operator("ADD", gotalib.Add), operator("DIV", gotalib.Div), operator("MULT", gotalib.Mult), operator("SUB", gotalib.Sub),
		nativeFn("MAX", 30, 2, -1, kernelMax),
		simple("MAXINDEX", 30, 2, lbN(-1), gotalib.MaxIndex),
		nativeFn("MIN", 30, 2, -1, kernelMin),
		simple("MININDEX", 30, 2, lbN(-1), gotalib.MinIndex),
		{name: "MINMAX", inputs: inReal, hasPeriod: true, defPeriod: 30, minPeriod: 2, outputs: []string{"min", "max"}, lookback: lbN(-1), local: true,
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return two(gotalib.MinMax(in[0], n)) }},
		{name: "MINMAXINDEX", inputs: inReal, hasPeriod: true, defPeriod: 30, minPeriod: 2, outputs: []string{"minidx", "maxidx"}, lookback: lbN(-1),
			run: func(in [][]float64, n int, _ []float64) [][]float64 { return two(gotalib.MinMaxIndex(in[0], n)) }},
		nativeFn("SUM", 30, 2, -1, kernelSum),
	}
	for i := range specs {
		s := specs[i]
		if _, dup := talibFuncs[s.name]; dup {
			panic("features: duplicate TA-Lib function " + s.name)
		}
		talibFuncs[s.name] = &s
	}
}

// lookupTalib finds a TA-Lib function by name (case-insensitive).
func lookupTalib(name string) (*funcSpec, bool) {
	s, ok := talibFuncs[strings.ToUpper(strings.TrimSpace(name))]
	return s, ok
}

// TalibFunctions lists the TA-Lib function names the talib generator supports, sorted.
func TalibFunctions() []string {
	out := make([]string, 0, len(talibFuncs))
	for n := range talibFuncs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// paramIndex returns the index of a named parameter, or -1.
func (s *funcSpec) paramIndex(name string) int {
	for i, p := range s.params {
		if p.name == name {
			return i
		}
	}
	return -1
}

// checkParam validates a parameter value against its spec.
func checkParam(p paramSpec, v float64) error {
	if p.kind != floatParam && v != float64(int64(v)) {
		return fmt.Errorf("must be an integer, got %v", v)
	}
	if v < p.min || v > p.max {
		return fmt.Errorf("must be in [%v, %v], got %v", p.min, p.max, v)
	}
	return nil
}
