package backtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train/metrics"
)

// ErrChoice is returned when --buy/--sell name no combination of the grid.
var ErrChoice = errors.New("no such combination")

// Choose finds the combination with the given buy (and sell, when withSell) threshold.
func Choose(combos []Combo, buy, sell float64, withSell bool) (Combo, error) {
	for _, c := range combos {
		if c.Rule.Buy == buy && (!withSell || c.Rule.Sell == sell) {
			return c, nil
		}
	}
	return Combo{}, fmt.Errorf("%w: buy %v sell %v is not in the grid", ErrChoice, buy, sell)
}

// ReportInput is what WriteReport needs.
type ReportInput struct {
	Setup  *Setup
	Input  *Input
	Ranked []Ranked
	Chosen Combo
	// Metric is the heatmap's metric (a signal_models key).
	Metric string
}

// WriteReport backtests the chosen combination with the fill model and writes report.json,
// trades.csv, price.png, equity.png and heatmap.png to dir.
func WriteReport(dir string, ri ReportInput) (*Report, error) {
	if _, err := metricOf(ri.Metric); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	t := ri.Input.Tape
	sig := ri.Chosen.Rule.Signals(t.Score, t.Score2)
	m := ri.Setup.Model
	if ri.Setup.ITB {
		// ITB's numbers have no costs and fill at the close: the report's backtest does the
		// same so that the two can be compared, with correct accounting.
		m.FeeBps, m.SlippageBps, m.Fill, m.StopLoss, m.TakeProfit = 0, 0, Close, 0, 0
	}
	res, err := Run(t.Bars, sig, m)
	if err != nil {
		return nil, err
	}
	rep := NewReport(t.Bars, res)
	rep.Params, rep.Parameters = paramString(ri.Chosen.Params)
	rep.Confusion = confusions(ri.Setup.Labels, ri.Input.Labels, sig)
	for _, r := range ri.Ranked {
		if ri.Setup.ITB && sameCombo(r.Combo, ri.Chosen) {
			p := r.Perf
			rep.ITB = &p
		}
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s, %s, %s fills, fees %g bps", rep.Params, m.Direction, m.Fill, m.FeeBps)
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.json", func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err }},
		{"trades.csv", func(w io.Writer) error { return writeTrades(w, res.Trades) }},
		{"price.png", func(w io.Writer) error { return PricePNG(w, t.Bars, res.Trades, "price and trades: "+title) }},
		{"equity.png", func(w io.Writer) error {
			return EquityPNG(w, t.Bars, res.Equity, m.Equity, fmt.Sprintf("equity %+.1f%% vs buy and hold %+.1f%%: %s", float64(rep.NetProfitPct), float64(rep.BuyHold.ProfitPct), title))
		}},
		{"heatmap.png", func(w io.Writer) error { return HeatmapPNG(w, ri.Ranked, ri.Chosen, ri.Metric) }},
	}
	for _, f := range files {
		if err := frame.WriteAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, f.name), err)
		}
		rep.Files = append(rep.Files, f.name)
	}
	return rep, nil
}

func sameCombo(a, b Combo) bool {
	if len(a.Params) != len(b.Params) {
		return false
	}
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			return false
		}
	}
	return true
}

// confusions compares the buy signal with the first label and the sell signal with the
// second (ITB's label order: the "up" label, then the "down" label), where present.
func confusions(names []string, labels map[string][]float64, sig []Signal) []Confusion {
	var out []Confusion
	for k, side := range []Signal{Buy, Sell} {
		if k >= len(names) {
			break
		}
		lab, ok := labels[names[k]]
		if !ok {
			continue
		}
		flags := make([]bool, len(sig))
		for i, s := range sig {
			flags[i] = s == side
		}
		name := "buy"
		if side == Sell {
			name = "sell"
		}
		out = append(out, ConfusionOf(name, names[k], flags, lab))
	}
	return out
}

// writeTrades writes one CSV row per trade.
func writeTrades(w io.Writer, trades []Trade) error {
	var b bytes.Buffer
	b.WriteString("direction,entry_time,entry_price,exit_time,exit_price,qty,committed,fees,pnl,return_pct,exit_reason,equity_after\n")
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, t := range trades {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", t.Direction, frame.FormatTime(t.EntryTime), f(t.EntryPrice),
			frame.FormatTime(t.ExitTime), f(t.ExitPrice), f(t.Qty), f(metrics.PyRound(t.Committed, 8)), f(metrics.PyRound(t.Fees, 8)),
			f(metrics.PyRound(t.PnL, 8)), f(metrics.PyRound(100*t.Return, 6)), t.Reason, f(metrics.PyRound(t.EquityAt, 8)))
	}
	_, err := w.Write(b.Bytes())
	return err
}
