package backtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
)

// data_start / data_end (§5 step 2): a date keeps time >= start and < end; a number drops
// that many rows at the start / at the end; null keeps everything.
func TestCutWindow(t *testing.T) {
	f := frame.New([]int64{0, 60_000, 120_000, 180_000, 240_000})
	for _, tc := range []struct {
		start, end string
		first, n   int
	}{
		{`null`, `null`, 0, 5},
		{`0`, `null`, 0, 5},
		{`2`, `1`, 2, 2},
		{`"1970-01-01 00:01:00"`, `"1970-01-01 00:04:00"`, 1, 3},
		{`"1970-01-01 00:01:30+00:00"`, ``, 2, 3},
	} {
		g, err := cutWindow(f, json.RawMessage(tc.start), json.RawMessage(tc.end))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.start, tc.end, err)
		}
		if g.Len() != tc.n || (g.Len() > 0 && g.Time[0] != int64(tc.first)*60_000) {
			t.Errorf("%s..%s: %d rows from %v, want %d from row %d", tc.start, tc.end, g.Len(), g.Time, tc.n, tc.first)
		}
	}
	for _, bad := range []string{`9`, `-1`, `"yesterday"`, `true`} {
		if _, err := cutWindow(f, json.RawMessage(bad), nil); !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), "simulate_model.data_start") {
			t.Errorf("data_start %s: %v", bad, err)
		}
	}
}

// Paper driven one bar at a time (as a paper trader will) gives Run's fills and trades.
func TestPaperStreamsLikeRun(t *testing.T) {
	bars := ohlc([4]float64{100, 101, 99, 100}, [4]float64{101, 103, 100, 102}, [4]float64{102, 104, 95, 96}, [4]float64{96, 99, 95, 98})
	sig := []Signal{B, N, N, S}
	m := Model{FeeBps: 10, SlippageBps: 5, Size: 1, Equity: 1000, StopLoss: 0.05}
	res, err := Run(bars, sig, m)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPaper(m)
	var fills []Execution
	for i := range sig {
		f, err := p.OnBar(bars.At(i), sig[i])
		if err != nil {
			t.Fatal(err)
		}
		fills = append(fills, f...)
	}
	// Bought at bar 1's open (101); the 5% stop (95.95) is hit by bar 2's low (95).
	if len(fills) != 2 || !fills[0].Entry || fills[0].Price != 101 || fills[1].Reason != ExitStopLoss || !near(fills[1].Price, 101*0.95) {
		t.Errorf("fills %+v", fills)
	}
	if tr := p.Trades(); len(tr) != 1 || tr[0] != res.Trades[0] || p.Equity() != res.Equity[3] {
		t.Errorf("paper %+v, run %+v", tr, res.Trades)
	}
}
