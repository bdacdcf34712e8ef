package features

import "math"

// Candlestick patterns CDLGAPSIDESIDEWHITE..CDLXSIDEGAP3METHODS (see talib_cdl_patterns.go).

// cdlPatterns2 continues cdlPatterns in TA-Lib's alphabetical order.
var cdlPatterns2 = []cdlPattern{
	{name: "CDLGAPSIDESIDEWHITE", lookback: maxAvgPeriod(csNear, csEqual) + 2, run: cdlGapSideSideWhite},
	{name: "CDLGRAVESTONEDOJI", lookback: maxAvgPeriod(csBodyDoji, csShadowVeryShort), run: cdlGravestoneDoji},
	{name: "CDLHAMMER", lookback: maxAvgPeriod(csBodyShort, csShadowLong, csShadowVeryShort, csNear) + 1, run: cdlHammer},
	{name: "CDLHANGINGMAN", lookback: maxAvgPeriod(csBodyShort, csShadowLong, csShadowVeryShort, csNear) + 1, run: cdlHangingMan},
	{name: "CDLHARAMI", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 1, run: cdlHarami},
	{name: "CDLHARAMICROSS", lookback: maxAvgPeriod(csBodyDoji, csBodyLong) + 1, run: cdlHaramiCross},
	{name: "CDLHIGHWAVE", lookback: maxAvgPeriod(csBodyShort, csShadowVeryLong), run: cdlHighWave},
	{name: "CDLHIKKAKE", lookback: 5, run: cdlHikkake},
	{name: "CDLHIKKAKEMOD", lookback: max(1, csNear.period) + 5, run: cdlHikkakeMod},
	{name: "CDLHOMINGPIGEON", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 1, run: cdlHomingPigeon},
	{name: "CDLIDENTICAL3CROWS", lookback: maxAvgPeriod(csShadowVeryShort, csEqual) + 2, run: cdlIdentical3Crows},
	{name: "CDLINNECK", lookback: maxAvgPeriod(csEqual, csBodyLong) + 1, run: cdlInNeck},
	{name: "CDLINVERTEDHAMMER", lookback: maxAvgPeriod(csBodyShort, csShadowLong, csShadowVeryShort) + 1, run: cdlInvertedHammer},
	{name: "CDLKICKING", lookback: maxAvgPeriod(csShadowVeryShort, csBodyLong) + 1, run: cdlKicking},
	{name: "CDLKICKINGBYLENGTH", lookback: maxAvgPeriod(csShadowVeryShort, csBodyLong) + 1, run: cdlKickingByLength},
	{name: "CDLLADDERBOTTOM", lookback: csShadowVeryShort.period + 4, run: cdlLadderBottom},
	{name: "CDLLONGLEGGEDDOJI", lookback: maxAvgPeriod(csBodyDoji, csShadowLong), run: cdlLongLeggedDoji},
	{name: "CDLLONGLINE", lookback: maxAvgPeriod(csBodyLong, csShadowShort), run: cdlLongLine},
	{name: "CDLMARUBOZU", lookback: maxAvgPeriod(csBodyLong, csShadowVeryShort), run: cdlMarubozu},
	{name: "CDLMATCHINGLOW", lookback: csEqual.period + 1, run: cdlMatchingLow},
	{name: "CDLMATHOLD", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 4, pen: 0.5, run: cdlMatHold},
	{name: "CDLONNECK", lookback: maxAvgPeriod(csEqual, csBodyLong) + 1, run: cdlOnNeck},
	{name: "CDLPIERCING", lookback: csBodyLong.period + 1, run: cdlPiercing},
	{name: "CDLRICKSHAWMAN", lookback: maxAvgPeriod(csBodyDoji, csShadowLong, csNear), run: cdlRickshawMan},
	{name: "CDLRISEFALL3METHODS", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 4, run: cdlRiseFall3Methods},
	{name: "CDLSEPARATINGLINES", lookback: maxAvgPeriod(csShadowVeryShort, csBodyLong, csEqual) + 1, run: cdlSeparatingLines},
	{name: "CDLSHOOTINGSTAR", lookback: maxAvgPeriod(csBodyShort, csShadowLong, csShadowVeryShort) + 1, run: cdlShootingStar},
	{name: "CDLSHORTLINE", lookback: maxAvgPeriod(csBodyShort, csShadowShort), run: cdlShortLine},
	{name: "CDLSPINNINGTOP", lookback: csBodyShort.period, run: cdlSpinningTop},
	{name: "CDLSTALLEDPATTERN", lookback: maxAvgPeriod(csBodyLong, csBodyShort, csShadowVeryShort, csNear) + 2, run: cdlStalledPattern},
	{name: "CDLSTICKSANDWICH", lookback: csEqual.period + 2, run: cdlStickSandwich},
	{name: "CDLTAKURI", lookback: maxAvgPeriod(csBodyDoji, csShadowVeryShort, csShadowVeryLong), run: cdlTakuri},
	{name: "CDLTASUKIGAP", lookback: csNear.period + 2, run: cdlTasukiGap},
	{name: "CDLTHRUSTING", lookback: maxAvgPeriod(csEqual, csBodyLong) + 1, run: cdlThrusting},
	{name: "CDLTRISTAR", lookback: csBodyDoji.period + 2, run: cdlTristar},
	{name: "CDLUNIQUE3RIVER", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 2, run: cdlUnique3River},
	{name: "CDLUPSIDEGAP2CROWS", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 2, run: cdlUpsideGap2Crows},
	{name: "CDLXSIDEGAP3METHODS", lookback: 2, run: cdlXSideGap3Methods},
}

func cdlGapSideSideWhite(d *candles, start int, _ float64, out []float64) {
	nr, eq := d.total(csNear, start, 1), d.total(csEqual, start, 1)
	for i := start; i < len(out); i++ {
		if ((d.rbGapUp(i-1, i-2) && d.rbGapUp(i, i-2)) || (d.rbGapDown(i-1, i-2) && d.rbGapDown(i, i-2))) &&
			d.color(i-1) == 1 && d.color(i) == 1 &&
			d.body(i) >= d.body(i-1)-nr.avg(i-1) && d.body(i) <= d.body(i-1)+nr.avg(i-1) &&
			d.o[i] >= d.o[i-1]-eq.avg(i-1) && d.o[i] <= d.o[i-1]+eq.avg(i-1) {
			if d.rbGapUp(i-1, i-2) {
				out[i] = 100
			} else {
				out[i] = -100
			}
		}
		nr.next(i)
		eq.next(i)
	}
}

func cdlGravestoneDoji(d *candles, start int, _ float64, out []float64) {
	oneShadowDoji(d, start, out, true)
}

// hammerKernel is the hammer (hanging false) and the hanging man: a small body, a long lower
// shadow, a very short upper shadow, the body near the prior low (hammer) or high (hanging man).
func hammerKernel(d *candles, start int, out []float64, hanging bool) {
	bs, sl, sv := d.total(csBodyShort, start, 0), d.total(csShadowLong, start, 0), d.total(csShadowVeryShort, start, 0)
	nr := d.total(csNear, start, 1)
	for i := start; i < len(out); i++ {
		if d.body(i) < bs.avg(i) && d.lower(i) > sl.avg(i) && d.upper(i) < sv.avg(i) {
			if !hanging && d.bodyBottom(i) <= d.l[i-1]+nr.avg(i-1) {
				out[i] = 100
			} else if hanging && d.bodyBottom(i) >= d.h[i-1]-nr.avg(i-1) {
				out[i] = -100
			}
		}
		bs.next(i)
		sl.next(i)
		sv.next(i)
		nr.next(i)
	}
}

func cdlHammer(d *candles, start int, _ float64, out []float64) { hammerKernel(d, start, out, false) }

func cdlHangingMan(d *candles, start int, _ float64, out []float64) {
	hammerKernel(d, start, out, true)
}

// haramiKernel is the harami (second body short) and harami cross (second body doji): ±100
// when the second body lies strictly inside the first long one, ±80 when it touches one end.
func haramiKernel(d *candles, start int, out []float64, second candleSetting) {
	bl, bs := d.total(csBodyLong, start, 1), d.total(second, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i-1) > bl.avg(i-1) && d.body(i) <= bs.avg(i) {
			switch {
			case d.bodyTop(i) < d.bodyTop(i-1) && d.bodyBottom(i) > d.bodyBottom(i-1):
				out[i] = sign100(-d.color(i - 1))
			case d.bodyTop(i) <= d.bodyTop(i-1) && d.bodyBottom(i) >= d.bodyBottom(i-1):
				out[i] = float64(-d.color(i-1) * 80)
			}
		}
		bl.next(i)
		bs.next(i)
	}
}

func cdlHarami(d *candles, start int, _ float64, out []float64) {
	haramiKernel(d, start, out, csBodyShort)
}

func cdlHaramiCross(d *candles, start int, _ float64, out []float64) {
	haramiKernel(d, start, out, csBodyDoji)
}

func cdlHighWave(d *candles, start int, _ float64, out []float64) {
	bs, sv := d.total(csBodyShort, start, 0), d.total(csShadowVeryLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) < bs.avg(i) && d.upper(i) > sv.avg(i) && d.lower(i) > sv.avg(i) {
			out[i] = sign100(d.color(i))
		}
		bs.next(i)
		sv.next(i)
	}
}

// hikkake is the state of CDLHIKKAKE and CDLHIKKAKEMOD: the last pattern's result and candle.
type hikkake struct {
	result float64
	idx    int
}

// step examines candle i given whether a pattern ends there; it returns the output: the
// pattern (±100), its confirmation within 3 candles (±200) or 0.
func (k *hikkake) step(d *candles, i int, pattern bool) float64 {
	if pattern {
		k.result, k.idx = 100, i
		if d.h[i] >= d.h[i-1] {
			k.result = -100
		}
		return k.result
	}
	if i <= k.idx+3 && ((k.result > 0 && d.c[i] > d.h[k.idx-1]) || (k.result < 0 && d.c[i] < d.l[k.idx-1])) {
		k.idx = 0
		if k.result > 0 {
			return k.result + 100
		}
		return k.result - 100
	}
	return 0
}

func hikkakeAt(d *candles, i int) bool {
	return d.h[i-1] < d.h[i-2] && d.l[i-1] > d.l[i-2] &&
		((d.h[i] < d.h[i-1] && d.l[i] < d.l[i-1]) || (d.h[i] > d.h[i-1] && d.l[i] > d.l[i-1]))
}

func cdlHikkake(d *candles, start int, _ float64, out []float64) {
	var k hikkake
	for i := start - 3; i < start; i++ {
		k.step(d, i, hikkakeAt(d, i))
	}
	for i := start; i < len(out); i++ {
		out[i] = k.step(d, i, hikkakeAt(d, i))
	}
}

func cdlHikkakeMod(d *candles, start int, _ float64, out []float64) {
	var k hikkake
	nr := d.total(csNear, start-3, 2)
	at := func(i int) bool {
		return d.h[i-2] < d.h[i-3] && d.l[i-2] > d.l[i-3] && d.h[i-1] < d.h[i-2] && d.l[i-1] > d.l[i-2] &&
			((d.h[i] < d.h[i-1] && d.l[i] < d.l[i-1] && d.c[i-2] <= d.l[i-2]+nr.avg(i-2)) ||
				(d.h[i] > d.h[i-1] && d.l[i] > d.l[i-1] && d.c[i-2] >= d.h[i-2]-nr.avg(i-2)))
	}
	for i := start - 3; i < len(out); i++ {
		v := k.step(d, i, at(i))
		if i >= start {
			out[i] = v
		}
		nr.next(i)
	}
}

func cdlHomingPigeon(d *candles, start int, _ float64, out []float64) {
	bl, bs := d.total(csBodyLong, start, 1), d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -1 && d.color(i) == -1 && d.body(i-1) > bl.avg(i-1) && d.body(i) <= bs.avg(i) &&
			d.o[i] < d.o[i-1] && d.c[i] > d.c[i-1] {
			out[i] = 100
		}
		bl.next(i)
		bs.next(i)
	}
}

func cdlIdentical3Crows(d *candles, start int, _ float64, out []float64) {
	sv2, sv1, sv0 := d.total(csShadowVeryShort, start, 2), d.total(csShadowVeryShort, start, 1), d.total(csShadowVeryShort, start, 0)
	eq2, eq1 := d.total(csEqual, start, 2), d.total(csEqual, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == -1 && d.lower(i-2) < sv2.avg(i-2) &&
			d.color(i-1) == -1 && d.lower(i-1) < sv1.avg(i-1) &&
			d.color(i) == -1 && d.lower(i) < sv0.avg(i) &&
			d.c[i-2] > d.c[i-1] && d.c[i-1] > d.c[i] &&
			d.o[i-1] <= d.c[i-2]+eq2.avg(i-2) && d.o[i-1] >= d.c[i-2]-eq2.avg(i-2) &&
			d.o[i] <= d.c[i-1]+eq1.avg(i-1) && d.o[i] >= d.c[i-1]-eq1.avg(i-1) {
			out[i] = -100
		}
		sv2.next(i)
		sv1.next(i)
		sv0.next(i)
		eq2.next(i)
		eq1.next(i)
	}
}

// neckKernel is CDLINNECK, CDLONNECK and CDLTHRUSTING: a long black candle, then a white one
// opening below its low and closing where cond says.
func neckKernel(d *candles, start int, out []float64, cond func(i int, eq float64) bool) {
	eq, bl := d.total(csEqual, start, 1), d.total(csBodyLong, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -1 && d.body(i-1) > bl.avg(i-1) && d.color(i) == 1 && d.o[i] < d.l[i-1] &&
			cond(i, eq.avg(i-1)) {
			out[i] = -100
		}
		eq.next(i)
		bl.next(i)
	}
}

func cdlInNeck(d *candles, start int, _ float64, out []float64) {
	neckKernel(d, start, out, func(i int, eq float64) bool { return d.c[i] <= d.c[i-1]+eq && d.c[i] >= d.c[i-1] })
}

func cdlOnNeck(d *candles, start int, _ float64, out []float64) {
	neckKernel(d, start, out, func(i int, eq float64) bool { return d.c[i] <= d.l[i-1]+eq && d.c[i] >= d.l[i-1]-eq })
}

func cdlThrusting(d *candles, start int, _ float64, out []float64) {
	neckKernel(d, start, out, func(i int, eq float64) bool {
		return d.c[i] > d.c[i-1]+eq && d.c[i] <= d.c[i-1]+float64(d.body(i-1)*0.5)
	})
}

// starShadowKernel is the inverted hammer (color 1: body gaps down) and the shooting star
// (color -1: body gaps up): a small body, a long upper and very short lower shadow.
func starShadowKernel(d *candles, start int, out []float64, color int) {
	bs, sl, sv := d.total(csBodyShort, start, 0), d.total(csShadowLong, start, 0), d.total(csShadowVeryShort, start, 0)
	for i := start; i < len(out); i++ {
		gap := d.rbGapUp(i, i-1)
		if color == 1 {
			gap = d.rbGapDown(i, i-1)
		}
		if d.body(i) < bs.avg(i) && d.upper(i) > sl.avg(i) && d.lower(i) < sv.avg(i) && gap {
			out[i] = sign100(color)
		}
		bs.next(i)
		sl.next(i)
		sv.next(i)
	}
}

func cdlInvertedHammer(d *candles, start int, _ float64, out []float64) {
	starShadowKernel(d, start, out, 1)
}

func cdlShootingStar(d *candles, start int, _ float64, out []float64) {
	starShadowKernel(d, start, out, -1)
}

// kickingKernel is CDLKICKING and CDLKICKINGBYLENGTH: two marubozu of opposite colors with a
// gap between them; the sign is the second candle's color or the longer candle's.
func kickingKernel(d *candles, start int, out []float64, byLength bool) {
	sv1, sv0 := d.total(csShadowVeryShort, start, 1), d.total(csShadowVeryShort, start, 0)
	bl1, bl0 := d.total(csBodyLong, start, 1), d.total(csBodyLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -d.color(i) &&
			d.body(i-1) > bl1.avg(i-1) && d.upper(i-1) < sv1.avg(i-1) && d.lower(i-1) < sv1.avg(i-1) &&
			d.body(i) > bl0.avg(i) && d.upper(i) < sv0.avg(i) && d.lower(i) < sv0.avg(i) &&
			((d.color(i-1) == -1 && d.gapUp(i, i-1)) || (d.color(i-1) == 1 && d.gapDown(i, i-1))) {
			j := i
			if byLength && d.body(i) <= d.body(i-1) {
				j = i - 1
			}
			out[i] = sign100(d.color(j))
		}
		sv1.next(i)
		sv0.next(i)
		bl1.next(i)
		bl0.next(i)
	}
}

func cdlKicking(d *candles, start int, _ float64, out []float64) { kickingKernel(d, start, out, false) }

func cdlKickingByLength(d *candles, start int, _ float64, out []float64) {
	kickingKernel(d, start, out, true)
}

func cdlLadderBottom(d *candles, start int, _ float64, out []float64) {
	sv := d.total(csShadowVeryShort, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-4) == -1 && d.color(i-3) == -1 && d.color(i-2) == -1 &&
			d.o[i-4] > d.o[i-3] && d.o[i-3] > d.o[i-2] && d.c[i-4] > d.c[i-3] && d.c[i-3] > d.c[i-2] &&
			d.color(i-1) == -1 && d.upper(i-1) > sv.avg(i-1) &&
			d.color(i) == 1 && d.o[i] > d.o[i-1] && d.c[i] > d.h[i-1] {
			out[i] = 100
		}
		sv.next(i)
	}
}

func cdlLongLeggedDoji(d *candles, start int, _ float64, out []float64) {
	bd, sl := d.total(csBodyDoji, start, 0), d.total(csShadowLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) <= bd.avg(i) && (d.lower(i) > sl.avg(i) || d.upper(i) > sl.avg(i)) {
			out[i] = 100
		}
		bd.next(i)
		sl.next(i)
	}
}

// lineKernel is one-candle body and shadow tests: the body compared with body's average
// (longer when long, shorter otherwise) and both shadows shorter than shadow's; the output
// is the candle's color.
func lineKernel(d *candles, start int, out []float64, body candleSetting, long bool, shadow candleSetting) {
	bt, st := d.total(body, start, 0), d.total(shadow, start, 0)
	for i := start; i < len(out); i++ {
		bodyOK := d.body(i) < bt.avg(i)
		if long {
			bodyOK = d.body(i) > bt.avg(i)
		}
		if bodyOK && d.upper(i) < st.avg(i) && d.lower(i) < st.avg(i) {
			out[i] = sign100(d.color(i))
		}
		bt.next(i)
		st.next(i)
	}
}

func cdlLongLine(d *candles, start int, _ float64, out []float64) {
	lineKernel(d, start, out, csBodyLong, true, csShadowShort)
}

func cdlMarubozu(d *candles, start int, _ float64, out []float64) {
	lineKernel(d, start, out, csBodyLong, true, csShadowVeryShort)
}

func cdlShortLine(d *candles, start int, _ float64, out []float64) {
	lineKernel(d, start, out, csBodyShort, false, csShadowShort)
}

func cdlMatchingLow(d *candles, start int, _ float64, out []float64) {
	eq := d.total(csEqual, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -1 && d.color(i) == -1 && d.c[i] <= d.c[i-1]+eq.avg(i-1) && d.c[i] >= d.c[i-1]-eq.avg(i-1) {
			out[i] = 100
		}
		eq.next(i)
	}
}

func cdlMatHold(d *candles, start int, pen float64, out []float64) {
	bl4 := d.total(csBodyLong, start, 4)
	bs3, bs2, bs1 := d.total(csBodyShort, start, 3), d.total(csBodyShort, start, 2), d.total(csBodyShort, start, 1)
	for i := start; i < len(out); i++ {
		deep := d.c[i-4] - float64(d.body(i-4)*pen)
		if d.body(i-4) > bl4.avg(i-4) && d.body(i-3) < bs3.avg(i-3) && d.body(i-2) < bs2.avg(i-2) && d.body(i-1) < bs1.avg(i-1) &&
			d.color(i-4) == 1 && d.color(i-3) == -1 && d.color(i) == 1 &&
			d.rbGapUp(i-3, i-4) &&
			d.bodyBottom(i-2) < d.c[i-4] && d.bodyBottom(i-1) < d.c[i-4] &&
			d.bodyBottom(i-2) > deep && d.bodyBottom(i-1) > deep &&
			d.bodyTop(i-2) < d.o[i-3] && d.bodyTop(i-1) < d.bodyTop(i-2) &&
			d.o[i] > d.c[i-1] && d.c[i] > max(d.h[i-3], d.h[i-2], d.h[i-1]) {
			out[i] = 100
		}
		bl4.next(i)
		bs3.next(i)
		bs2.next(i)
		bs1.next(i)
	}
}

func cdlPiercing(d *candles, start int, _ float64, out []float64) {
	bl1, bl0 := d.total(csBodyLong, start, 1), d.total(csBodyLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -1 && d.body(i-1) > bl1.avg(i-1) && d.color(i) == 1 && d.body(i) > bl0.avg(i) &&
			d.o[i] < d.l[i-1] && d.c[i] < d.o[i-1] && d.c[i] > d.c[i-1]+float64(d.body(i-1)*0.5) {
			out[i] = 100
		}
		bl1.next(i)
		bl0.next(i)
	}
}

func cdlRickshawMan(d *candles, start int, _ float64, out []float64) {
	bd, sl, nr := d.total(csBodyDoji, start, 0), d.total(csShadowLong, start, 0), d.total(csNear, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) <= bd.avg(i) && d.lower(i) > sl.avg(i) && d.upper(i) > sl.avg(i) &&
			d.bodyBottom(i) <= d.l[i]+d.hl(i)/2+nr.avg(i) && d.bodyTop(i) >= d.l[i]+d.hl(i)/2-nr.avg(i) {
			out[i] = 100
		}
		bd.next(i)
		sl.next(i)
		nr.next(i)
	}
}

func cdlRiseFall3Methods(d *candles, start int, _ float64, out []float64) {
	bl4, bl0 := d.total(csBodyLong, start, 4), d.total(csBodyLong, start, 0)
	bs3, bs2, bs1 := d.total(csBodyShort, start, 3), d.total(csBodyShort, start, 2), d.total(csBodyShort, start, 1)
	for i := start; i < len(out); i++ {
		c4 := float64(d.color(i - 4))
		if d.body(i-4) > bl4.avg(i-4) && d.body(i-3) < bs3.avg(i-3) && d.body(i-2) < bs2.avg(i-2) &&
			d.body(i-1) < bs1.avg(i-1) && d.body(i) > bl0.avg(i) &&
			d.color(i-4) == -d.color(i-3) && d.color(i-3) == d.color(i-2) && d.color(i-2) == d.color(i-1) && d.color(i-1) == -d.color(i) &&
			d.bodyBottom(i-3) < d.h[i-4] && d.bodyTop(i-3) > d.l[i-4] &&
			d.bodyBottom(i-2) < d.h[i-4] && d.bodyTop(i-2) > d.l[i-4] &&
			d.bodyBottom(i-1) < d.h[i-4] && d.bodyTop(i-1) > d.l[i-4] &&
			d.c[i-2]*c4 < d.c[i-3]*c4 && d.c[i-1]*c4 < d.c[i-2]*c4 &&
			d.o[i]*c4 > d.c[i-1]*c4 && d.c[i]*c4 > d.c[i-4]*c4 {
			out[i] = 100 * c4
		}
		bl4.next(i)
		bs3.next(i)
		bs2.next(i)
		bs1.next(i)
		bl0.next(i)
	}
}

func cdlSeparatingLines(d *candles, start int, _ float64, out []float64) {
	sv, bl, eq := d.total(csShadowVeryShort, start, 0), d.total(csBodyLong, start, 0), d.total(csEqual, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -d.color(i) && d.o[i] <= d.o[i-1]+eq.avg(i-1) && d.o[i] >= d.o[i-1]-eq.avg(i-1) &&
			d.body(i) > bl.avg(i) &&
			((d.color(i) == 1 && d.lower(i) < sv.avg(i)) || (d.color(i) == -1 && d.upper(i) < sv.avg(i))) {
			out[i] = sign100(d.color(i))
		}
		sv.next(i)
		bl.next(i)
		eq.next(i)
	}
}

func cdlSpinningTop(d *candles, start int, _ float64, out []float64) {
	bs := d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) < bs.avg(i) && d.upper(i) > d.body(i) && d.lower(i) > d.body(i) {
			out[i] = sign100(d.color(i))
		}
		bs.next(i)
	}
}

func cdlStalledPattern(d *candles, start int, _ float64, out []float64) {
	bl2, bl1 := d.total(csBodyLong, start, 2), d.total(csBodyLong, start, 1)
	bs := d.total(csBodyShort, start, 0)
	sv1 := d.total(csShadowVeryShort, start, 1)
	nr2, nr1 := d.total(csNear, start, 2), d.total(csNear, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == 1 && d.color(i-1) == 1 && d.color(i) == 1 &&
			d.c[i] > d.c[i-1] && d.c[i-1] > d.c[i-2] &&
			d.body(i-2) > bl2.avg(i-2) && d.body(i-1) > bl1.avg(i-1) && d.upper(i-1) < sv1.avg(i-1) &&
			d.o[i-1] > d.o[i-2] && d.o[i-1] <= d.c[i-2]+nr2.avg(i-2) &&
			d.body(i) < bs.avg(i) && d.o[i] >= d.c[i-1]-d.body(i)-nr1.avg(i-1) {
			out[i] = -100
		}
		bl2.next(i)
		bl1.next(i)
		bs.next(i)
		sv1.next(i)
		nr2.next(i)
		nr1.next(i)
	}
}

func cdlStickSandwich(d *candles, start int, _ float64, out []float64) {
	eq := d.total(csEqual, start, 2)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == -1 && d.color(i-1) == 1 && d.color(i) == -1 && d.l[i-1] > d.c[i-2] &&
			d.c[i] <= d.c[i-2]+eq.avg(i-2) && d.c[i] >= d.c[i-2]-eq.avg(i-2) {
			out[i] = 100
		}
		eq.next(i)
	}
}

func cdlTakuri(d *candles, start int, _ float64, out []float64) {
	bd, sv, svl := d.total(csBodyDoji, start, 0), d.total(csShadowVeryShort, start, 0), d.total(csShadowVeryLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) <= bd.avg(i) && d.upper(i) < sv.avg(i) && d.lower(i) > svl.avg(i) {
			out[i] = 100
		}
		bd.next(i)
		sv.next(i)
		svl.next(i)
	}
}

func cdlTasukiGap(d *candles, start int, _ float64, out []float64) {
	nr := d.total(csNear, start, 1)
	for i := start; i < len(out); i++ {
		near := math.Abs(d.body(i-1)-d.body(i)) < nr.avg(i-1)
		if (d.rbGapUp(i-1, i-2) && d.color(i-1) == 1 && d.color(i) == -1 &&
			d.o[i] < d.c[i-1] && d.o[i] > d.o[i-1] && d.c[i] < d.o[i-1] && d.c[i] > d.bodyTop(i-2) && near) ||
			(d.rbGapDown(i-1, i-2) && d.color(i-1) == -1 && d.color(i) == 1 &&
				d.o[i] < d.o[i-1] && d.o[i] > d.c[i-1] && d.c[i] > d.o[i-1] && d.c[i] < d.bodyBottom(i-2) && near) {
			out[i] = sign100(d.color(i - 1))
		}
		nr.next(i)
	}
}

func cdlTristar(d *candles, start int, _ float64, out []float64) {
	bd := d.total(csBodyDoji, start, 2)
	for i := start; i < len(out); i++ {
		a := bd.avg(i - 2)
		if d.body(i-2) <= a && d.body(i-1) <= a && d.body(i) <= a {
			if d.rbGapUp(i-1, i-2) && d.bodyTop(i) < d.bodyTop(i-1) {
				out[i] = -100
			}
			if d.rbGapDown(i-1, i-2) && d.bodyBottom(i) > d.bodyBottom(i-1) {
				out[i] = 100
			}
		}
		bd.next(i)
	}
}

func cdlUnique3River(d *candles, start int, _ float64, out []float64) {
	bl, bs := d.total(csBodyLong, start, 2), d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i-2) > bl.avg(i-2) && d.color(i-2) == -1 &&
			d.color(i-1) == -1 && d.c[i-1] > d.c[i-2] && d.o[i-1] <= d.o[i-2] && d.l[i-1] < d.l[i-2] &&
			d.body(i) < bs.avg(i) && d.color(i) == 1 && d.o[i] > d.l[i-1] {
			out[i] = 100
		}
		bl.next(i)
		bs.next(i)
	}
}

func cdlUpsideGap2Crows(d *candles, start int, _ float64, out []float64) {
	bl, bs := d.total(csBodyLong, start, 2), d.total(csBodyShort, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == 1 && d.body(i-2) > bl.avg(i-2) &&
			d.color(i-1) == -1 && d.body(i-1) <= bs.avg(i-1) && d.rbGapUp(i-1, i-2) &&
			d.color(i) == -1 && d.o[i] > d.o[i-1] && d.c[i] < d.c[i-1] && d.c[i] > d.c[i-2] {
			out[i] = -100
		}
		bl.next(i)
		bs.next(i)
	}
}

func cdlXSideGap3Methods(d *candles, start int, _ float64, out []float64) {
	for i := start; i < len(out); i++ {
		if d.color(i-2) == d.color(i-1) && d.color(i-1) == -d.color(i) &&
			d.o[i] < d.bodyTop(i-1) && d.o[i] > d.bodyBottom(i-1) &&
			d.c[i] < d.bodyTop(i-2) && d.c[i] > d.bodyBottom(i-2) &&
			((d.color(i-2) == 1 && d.rbGapUp(i-1, i-2)) || (d.color(i-2) == -1 && d.rbGapDown(i-1, i-2))) {
			out[i] = sign100(d.color(i - 2))
		}
	}
}
