package service

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"testing"
	"time"
)

// This file holds the test's own reading of ITB's score notification rules
// (itb-behaviour.md §7.3), written from the text, not from signaler/scores.

// refBand is one band of the sample config as §7.3 reads it.
type refBand struct {
	edge      float64
	frequency int
	sign      string
	bold      bool
	text      string
}

// The sample config's bands (testdata/configs/config-sample-1min.jsonc), written out again.
var (
	refPositive = []refBand{
		{0.015, 2, "〉〉〉📈", true, "BUY ZONE"},
		{0.01, 5, "〉〉", false, "strong"},
		{0.005, 10, "〉", false, "weak"},
	}
	refNegative = []refBand{
		{-0.005, 10, "〈", false, "weak"},
		{-0.01, 5, "〈〈", false, "strong"},
		{-0.015, 2, "〈〈〈📉", true, "SELL ZONE"},
	}
)

// refFindBand: positive bands by edge descending, the first with score >= edge, numbered
// len−index; else negative bands by edge ascending, the first with score < edge, numbered
// −(len−index); else 0.
func refFindBand(score float64) (int, *refBand) {
	pos := append([]refBand(nil), refPositive...)
	sort.Slice(pos, func(i, j int) bool { return pos[i].edge > pos[j].edge })
	for i := range pos {
		if score >= pos[i].edge {
			return len(pos) - i, &pos[i]
		}
	}
	neg := append([]refBand(nil), refNegative...)
	sort.Slice(neg, func(i, j int) bool { return neg[i].edge < neg[j].edge })
	for i := range neg {
		if score < neg[i].edge {
			return -(len(neg) - i), &neg[i]
		}
	}
	return 0, nil
}

// refMessage is one expected score notification.
type refMessage struct {
	Bar  time.Time // the bar's open time
	Text string    // what the user sees
	Bold bool
}

// refNotifications applies §7.3 to the batch run's bars with open times in [from, to], the
// previous band unknown before the first (notify_band_up and notify_band_dn are on).
func refNotifications(t testing.TB, w *world, from, to time.Time) []refMessage {
	t.Helper()
	score, err := w.batch.Col("trade_score")
	if err != nil {
		t.Fatal(err)
	}
	closes, err := w.batch.Col("close")
	if err != nil {
		t.Fatal(err)
	}
	var out []refMessage
	var prev int
	first := true
	for i, ms := range w.batch.Time {
		open := time.UnixMilli(ms).UTC()
		if open.Before(from) || open.After(to) {
			continue
		}
		s := score[i]
		if math.IsNaN(s) {
			t.Fatalf("batch score of %s is NaN", open)
		}
		no, band := refFindBand(s)
		up, dn := true, true
		if !first {
			up, dn = iabs(no) > iabs(prev), iabs(no) < iabs(prev)
		}
		first, prev = false, no
		closeTime := open.Add(time.Minute)
		onTime := band != nil && band.frequency != 0 && closeTime.Minute()%band.frequency == 0
		if !up && !dn && !onTime {
			continue
		}
		arrow := ""
		if up {
			arrow = "↑"
		} else if dn {
			arrow = "↓"
		}
		primary := fmt.Sprintf("%+.2f %s ", s, arrow)
		secondary := ""
		body := fmt.Sprintf("₿ %s Indicator: %s %s ", commas(int64(closes[i])), primary, secondary)
		m := refMessage{Bar: open}
		if band == nil {
			m.Text = body + "1min"
		} else {
			m.Text = band.sign + " " + body + band.text + " 1min"
			m.Bold = band.bold
		}
		out = append(out, m)
	}
	return out
}

// commas is Python's "{:,}" for a non-negative integer.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func iabs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestRefFindBand(t *testing.T) {
	// §7.3's 1min examples, plus the edges (>= on the positive side, strict < on the negative).
	for _, tc := range []struct {
		score float64
		want  int
	}{{0.02, 3}, {0.012, 2}, {0.006, 1}, {0.001, 0}, {-0.007, -1}, {-0.02, -3},
		{0.015, 3}, {0.005, 1}, {-0.005, 0}, {-0.015, -2}, {-0.0150001, -3}} {
		if got, _ := refFindBand(tc.score); got != tc.want {
			t.Errorf("refFindBand(%v) = %d, want %d", tc.score, got, tc.want)
		}
	}
	if got := commas(74896); got != "74,896" {
		t.Fatalf("commas: %q", got)
	}
}
