package signaler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/exchange"
)

const minute = int64(60_000)

// k is a bar opened at minute m whose close is c (other prices equal to it).
func k(m int64, c float64) exchange.Kline {
	s := strconv.FormatFloat(c, 'f', -1, 64)
	return exchange.Kline{OpenTime: m * minute, Fields: [11]string{s, s, s, s, "1", strconv.FormatInt((m+1)*minute-1, 10), "1", "1", "1", "1", "0"}}
}

func bars(ms ...int64) []exchange.Kline {
	out := make([]exchange.Kline, len(ms))
	for i, m := range ms {
		out[i] = k(m, float64(100+m))
	}
	return out
}

// closes returns the window's (open minute, close) pairs.
func closes(w *Window) string {
	var b strings.Builder
	for _, x := range w.bars {
		fmt.Fprintf(&b, "%d:%v ", x.open/minute, x.v[exchange.FieldClose])
	}
	return strings.TrimSpace(b.String())
}

func TestWindowAppend(t *testing.T) {
	tests := []struct {
		name       string
		max        int
		have, add  []exchange.Kline
		want       string
		res        AppendResult
		wantErr    error
		errContain string
	}{
		{name: "cold start", max: 10, add: bars(0, 1, 2), want: "0:100 1:101 2:102", res: AppendResult{New: 3}},
		{name: "overlap overwritten", max: 10, have: bars(0, 1, 2, 3), add: []exchange.Kline{k(2, 7), k(3, 8), k(4, 9)},
			want: "0:100 1:101 2:7 3:8 4:9", res: AppendResult{New: 1, Overwritten: 2, From: 2 * minute}},
		{name: "no overlap keeps every old bar (ITB's edge bug drops one)", max: 10, have: bars(0, 1, 2), add: bars(3, 4),
			want: "0:100 1:101 2:102 3:103 4:104", res: AppendResult{New: 2, From: 3 * minute}},
		{name: "gap before and inside the response", max: 10, have: bars(0, 1), add: bars(3, 4, 7),
			want: "0:100 1:101 3:103 4:104 7:107",
			res:  AppendResult{New: 3, Gaps: []Gap{{From: time.UnixMilli(2 * minute).UTC(), Rows: 1}, {From: time.UnixMilli(5 * minute).UTC(), Rows: 2}}, From: 3 * minute}},
		{name: "a gap inside the re-fetched overlap is not reported again", max: 10, have: bars(0, 1, 3, 4), add: bars(1, 3, 4, 5),
			want: "0:100 1:101 3:103 4:104 5:105", res: AppendResult{New: 1, Overwritten: 3, From: minute}},
		{name: "trimmed to max", max: 3, have: bars(0, 1, 2), add: bars(2, 3, 4), want: "2:102 3:103 4:104", res: AppendResult{New: 2, Overwritten: 1, From: 2 * minute}},
		{name: "only old bars", max: 10, have: bars(0, 1, 2), add: bars(1, 2), want: "0:100 1:101 2:102", res: AppendResult{Overwritten: 2, From: minute}},
		{name: "duplicated bar", max: 10, have: bars(0, 1), add: bars(2, 3, 3, 4), want: "0:100 1:101",
			wantErr: ErrBarOrder, errContain: "bar 3 (open 1970-01-01 00:03:00+00:00) is duplicated after bar 2"},
		{name: "bar out of order", max: 10, have: bars(0, 1), add: bars(2, 4, 3), want: "0:100 1:101",
			wantErr: ErrBarOrder, errContain: "bar 3 (open 1970-01-01 00:03:00+00:00) is out of order after bar 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWindow(time.Minute, tc.max)
			if _, err := w.Append(tc.have); err != nil {
				t.Fatal(err)
			}
			res, err := w.Append(tc.add)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errContain) {
					t.Fatalf("error %v, want %v containing %q", err, tc.wantErr, tc.errContain)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if fmt.Sprint(res) != fmt.Sprint(tc.res) {
				t.Fatalf("result %+v, want %+v", res, tc.res)
			}
			if got := closes(w); got != tc.want {
				t.Fatalf("window %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWindowFrameGrid: the window's frame is the merge step's grid, a missing bar an empty row.
func TestWindowFrameGrid(t *testing.T) {
	w := NewWindow(time.Minute, 10)
	if _, err := w.Append(bars(0, 1, 3)); err != nil {
		t.Fatal(err)
	}
	f, err := w.Frame("", false)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.Col("close")
	if f.Len() != 4 || c[0] != 100 || c[1] != 101 || c[2] == c[2] || c[3] != 103 {
		t.Fatalf("grid %v close %v, want 4 rows with an empty third", f.Time, c)
	}
}

// badFeeder answers like ReplayFeeder, with one bar of its answer sent twice or swapped.
type badFeeder struct {
	*ReplayFeeder
	mode string
	on   bool
}

func (b *badFeeder) Klines(ctx context.Context, since time.Time, limit int) ([]exchange.Kline, error) {
	ks, err := b.ReplayFeeder.Klines(ctx, since, limit)
	if !b.on || len(ks) < 3 {
		return ks, err
	}
	ks = append([]exchange.Kline(nil), ks...)
	switch b.mode {
	case "duplicated":
		ks = append(ks[:2], ks[1:]...)
	case "out of order":
		ks[1], ks[2] = ks[2], ks[1]
	}
	return ks, err
}

// TestTickRefusesBadResponse: a kline response with a bar duplicated or out of order fails the
// tick with ErrBarOrder and leaves the window as it was; the next good answer catches up.
func TestTickRefusesBadResponse(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, 1200)
	saveModels(t, c.ModelPath(), fitModels(t, c, all[:700]))
	for _, mode := range []string{"duplicated", "out of order"} {
		t.Run(mode, func(t *testing.T) {
			rec := &recorder{}
			l, fd := newReplay(t, c, all[700:], rec)
			bad := &badFeeder{ReplayFeeder: fd, mode: mode}
			l.opt.Feeder = bad
			if _, err := l.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk := fd.Clock.(interface{ Advance(time.Duration) })
			clk.Advance(time.Minute)
			before := closes(l.Window())
			bad.on = true
			_, err := l.Tick(context.Background())
			if !errors.Is(err, ErrBarOrder) || !strings.Contains(err.Error(), mode) {
				t.Fatalf("tick error %v, want ErrBarOrder saying %q", err, mode)
			}
			if closes(l.Window()) != before || len(rec.results) != 0 {
				t.Fatal("a refused response changed the window or reached the outputs")
			}
			bad.on = false
			clk.Advance(time.Minute)
			r, err := l.Tick(context.Background())
			if err != nil || r.Rows.Len() != 2 {
				t.Fatalf("next tick: %v, want the 2 bars since the refused one", err)
			}
		})
	}
}

// TestStartRefusesShortWindow: a features_horizon shorter than the recursive indicators'
// warm-up (check.Warmup) is refused at start, naming the columns and the rows they need.
func TestStartRefusesShortWindow(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 100, 60))
	all := realBars(t, 1200)
	saveModels(t, c.ModelPath(), fitModels(t, c, all[:700]))
	l, _ := newReplay(t, c, all[700:], nil)
	_, err := l.Start(context.Background())
	if !errors.Is(err, ErrWindowShort) {
		t.Fatalf("start: %v, want ErrWindowShort", err)
	}
	t.Log(err)
	for _, col := range []string{"column close_EMA_30 needs", "column close_RSI_14 needs", "column high_low_close_ATR_14 needs", "rows of history"} {
		if !strings.Contains(err.Error(), col) {
			t.Errorf("error %q does not name %q", err, col)
		}
	}
	for _, col := range []string{"close_SMA_5", "close_SMA_20"} {
		if strings.Contains(err.Error(), col) {
			t.Errorf("error %q names %s, whose 20-row window is covered", err, col)
		}
	}
}
