package features

// The 61 candlestick pattern functions of TA-Lib 0.4.0, ported from ta_func/ta_CDL*.c with
// the same conditions in the same order. Each kernel examines candles start..n-1 (start is
// the lookback) and writes -100/0/+100 (CDLHIKKAKE and CDLHIKKAKEMOD also ±200) into out;
// the period totals move after each candle exactly as in the C loop.

// cdlPatterns is the table of the 61 candlestick functions.
var cdlPatterns = append(append([]cdlPattern(nil), cdlPatterns1...), cdlPatterns2...)

// cdlPatterns1 is the first part of the table, in TA-Lib's alphabetical order.
var cdlPatterns1 = []cdlPattern{
	{name: "CDL2CROWS", lookback: csBodyLong.period + 2, run: cdl2Crows},
	{name: "CDL3BLACKCROWS", lookback: csShadowVeryShort.period + 3, run: cdl3BlackCrows},
	{name: "CDL3INSIDE", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 2, run: cdl3Inside},
	{name: "CDL3LINESTRIKE", lookback: csNear.period + 3, run: cdl3LineStrike},
	{name: "CDL3OUTSIDE", lookback: 3, run: cdl3Outside},
	{name: "CDL3STARSINSOUTH", lookback: maxAvgPeriod(csShadowVeryShort, csShadowLong, csBodyLong, csBodyShort) + 2, run: cdl3StarsInSouth},
	{name: "CDL3WHITESOLDIERS", lookback: maxAvgPeriod(csShadowVeryShort, csBodyShort, csFar, csNear) + 2, run: cdl3WhiteSoldiers},
	{name: "CDLABANDONEDBABY", lookback: maxAvgPeriod(csBodyDoji, csBodyLong, csBodyShort) + 2, pen: 0.3, run: cdlAbandonedBaby},
	{name: "CDLADVANCEBLOCK", lookback: maxAvgPeriod(csShadowLong, csShadowShort, csFar, csNear, csBodyLong) + 2, run: cdlAdvanceBlock},
	{name: "CDLBELTHOLD", lookback: maxAvgPeriod(csBodyLong, csShadowVeryShort), run: cdlBeltHold},
	{name: "CDLBREAKAWAY", lookback: csBodyLong.period + 4, run: cdlBreakaway},
	{name: "CDLCLOSINGMARUBOZU", lookback: maxAvgPeriod(csBodyLong, csShadowVeryShort), run: cdlClosingMarubozu},
	{name: "CDLCONCEALBABYSWALL", lookback: csShadowVeryShort.period + 3, run: cdlConcealBabysWall},
	{name: "CDLCOUNTERATTACK", lookback: maxAvgPeriod(csEqual, csBodyLong) + 1, run: cdlCounterAttack},
	{name: "CDLDARKCLOUDCOVER", lookback: csBodyLong.period + 1, pen: 0.5, run: cdlDarkCloudCover},
	{name: "CDLDOJI", lookback: csBodyDoji.period, run: cdlDoji},
	{name: "CDLDOJISTAR", lookback: maxAvgPeriod(csBodyDoji, csBodyLong) + 1, run: cdlDojiStar},
	{name: "CDLDRAGONFLYDOJI", lookback: maxAvgPeriod(csBodyDoji, csShadowVeryShort), run: cdlDragonflyDoji},
	{name: "CDLENGULFING", lookback: 2, run: cdlEngulfing},
	{name: "CDLEVENINGDOJISTAR", lookback: maxAvgPeriod(csBodyDoji, csBodyLong, csBodyShort) + 2, pen: 0.3, run: cdlEveningDojiStar},
	{name: "CDLEVENINGSTAR", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 2, pen: 0.3, run: cdlEveningStar},
	{name: "CDLMORNINGDOJISTAR", lookback: maxAvgPeriod(csBodyDoji, csBodyLong, csBodyShort) + 2, pen: 0.3, run: cdlMorningDojiStar},
	{name: "CDLMORNINGSTAR", lookback: maxAvgPeriod(csBodyShort, csBodyLong) + 2, pen: 0.3, run: cdlMorningStar},
}

// sign100 is a candle color times 100.
func sign100(color int) float64 { return float64(color * 100) }

func cdl2Crows(d *candles, start int, _ float64, out []float64) {
	bl := d.total(csBodyLong, start, 2)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == 1 && d.body(i-2) > bl.avg(i-2) &&
			d.color(i-1) == -1 && d.rbGapUp(i-1, i-2) &&
			d.color(i) == -1 && d.o[i] < d.o[i-1] && d.o[i] > d.c[i-1] &&
			d.c[i] > d.o[i-2] && d.c[i] < d.c[i-2] {
			out[i] = -100
		}
		bl.next(i)
	}
}

func cdl3BlackCrows(d *candles, start int, _ float64, out []float64) {
	sv2, sv1, sv0 := d.total(csShadowVeryShort, start, 2), d.total(csShadowVeryShort, start, 1), d.total(csShadowVeryShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-3) == 1 && d.color(i-2) == -1 && d.color(i-1) == -1 && d.color(i) == -1 &&
			d.o[i-1] < d.o[i-2] && d.o[i-1] > d.c[i-2] &&
			d.o[i] < d.o[i-1] && d.o[i] > d.c[i-1] &&
			d.h[i-3] > d.c[i-2] && d.c[i-2] > d.c[i-1] && d.c[i-1] > d.c[i] &&
			d.lower(i-2) < sv2.avg(i-2) && d.lower(i-1) < sv1.avg(i-1) && d.lower(i) < sv0.avg(i) {
			out[i] = -100
		}
		sv2.next(i)
		sv1.next(i)
		sv0.next(i)
	}
}

func cdl3Inside(d *candles, start int, _ float64, out []float64) {
	bl, bs := d.total(csBodyLong, start, 2), d.total(csBodyShort, start, 1)
	for i := start; i < len(out); i++ {
		if d.bodyTop(i-1) < d.bodyTop(i-2) && d.bodyBottom(i-1) > d.bodyBottom(i-2) &&
			((d.color(i-2) == 1 && d.color(i) == -1 && d.c[i] < d.o[i-2]) ||
				(d.color(i-2) == -1 && d.color(i) == 1 && d.c[i] > d.o[i-2])) &&
			d.body(i-2) > bl.avg(i-2) && d.body(i-1) <= bs.avg(i-1) {
			out[i] = sign100(-d.color(i - 2))
		}
		bl.next(i)
		bs.next(i)
	}
}

func cdl3LineStrike(d *candles, start int, _ float64, out []float64) {
	n3, n2 := d.total(csNear, start, 3), d.total(csNear, start, 2)
	for i := start; i < len(out); i++ {
		if d.color(i-3) == d.color(i-2) && d.color(i-2) == d.color(i-1) && d.color(i) == -d.color(i-1) &&
			d.o[i-2] >= d.bodyBottom(i-3)-n3.avg(i-3) && d.o[i-2] <= d.bodyTop(i-3)+n3.avg(i-3) &&
			d.o[i-1] >= d.bodyBottom(i-2)-n2.avg(i-2) && d.o[i-1] <= d.bodyTop(i-2)+n2.avg(i-2) &&
			((d.color(i-1) == 1 && d.c[i-1] > d.c[i-2] && d.c[i-2] > d.c[i-3] && d.o[i] > d.c[i-1] && d.c[i] < d.o[i-3]) ||
				(d.color(i-1) == -1 && d.c[i-1] < d.c[i-2] && d.c[i-2] < d.c[i-3] && d.o[i] < d.c[i-1] && d.c[i] > d.o[i-3])) {
			out[i] = sign100(d.color(i - 1))
		}
		n3.next(i)
		n2.next(i)
	}
}

func cdl3Outside(d *candles, start int, _ float64, out []float64) {
	for i := start; i < len(out); i++ {
		if (d.color(i-1) == 1 && d.color(i-2) == -1 && d.c[i-1] > d.o[i-2] && d.o[i-1] < d.c[i-2] && d.c[i] > d.c[i-1]) ||
			(d.color(i-1) == -1 && d.color(i-2) == 1 && d.o[i-1] > d.c[i-2] && d.c[i-1] < d.o[i-2] && d.c[i] < d.c[i-1]) {
			out[i] = sign100(d.color(i - 1))
		}
	}
}

func cdl3StarsInSouth(d *candles, start int, _ float64, out []float64) {
	bl, sl := d.total(csBodyLong, start, 2), d.total(csShadowLong, start, 2)
	sv1, sv0 := d.total(csShadowVeryShort, start, 1), d.total(csShadowVeryShort, start, 0)
	bs := d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == -1 && d.color(i-1) == -1 && d.color(i) == -1 &&
			d.body(i-2) > bl.avg(i-2) && d.lower(i-2) > sl.avg(i-2) &&
			d.body(i-1) < d.body(i-2) && d.o[i-1] > d.c[i-2] && d.o[i-1] <= d.h[i-2] &&
			d.l[i-1] < d.c[i-2] && d.l[i-1] >= d.l[i-2] && d.lower(i-1) > sv1.avg(i-1) &&
			d.body(i) < bs.avg(i) && d.lower(i) < sv0.avg(i) && d.upper(i) < sv0.avg(i) &&
			d.l[i] > d.l[i-1] && d.h[i] < d.h[i-1] {
			out[i] = 100
		}
		bl.next(i)
		sl.next(i)
		sv1.next(i)
		sv0.next(i)
		bs.next(i)
	}
}

func cdl3WhiteSoldiers(d *candles, start int, _ float64, out []float64) {
	sv2, sv1, sv0 := d.total(csShadowVeryShort, start, 2), d.total(csShadowVeryShort, start, 1), d.total(csShadowVeryShort, start, 0)
	n2, n1 := d.total(csNear, start, 2), d.total(csNear, start, 1)
	f2, f1 := d.total(csFar, start, 2), d.total(csFar, start, 1)
	bs := d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == 1 && d.upper(i-2) < sv2.avg(i-2) &&
			d.color(i-1) == 1 && d.upper(i-1) < sv1.avg(i-1) &&
			d.color(i) == 1 && d.upper(i) < sv0.avg(i) &&
			d.c[i] > d.c[i-1] && d.c[i-1] > d.c[i-2] &&
			d.o[i-1] > d.o[i-2] && d.o[i-1] <= d.c[i-2]+n2.avg(i-2) &&
			d.o[i] > d.o[i-1] && d.o[i] <= d.c[i-1]+n1.avg(i-1) &&
			d.body(i-1) > d.body(i-2)-f2.avg(i-2) && d.body(i) > d.body(i-1)-f1.avg(i-1) &&
			d.body(i) > bs.avg(i) {
			out[i] = 100
		}
		sv2.next(i)
		sv1.next(i)
		sv0.next(i)
		f2.next(i)
		n2.next(i)
		f1.next(i)
		n1.next(i)
		bs.next(i)
	}
}

func cdlAbandonedBaby(d *candles, start int, pen float64, out []float64) {
	bl, bd, bs := d.total(csBodyLong, start, 2), d.total(csBodyDoji, start, 1), d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i-2) > bl.avg(i-2) && d.body(i-1) <= bd.avg(i-1) && d.body(i) > bs.avg(i) &&
			((d.color(i-2) == 1 && d.color(i) == -1 && d.c[i] < d.c[i-2]-float64(d.body(i-2)*pen) &&
				d.gapUp(i-1, i-2) && d.gapDown(i, i-1)) ||
				(d.color(i-2) == -1 && d.color(i) == 1 && d.c[i] > d.c[i-2]+float64(d.body(i-2)*pen) &&
					d.gapDown(i-1, i-2) && d.gapUp(i, i-1))) {
			out[i] = sign100(d.color(i))
		}
		bl.next(i)
		bd.next(i)
		bs.next(i)
	}
}

func cdlAdvanceBlock(d *candles, start int, _ float64, out []float64) {
	ss2, ss1, ss0 := d.total(csShadowShort, start, 2), d.total(csShadowShort, start, 1), d.total(csShadowShort, start, 0)
	sl0 := d.total(csShadowLong, start, 0)
	n2, n1 := d.total(csNear, start, 2), d.total(csNear, start, 1)
	f2, f1 := d.total(csFar, start, 2), d.total(csFar, start, 1)
	bl := d.total(csBodyLong, start, 2)
	for i := start; i < len(out); i++ {
		if d.color(i-2) == 1 && d.color(i-1) == 1 && d.color(i) == 1 &&
			d.c[i] > d.c[i-1] && d.c[i-1] > d.c[i-2] &&
			d.o[i-1] > d.o[i-2] && d.o[i-1] <= d.c[i-2]+n2.avg(i-2) &&
			d.o[i] > d.o[i-1] && d.o[i] <= d.c[i-1]+n1.avg(i-1) &&
			d.body(i-2) > bl.avg(i-2) && d.upper(i-2) < ss2.avg(i-2) &&
			((d.body(i-1) < d.body(i-2)-f2.avg(i-2) && d.body(i) < d.body(i-1)+n1.avg(i-1)) ||
				d.body(i) < d.body(i-1)-f1.avg(i-1) ||
				(d.body(i) < d.body(i-1) && d.body(i-1) < d.body(i-2) && (d.upper(i) > ss0.avg(i) || d.upper(i-1) > ss1.avg(i-1))) ||
				(d.body(i) < d.body(i-1) && d.upper(i) > sl0.avg(i))) {
			out[i] = -100
		}
		ss2.next(i)
		ss1.next(i)
		ss0.next(i)
		sl0.next(i)
		f2.next(i)
		n2.next(i)
		f1.next(i)
		n1.next(i)
		bl.next(i)
	}
}

func cdlBeltHold(d *candles, start int, _ float64, out []float64) {
	bl, sv := d.total(csBodyLong, start, 0), d.total(csShadowVeryShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) > bl.avg(i) &&
			((d.color(i) == 1 && d.lower(i) < sv.avg(i)) || (d.color(i) == -1 && d.upper(i) < sv.avg(i))) {
			out[i] = sign100(d.color(i))
		}
		bl.next(i)
		sv.next(i)
	}
}

func cdlBreakaway(d *candles, start int, _ float64, out []float64) {
	bl := d.total(csBodyLong, start, 4)
	for i := start; i < len(out); i++ {
		if d.color(i-4) == d.color(i-3) && d.color(i-3) == d.color(i-1) && d.color(i-1) == -d.color(i) &&
			d.body(i-4) > bl.avg(i-4) &&
			((d.color(i-4) == -1 && d.rbGapDown(i-3, i-4) && d.h[i-2] < d.h[i-3] && d.l[i-2] < d.l[i-3] &&
				d.h[i-1] < d.h[i-2] && d.l[i-1] < d.l[i-2] && d.c[i] > d.o[i-3] && d.c[i] < d.c[i-4]) ||
				(d.color(i-4) == 1 && d.rbGapUp(i-3, i-4) && d.h[i-2] > d.h[i-3] && d.l[i-2] > d.l[i-3] &&
					d.h[i-1] > d.h[i-2] && d.l[i-1] > d.l[i-2] && d.c[i] < d.o[i-3] && d.c[i] > d.c[i-4])) {
			out[i] = sign100(d.color(i))
		}
		bl.next(i)
	}
}

func cdlClosingMarubozu(d *candles, start int, _ float64, out []float64) {
	bl, sv := d.total(csBodyLong, start, 0), d.total(csShadowVeryShort, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) > bl.avg(i) &&
			((d.color(i) == 1 && d.upper(i) < sv.avg(i)) || (d.color(i) == -1 && d.lower(i) < sv.avg(i))) {
			out[i] = sign100(d.color(i))
		}
		bl.next(i)
		sv.next(i)
	}
}

func cdlConcealBabysWall(d *candles, start int, _ float64, out []float64) {
	sv3, sv2, sv1 := d.total(csShadowVeryShort, start, 3), d.total(csShadowVeryShort, start, 2), d.total(csShadowVeryShort, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-3) == -1 && d.color(i-2) == -1 && d.color(i-1) == -1 && d.color(i) == -1 &&
			d.lower(i-3) < sv3.avg(i-3) && d.upper(i-3) < sv3.avg(i-3) &&
			d.lower(i-2) < sv2.avg(i-2) && d.upper(i-2) < sv2.avg(i-2) &&
			d.rbGapDown(i-1, i-2) && d.upper(i-1) > sv1.avg(i-1) && d.h[i-1] > d.c[i-2] &&
			d.h[i] > d.h[i-1] && d.l[i] < d.l[i-1] {
			out[i] = 100
		}
		sv3.next(i)
		sv2.next(i)
		sv1.next(i)
	}
}

func cdlCounterAttack(d *candles, start int, _ float64, out []float64) {
	eq := d.total(csEqual, start, 1)
	bl1, bl0 := d.total(csBodyLong, start, 1), d.total(csBodyLong, start, 0)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == -d.color(i) && d.body(i-1) > bl1.avg(i-1) && d.body(i) > bl0.avg(i) &&
			d.c[i] <= d.c[i-1]+eq.avg(i-1) && d.c[i] >= d.c[i-1]-eq.avg(i-1) {
			out[i] = sign100(d.color(i))
		}
		eq.next(i)
		bl1.next(i)
		bl0.next(i)
	}
}

func cdlDarkCloudCover(d *candles, start int, pen float64, out []float64) {
	bl := d.total(csBodyLong, start, 1)
	for i := start; i < len(out); i++ {
		if d.color(i-1) == 1 && d.body(i-1) > bl.avg(i-1) && d.color(i) == -1 &&
			d.o[i] > d.h[i-1] && d.c[i] > d.o[i-1] && d.c[i] < d.c[i-1]-float64(d.body(i-1)*pen) {
			out[i] = -100
		}
		bl.next(i)
	}
}

func cdlDoji(d *candles, start int, _ float64, out []float64) {
	bd := d.total(csBodyDoji, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i) <= bd.avg(i) {
			out[i] = 100
		}
		bd.next(i)
	}
}

func cdlDojiStar(d *candles, start int, _ float64, out []float64) {
	bl, bd := d.total(csBodyLong, start, 1), d.total(csBodyDoji, start, 0)
	for i := start; i < len(out); i++ {
		if d.body(i-1) > bl.avg(i-1) && d.body(i) <= bd.avg(i) &&
			((d.color(i-1) == 1 && d.rbGapUp(i, i-1)) || (d.color(i-1) == -1 && d.rbGapDown(i, i-1))) {
			out[i] = sign100(-d.color(i - 1))
		}
		bl.next(i)
		bd.next(i)
	}
}

// oneShadowDoji is the dragonfly (long lower shadow) and gravestone (long upper shadow) doji:
// a doji body, the other shadow very short, the named one not very short.
func oneShadowDoji(d *candles, start int, out []float64, upperLong bool) {
	bd, sv := d.total(csBodyDoji, start, 0), d.total(csShadowVeryShort, start, 0)
	for i := start; i < len(out); i++ {
		short, long := d.upper(i), d.lower(i)
		if upperLong {
			short, long = long, short
		}
		if d.body(i) <= bd.avg(i) && short < sv.avg(i) && long > sv.avg(i) {
			out[i] = 100
		}
		bd.next(i)
		sv.next(i)
	}
}

func cdlDragonflyDoji(d *candles, start int, _ float64, out []float64) {
	oneShadowDoji(d, start, out, false)
}

// cdlEngulfing is the engulfing of TA-Lib C as checked (talib-web, TA-Lib's SVN sources):
// ±100 when the second real body engulfs the first strictly, ±80 when the two bodies match on
// one end (TA-Lib built from older sources may give 0 there).
func cdlEngulfing(d *candles, start int, _ float64, out []float64) {
	for i := start; i < len(out); i++ {
		if (d.color(i) == 1 && d.color(i-1) == -1 &&
			((d.c[i] >= d.o[i-1] && d.o[i] < d.c[i-1]) || (d.c[i] > d.o[i-1] && d.o[i] <= d.c[i-1]))) ||
			(d.color(i) == -1 && d.color(i-1) == 1 &&
				((d.o[i] >= d.c[i-1] && d.c[i] < d.o[i-1]) || (d.o[i] > d.c[i-1] && d.c[i] <= d.o[i-1]))) {
			if d.o[i] != d.c[i-1] && d.c[i] != d.o[i-1] {
				out[i] = sign100(d.color(i))
			} else {
				out[i] = float64(d.color(i) * 80)
			}
		}
	}
}

// starKernel is the evening (color -1) and morning (color 1) star and doji star: a long
// candle, a star whose body (doji or short, by the star setting) gaps away, and a third
// candle of the other color, not short, closing well within the first body.
func starKernel(d *candles, start int, pen float64, out []float64, color int, star candleSetting) {
	bl, bs, bs2 := d.total(csBodyLong, start, 2), d.total(star, start, 1), d.total(csBodyShort, start, 0)
	for i := start; i < len(out); i++ {
		gap, within := d.rbGapUp(i-1, i-2), d.c[i] < d.c[i-2]-float64(d.body(i-2)*pen)
		if color == 1 {
			gap, within = d.rbGapDown(i-1, i-2), d.c[i] > d.c[i-2]+float64(d.body(i-2)*pen)
		}
		if d.color(i-2) == -color && d.color(i) == color && gap && within &&
			d.body(i-2) > bl.avg(i-2) && d.body(i-1) <= bs.avg(i-1) && d.body(i) > bs2.avg(i) {
			out[i] = sign100(color)
		}
		bl.next(i)
		bs.next(i)
		bs2.next(i)
	}
}

func cdlEveningDojiStar(d *candles, start int, pen float64, out []float64) {
	starKernel(d, start, pen, out, -1, csBodyDoji)
}

func cdlEveningStar(d *candles, start int, pen float64, out []float64) {
	starKernel(d, start, pen, out, -1, csBodyShort)
}

func cdlMorningDojiStar(d *candles, start int, pen float64, out []float64) {
	starKernel(d, start, pen, out, 1, csBodyDoji)
}

func cdlMorningStar(d *candles, start int, pen float64, out []float64) {
	starKernel(d, start, pen, out, 1, csBodyShort)
}
