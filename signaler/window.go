// Package signaler is the online side of tradectl (`tradectl signal serve|once`, ITB's
// service/server.py, itb-behaviour.md §7.1–7.2): a bounded in-memory window of closed bars fed
// by a Feeder, over which every tick runs the batch code (merge, features, train.Score,
// signals) and hands the new rows to an Output and a Trader. It reimplements none of that code.
package signaler

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tradectl/tradectl/internal/exchange"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/merge"
)

// ErrBarOrder is returned for a kline response holding a bar that is not strictly after the
// previous one (out of order or duplicated); the window is left unchanged.
var ErrBarOrder = errors.New("kline response out of order")

// Gap is a run of missing bars: Rows bars from From (open time) on are absent.
type Gap struct {
	From time.Time
	Rows int
}

func (g Gap) String() string {
	return fmt.Sprintf("%d bar(s) from %s", g.Rows, g.From.UTC().Format("2006-01-02 15:04:05"))
}

// AppendResult says what Append did.
type AppendResult struct {
	// New counts bars later than the window's previous last bar.
	New int
	// Overwritten counts stored bars replaced by the response (the overlap).
	Overwritten int
	// Gaps lists bars missing after the previous last bar: before the response's first new bar
	// and between its new bars.
	Gaps []Gap
	// From is the open time (ms) of the first bar of the response: rows from it on changed.
	From int64
}

// bar is one closed kline with its fields parsed once.
type bar struct {
	open int64
	v    [len(exchange.FieldNames)]float64
}

// Window is ITB's bounded in-memory data frame (§7.2): the last closed bars, at most Max of
// them, appended tick by tick with the overlap overwritten. It is not safe for concurrent use.
type Window struct {
	step int64 // bar length, ms
	max  int
	bars []bar
}

// NewWindow returns an empty window of bars of length freq keeping at most max bars.
func NewWindow(freq time.Duration, max int) *Window {
	return &Window{step: freq.Milliseconds(), max: max}
}

// Len is the number of bars held.
func (w *Window) Len() int { return len(w.bars) }

// Max is the largest number of bars the window keeps.
func (w *Window) Max() int { return w.max }

// Last returns the open time of the last bar, or false when the window is empty.
func (w *Window) Last() (time.Time, bool) {
	if len(w.bars) == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(w.bars[len(w.bars)-1].open).UTC(), true
}

// CheckOrder returns ErrBarOrder naming the first bar of ks that is not strictly after the one
// before it (a duplicate or a bar out of order), as a kline response must never hold.
func CheckOrder(ks []exchange.Kline) error {
	for i := 1; i < len(ks); i++ {
		if d := ks[i].OpenTime - ks[i-1].OpenTime; d <= 0 {
			what := "duplicated"
			if d < 0 {
				what = "out of order"
			}
			return fmt.Errorf("%w: bar %d (open %s) is %s after bar %d (open %s)", ErrBarOrder,
				i+1, frame.FormatTime(ks[i].OpenTime), what, i, frame.FormatTime(ks[i-1].OpenTime))
		}
	}
	return nil
}

// Append adds closed bars (ascending, as CheckOrder requires) to the window: stored bars at or
// after the first new open time are replaced by the new ones (the overlap is overwritten; no
// earlier bar is dropped, unlike ITB's edge bug), then only the last Max bars are kept. On an
// error nothing changes.
func (w *Window) Append(ks []exchange.Kline) (AppendResult, error) {
	var res AppendResult
	if len(ks) == 0 {
		return res, nil
	}
	if err := CheckOrder(ks); err != nil {
		return res, err
	}
	nb := make([]bar, len(ks))
	for i, k := range ks {
		b, err := parseBar(k)
		if err != nil {
			return res, err
		}
		nb[i] = b
	}
	first := nb[0].open
	res.From = first
	keep := len(w.bars)
	for keep > 0 && w.bars[keep-1].open >= first {
		keep--
	}
	prevLast := int64(-1 << 62)
	if len(w.bars) > 0 {
		prevLast = w.bars[len(w.bars)-1].open
	}
	res.Overwritten = len(w.bars) - keep
	for _, b := range nb {
		if b.open > prevLast {
			res.New++
		}
	}
	prev, hasPrev := int64(0), keep > 0
	if hasPrev {
		prev = w.bars[keep-1].open
	}
	for _, b := range nb {
		// A gap is reported once: when it is first seen after the previous last bar (a re-fetched
		// overlap shows gaps already reported).
		if missing := (b.open-prev)/w.step - 1; hasPrev && missing > 0 && b.open > prevLast {
			res.Gaps = append(res.Gaps, Gap{From: time.UnixMilli(prev + w.step).UTC(), Rows: int(missing)})
		}
		prev, hasPrev = b.open, true
	}
	w.bars = append(w.bars[:keep], nb...)
	if extra := len(w.bars) - w.max; extra > 0 {
		w.bars = append(w.bars[:0], w.bars[extra:]...)
	}
	return res, nil
}

// parseBar parses the numeric fields of a kline as klines.csv readers do.
func parseBar(k exchange.Kline) (bar, error) {
	b := bar{open: k.OpenTime}
	for j, s := range k.Fields {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return b, fmt.Errorf("kline %s: column %s: %q is not a number", frame.FormatTime(k.OpenTime), exchange.FieldNames[j], s)
		}
		b.v[j] = v
	}
	return b, nil
}

// Frame returns the window as the merge step makes data.csv from klines.csv: one regular grid
// at the window's freq from the first to the last bar (missing bars are empty rows, or
// interpolated with interpolate), columns renamed with prefix. With keep set, only the kline
// columns it names (before the prefix) are built, besides open, high, low, close and volume.
func (w *Window) Frame(prefix string, interpolate bool, keep ...string) (*frame.Frame, error) {
	if len(w.bars) == 0 {
		return nil, errors.New("window: no bars")
	}
	times := make([]int64, len(w.bars))
	for i, b := range w.bars {
		times[i] = b.open
	}
	src := frame.New(times)
	for j, name := range exchange.FieldNames {
		if len(keep) > 0 && j > exchange.FieldVolume && !slices.Contains(keep, name) {
			continue
		}
		col := make([]float64, len(w.bars))
		for i := range w.bars {
			col[i] = w.bars[i].v[j]
		}
		kind := frame.Float
		if j == exchange.FieldCloseTime || j == exchange.FieldTrades || j == exchange.FieldIgnore {
			kind = frame.Int
		}
		if err := src.Set(name, kind, col); err != nil {
			return nil, err
		}
	}
	f, _, err := merge.Merge([]merge.Source{{Name: "window", Path: "window", Frame: src, Prefix: prefix, Klines: true}},
		merge.Options{Freq: time.Duration(w.step) * time.Millisecond, Interpolate: interpolate})
	return f, err
}
