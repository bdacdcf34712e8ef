package backtest

import "testing"

// ITB's formulas on a hand-made tape, with its swapped lists.
//
//	row  price  buy  sell   mode  event
//	0    100    T    .      buy   BUY  → shorts: first entry, profit 0          (short #1)
//	1    0      .    T      sell  skipped (price 0)
//	2    110    .    T      sell  SELL → longs: first entry, profit 0           (long #1)
//	3    NaN    T    .      buy   skipped (NaN)
//	4    90     T    T      buy   BUY  (both flags: buy mode takes the buy) → shorts: 100-90 = 10, 10%   (short #2)
//	5    95     T    .      sell  nothing (no sell)
//	6    120    .    T      sell  SELL → longs: 120 - previous SELL 110 = 10, 9.0909…%  (long #2)
//	7    130    T    .      buy   BUY  → shorts: previous BUY 90 - 130 = -40, -44.444…% (short #3)
//	8    125    .    T      sell  SELL → longs: 125 - 120 = 5, 4.1666…%           (long #3)
//	9    140    T    .      buy   BUY  → shorts: 130 - 140 = -10, -7.6923…% (short #4); left open
//
// Correct accounting would give the long round trips 110-100, 120-90, 125-130 instead.
//
// long:  3 transactions, profit 15, %profit 13.2575… → 13.3, 2 profitable → 66.7%,
//
//	profit/T 5.0, %profit/T 4.4191… → 4.4
//
// short: 4 transactions, profit -40, %profit 10 - 44.444 - 7.6923 = -42.1367… → -42.1,
//
//	1 profitable → 25.0%, profit/T -10.0, %profit/T -10.534… → -10.5
func TestITBCompat(t *testing.T) {
	nan := 0.0
	nan = nan / nan
	price := []float64{100, 0, 110, nan, 90, 95, 120, 130, 125, 140}
	buy := []bool{true, false, false, true, true, true, false, true, false, true}
	sell := []bool{false, true, true, false, true, false, true, false, true, false}
	long, short := ITB(price, buy, sell)
	if want := (ITBPerf{3, 15, 13.3, 2, 66.7, 5, 4.4}); long != want {
		t.Errorf("long %+v\nwant %+v", long, want)
	}
	if want := (ITBPerf{4, -40, -42.1, 1, 25, -10, -10.5}); short != want {
		t.Errorf("short %+v\nwant %+v", short, want)
	}
	if l, s := ITB(price, make([]bool, 10), make([]bool, 10)); l != (ITBPerf{}) || s != (ITBPerf{}) {
		t.Errorf("no signals: %+v %+v", l, s)
	}
}
