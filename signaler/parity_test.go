package signaler

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tradectl/tradectl/check"
	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/sharedtest"
)

const day = 1440

// TestParityReplayDay replays a real day (BTCUSDT 1m) through the online loop, with models
// fitted on the two days before, and checks every tick's new row against features -> predict
// -> signals run in batch over all three days: every feature (EMA, RSI, ATR, SMA), both
// scores and the signals equal to 1e-9 relative. 2023-03-24 holds Binance's trading halt: 80
// bars missing (12:40-13:59), empty grid rows for the batch and the window alike.
func TestParityReplayDay(t *testing.T) {
	tests := []struct {
		name, file string
		first      int // the day's first bar in the file (the file starts on January 1)
		missing    int
	}{
		{"2024-01-03", "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", 2 * day, 0},
		{"2023-03-24 halt", "BTCUSDT-1m-2023.csv.gz", 82 * day, 80},
	}
	for _, tc := range tests {
		if testing.Short() && tc.missing > 0 {
			continue // the 2023 case reads 83 days of the file
		}
		t.Run(tc.name, func(t *testing.T) {
			parityDay(t, tc.file, tc.first, tc.missing)
		})
	}
}

func parityDay(t *testing.T, file string, first, missing int) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	raw := sharedtest.ReadKlines(t, file, first+day-missing)
	bars := make([]exchange.Kline, 0, 3*day)
	for _, k := range raw[first-2*day:] {
		bars = append(bars, exchange.Kline{OpenTime: k.OpenTime, Fields: k.Fields})
	}
	if got := time.UnixMilli(bars[len(bars)-1].OpenTime).UTC(); got.Hour() != 23 || got.Minute() != 59 {
		t.Fatalf("the last bar read is %s, not the day's last", got)
	}
	models := fitModels(t, c, bars[:2*day])
	saveModels(t, c.ModelPath(), models)
	w := c.PredictLength + c.FeaturesHorizon
	replay := bars[2*day-w:] // cold-start history, then one tick per bar of the day
	ticks := day - missing

	rec := &recorder{}
	l, _ := newReplay(t, c, replay, rec)
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.results) != ticks {
		t.Fatalf("%d ticks with new rows, want one per bar of the day (%d)", len(rec.results), ticks)
	}
	if rec.trades != ticks {
		t.Fatalf("trader got %d ticks, want %d", rec.trades, ticks)
	}
	var gaps []Gap
	for _, r := range rec.results {
		gaps = append(gaps, r.Gaps...)
	}
	if missing > 0 && (len(gaps) != 1 || gaps[0].Rows != missing) {
		t.Fatalf("gaps %v, want one of %d bars", gaps, missing)
	}

	batch := batchRun(t, c, bars, models)
	row := map[int64]int{}
	for i, ts := range batch.Time {
		row[ts] = i
	}
	// Every column but the kline columns no feature reads (close_time, quote_av, ...).
	var cols []string
	for _, name := range batch.Names() {
		if !slices.Contains(exchange.FieldNames[exchange.FieldCloseTime:], name) {
			cols = append(cols, name)
		}
	}
	if len(cols) != 5+6+2+4 {
		t.Fatalf("compared columns %v, want OHLCV, 6 features, 2 scores, 4 signals", cols)
	}
	buys, sells, checked := 0, 0, 0
	for k, r := range rec.results {
		if r.Rows.Len() != 1 {
			t.Fatalf("tick %d: %d new rows, want 1", k, r.Rows.Len())
		}
		ts := r.Rows.Time[0]
		if want := bars[2*day+k].OpenTime; ts != want {
			t.Fatalf("tick %d: row %s, want %s", k, frame.FormatTime(ts), frame.FormatTime(want))
		}
		i := row[ts]
		for _, name := range cols {
			want, _ := batch.Col(name)
			got, err := r.Rows.Col(name)
			if err != nil {
				t.Fatalf("tick %d: %v", k, err)
			}
			if !check.Equal(want[i], got[0], 1e-9) {
				t.Fatalf("tick %d (%s) column %s: online %v, batch %v", k, frame.FormatTime(ts), name, got[0], want[i])
			}
			checked++
		}
		buy, _ := r.Rows.Col("buy")
		sell, _ := r.Rows.Col("sell")
		buys += int(buy[0])
		sells += int(sell[0])
	}
	// The comparison must have covered real model output and both signals.
	if buys+sells == 0 || (missing == 0 && (buys == 0 || sells == 0)) {
		t.Fatalf("the day gave %d buy and %d sell signals: the config does not exercise the signals", buys, sells)
	}
	t.Logf("%d ticks, %d values equal to batch, %d buy and %d sell signals", len(rec.results), checked, buys, sells)
}
