package features

import (
	"math"

	"github.com/tradectl/tradectl/internal/frame"
)

// This file holds the candle arithmetic shared by TA-Lib's 61 candlestick pattern
// functions (talib_cdl_patterns.go): TA-Lib 0.4.0's default candle settings
// (ta_common/ta_global.c), the range and average rules of ta_func/ta_utility.h
// (TA_CANDLERANGE, TA_CANDLEAVERAGE, TA_REALBODY, ...) and the running "period totals"
// the C functions keep. Every expression keeps TA-Lib's operation order, so the
// comparisons, and with them the -100/0/+100 outputs, equal TA-Lib C's bit for bit.

// candleRange is how a candle setting measures a candle (TA_RangeType).
type candleRange uint8

const (
	rangeRealBody candleRange = iota // |close - open|
	rangeHighLow                     // high - low
	rangeShadows                     // upper shadow + lower shadow
)

// candleSetting is one TA_CandleSetting: a threshold is factor times the average range
// of the period candles before the candle examined (the candle's own range when period
// is 0), halved for rangeShadows.
type candleSetting struct {
	rng    candleRange
	period int
	factor float64
}

// TA-Lib's default candle settings (TA_CandleDefaultSettings).
var (
	csBodyLong        = candleSetting{rangeRealBody, 10, 1.0}
	csBodyVeryLong    = candleSetting{rangeRealBody, 10, 3.0}
	csBodyShort       = candleSetting{rangeRealBody, 10, 1.0}
	csBodyDoji        = candleSetting{rangeHighLow, 10, 0.1}
	csShadowLong      = candleSetting{rangeRealBody, 0, 1.0}
	csShadowVeryLong  = candleSetting{rangeRealBody, 0, 2.0}
	csShadowShort     = candleSetting{rangeShadows, 10, 1.0}
	csShadowVeryShort = candleSetting{rangeHighLow, 10, 0.1}
	csNear            = candleSetting{rangeHighLow, 5, 0.2}
	csFar             = candleSetting{rangeHighLow, 5, 0.6}
	csEqual           = candleSetting{rangeHighLow, 5, 0.05}
)

// maxAvgPeriod returns the largest averaging period of the settings (TA-Lib's lookbacks
// take max over the settings a pattern uses).
func maxAvgPeriod(ss ...candleSetting) int {
	m := 0
	for _, s := range ss {
		m = max(m, s.period)
	}
	return m
}

// candles holds the open, high, low and close series of one computation.
type candles struct {
	o, h, l, c []float64
	ranges     [3][]float64 // TA_CANDLERANGE of every candle per range type, made on first use
}

// rangeSeries returns the range of every candle for range type r.
func (d *candles) rangeSeries(r candleRange) []float64 {
	if d.ranges[r] == nil {
		x := make([]float64, len(d.c))
		for i := range x {
			x[i] = d.rangeOf(r, i)
		}
		d.ranges[r] = x
	}
	return d.ranges[r]
}

// color is TA_CANDLECOLOR: 1 for white (close >= open), -1 for black.
func (d *candles) color(i int) int {
	if d.c[i] >= d.o[i] {
		return 1
	}
	return -1
}

// body is TA_REALBODY.
func (d *candles) body(i int) float64 { return math.Abs(d.c[i] - d.o[i]) }

// upper is TA_UPPERSHADOW.
func (d *candles) upper(i int) float64 {
	if d.c[i] >= d.o[i] {
		return d.h[i] - d.c[i]
	}
	return d.h[i] - d.o[i]
}

// lower is TA_LOWERSHADOW.
func (d *candles) lower(i int) float64 {
	if d.c[i] >= d.o[i] {
		return d.o[i] - d.l[i]
	}
	return d.c[i] - d.l[i]
}

// hl is TA_HIGHLOWRANGE.
func (d *candles) hl(i int) float64 { return d.h[i] - d.l[i] }

// bodyTop and bodyBottom are max(open, close) and min(open, close).
func (d *candles) bodyTop(i int) float64    { return math.Max(d.o[i], d.c[i]) }
func (d *candles) bodyBottom(i int) float64 { return math.Min(d.o[i], d.c[i]) }

// rbGapUp is TA_REALBODYGAPUP(i2, i1): candle i2's real body lies above candle i1's.
func (d *candles) rbGapUp(i2, i1 int) bool { return d.bodyBottom(i2) > d.bodyTop(i1) }

// rbGapDown is TA_REALBODYGAPDOWN(i2, i1).
func (d *candles) rbGapDown(i2, i1 int) bool { return d.bodyTop(i2) < d.bodyBottom(i1) }

// gapUp is TA_CANDLEGAPUP(i2, i1): candle i2's low is above candle i1's high.
func (d *candles) gapUp(i2, i1 int) bool { return d.l[i2] > d.h[i1] }

// gapDown is TA_CANDLEGAPDOWN(i2, i1).
func (d *candles) gapDown(i2, i1 int) bool { return d.h[i2] < d.l[i1] }

// rangeOf is TA_CANDLERANGE.
func (d *candles) rangeOf(r candleRange, i int) float64 {
	switch r {
	case rangeRealBody:
		return d.body(i)
	case rangeHighLow:
		return d.hl(i)
	default:
		return d.upper(i) + d.lower(i)
	}
}

// periodTotal is one of TA-Lib's running period totals: the sum of a setting's range over
// the period candles before candle i-k, where i is the candle being examined. It starts
// as TA-Lib's initial loop does and moves by adding the newest range and subtracting the
// trailing one in one expression, as TA-Lib does, so the rounding is the same.
type periodTotal struct {
	r     []float64 // the setting's range of every candle
	s     candleSetting
	k     int
	sum   float64
	trail int
}

// total starts the period total of setting s for offset k at the first examined candle start.
func (d *candles) total(s candleSetting, start, k int) periodTotal {
	t := periodTotal{r: d.rangeSeries(s.rng), s: s, k: k, trail: start - k - s.period}
	for j := t.trail; j < start-k; j++ {
		t.sum += t.r[j]
	}
	return t
}

// avg is TA_CANDLEAVERAGE: the setting's threshold for candle idx (idx matters only when the
// period is 0: the candle's own range).
func (t *periodTotal) avg(idx int) float64 {
	var v float64
	if t.s.period != 0 {
		v = t.sum / float64(t.s.period)
	} else {
		v = t.r[idx]
	}
	v = t.s.factor * v
	if t.s.rng == rangeShadows {
		v /= 2.0
	}
	return v
}

// next moves the total from candle i to candle i+1.
func (t *periodTotal) next(i int) {
	t.sum += t.r[i-t.k] - t.r[t.trail]
	t.trail++
}

// cdlPattern is one TA-Lib candlestick function: its lookback (with the default settings)
// and its kernel, which writes the outputs of candles start..n-1 into out.
type cdlPattern struct {
	name     string
	lookback int
	pen      float64 // default penetration; 0 when the function takes none
	run      func(d *candles, start int, pen float64, out []float64)
}

// integerOutputs lists the functions whose outputs are integers (written without decimals).
var integerOutputs = map[string]bool{}

// outputKind is the frame kind of a function's output columns.
func (s *funcSpec) outputKind() frame.Kind {
	if integerOutputs[s.name] {
		return frame.Int
	}
	return frame.Float
}

// cdlSpec builds the talib generator's spec of a candlestick pattern.
func cdlSpec(p cdlPattern) funcSpec {
	s := funcSpec{name: p.name, inputs: inOHLC, outputs: []string{"integer"}, lookback: lbConst(p.lookback)}
	if p.pen != 0 {
		s.params = []paramSpec{pFloat("penetration", p.pen, 0, 3e37)}
	}
	s.run = func(in [][]float64, _ int, prm []float64) [][]float64 {
		pen := 0.0
		if len(prm) > 0 {
			pen = prm[0]
		}
		return one(runPattern(p, in[0], in[1], in[2], in[3], pen))
	}
	return s
}

// runPattern computes a pattern over whole series as TA-Lib does with startIdx 0: zeros in
// the lookback rows, then one output per candle.
func runPattern(p cdlPattern, o, h, l, c []float64, pen float64) []float64 {
	out := make([]float64, len(c))
	if len(c) > p.lookback {
		p.run(&candles{o: o, h: h, l: l, c: c}, p.lookback, pen, out)
	}
	return out
}

func init() {
	for _, p := range cdlPatterns {
		if _, dup := talibFuncs[p.name]; dup {
			panic("features: duplicate TA-Lib function " + p.name)
		}
		s := cdlSpec(p)
		talibFuncs[p.name] = &s
		integerOutputs[p.name] = true
	}
}
