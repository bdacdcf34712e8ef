package backtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train/metrics"
)

// Perf holds the performance keys of a signal_models.txt line, in ITB's order. With
// --compat itb they are ITB's numbers; otherwise the same keys with honest meanings:
// profit is the net profit in quote currency after fees and slippage, %profit the total
// return of the equity, %profit/T the mean per-trade return; a position open at the end is
// a transaction marked to market.
type Perf struct {
	Transactions     int     `json:"#transactions"`
	Profit           float64 `json:"profit"`
	PctProfit        float64 `json:"%profit"`
	Profitable       int     `json:"#profitable"`
	PctProfitable    float64 `json:"%profitable"`
	ProfitPerT       float64 `json:"profit/T"`
	PctProfitPerT    float64 `json:"%profit/T"`
	TransactionsPerM float64 `json:"#transactions/M"`
	ProfitPerM       float64 `json:"profit/M"`
	PctProfitPerM    float64 `json:"%profit/M"`
}

// perfKeys are Perf's keys in order, as the signal_models.txt header names them.
var perfKeys = []string{"#transactions", "profit", "%profit", "#profitable", "%profitable", "profit/T", "%profit/T", "#transactions/M", "profit/M", "%profit/M"}

// values formats the Perf values as Python's str() does.
func (p Perf) values() []string {
	f := metrics.PyRepr
	return []string{strconv.Itoa(p.Transactions), f(p.Profit), f(p.PctProfit), strconv.Itoa(p.Profitable), f(p.PctProfitable),
		f(p.ProfitPerT), f(p.PctProfitPerT), f(p.TransactionsPerM), f(p.ProfitPerM), f(p.PctProfitPerM)}
}

// Months is ITB's month count of a span: (last − first) / (365/12 days).
func Months(first, last int64) float64 {
	return float64(last-first) / (365.0 / 12 * 24 * float64(time.Hour/time.Millisecond))
}

// perMonth adds ITB's per-month keys (from the rounded values, as ITB does).
func (p Perf) perMonth(months float64) Perf {
	r := metrics.PyRound
	p.TransactionsPerM = r(float64(p.Transactions)/months, 2)
	p.ProfitPerM = r(p.Profit/months, 2)
	p.PctProfitPerM = r(p.PctProfit/months, 2)
	return p
}

// PerfOf turns a run Summary into the signal_models keys.
func PerfOf(s Summary) Perf {
	r := metrics.PyRound
	p := Perf{Transactions: s.Trades, Profit: r(s.Profit(), 2), PctProfit: r(100*(s.Final/s.Start-1), 1), Profitable: s.Wins}
	if s.Trades > 0 {
		n := float64(s.Trades)
		p.PctProfitable = r(100*float64(s.Wins)/n, 1)
		p.ProfitPerT = r(s.Profit()/n, 2)
		p.PctProfitPerT = r(100*s.SumReturn/n, 1)
	}
	return p.perMonth(Months(s.FirstTime, s.LastTime))
}

func perfOfITB(d ITBPerf, months float64) Perf {
	return Perf{Transactions: d.Transactions, Profit: d.Profit, PctProfit: d.PctProfit, Profitable: d.Profitable,
		PctProfitable: d.PctProfitable, ProfitPerT: d.ProfitPerT, PctProfitPerT: d.PctProfitPerT}.perMonth(months)
}

// Ranked is one evaluated combination.
type Ranked struct {
	Combo   Combo
	Perf    Perf
	Summary Summary // zero with --compat itb
}

// Search evaluates every combination (in parallel over workers; <= 0: one per core) with
// the fill model, or with ITB's formulas when itb is set, and returns them ranked by
// %profit/M, best first (a stable sort: ties keep the grid order, as ITB's does).
func Search(t *Tape, combos []Combo, m Model, itb bool, workers int) ([]Ranked, error) {
	check := t.Check // ITB's formulas read the close only and skip missing ones
	if itb {
		check = t.checkLengths
	}
	if err := check(); err != nil {
		return nil, err
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	out := make([]Ranked, len(combos))
	n := t.Bars.Len()
	if n == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrBars)
	}
	months := Months(t.Bars.Time[0], t.Bars.Time[n-1])
	parallel(len(combos), workers, func() func(i int) {
		if !itb {
			return func(i int) {
				s := Kernel(t, combos[i].Rule, m)
				out[i] = Ranked{Combo: combos[i], Perf: PerfOf(s), Summary: s}
			}
		}
		buy, sell := make([]bool, n), make([]bool, n) // one pair per worker, reused
		return func(i int) {
			combos[i].Rule.flags(t.Score, t.Score2, buy, sell)
			long, short := ITB(t.Bars.Close, buy, sell)
			d := long
			if m.Direction == Short {
				d = short
			}
			out[i] = Ranked{Combo: combos[i], Perf: perfOfITB(d, months)}
		}
	})
	sort.SliceStable(out, func(a, b int) bool { return out[a].Perf.PctProfitPerM > out[b].Perf.PctProfitPerM })
	return out, nil
}

// flags writes ITB's threshold_rule columns (NaN never passes; both may be set).
func (r Rule) flags(score, score2 []float64, buy, sell []bool) {
	for i, x := range score {
		buy[i], sell[i] = x >= r.Buy, x <= r.Sell
		if score2 != nil {
			buy[i] = buy[i] && score2[i] >= r.Buy2
			sell[i] = sell[i] && score2[i] <= r.Sell2
		}
	}
}

// parallel calls the function made by newWorker for every index in [0, n), spread over
// workers goroutines (<= 0: one per core); each goroutine makes its own function once.
func parallel(n, workers int, newWorker func() func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			do := newWorker()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				do(i)
			}
		})
	}
	wg.Wait()
}

// WriteSignalModels appends the ranked lines to path in ITB's format (the header line only
// when the file is new, then one line per model, then a blank line).
func WriteSignalModels(path string, ranked []Ranked) error {
	if len(ranked) == 0 {
		return nil
	}
	var buf bytes.Buffer
	_, err := os.Stat(path)
	isNew := errors.Is(err, os.ErrNotExist)
	if isNew {
		var keys []string
		for _, p := range ranked[0].Combo.Params {
			keys = append(keys, p.Key)
		}
		buf.WriteString(strings.Join(append(keys, perfKeys...), ",") + "\n")
	}
	for _, r := range ranked {
		var vals []string
		for _, p := range r.Combo.Params {
			vals = append(vals, p.String())
		}
		buf.WriteString(strings.Join(append(vals, r.Perf.values()...), ",") + "\n")
	}
	buf.WriteString("\n")
	if isNew {
		return frame.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
	}
	return frame.AppendCSVText(path, buf.Bytes())
}

// rankedJSON is one model in signal_models.json.
type rankedJSON struct {
	Rank       int                 `json:"rank"`
	Parameters map[string]*float64 `json:"parameters"`
	Perf
	Final  *float64 `json:"final_equity,omitempty"`
	Fees   *float64 `json:"fees,omitempty"`
	Expose *float64 `json:"exposure,omitempty"`
}

// WriteSignalModelsJSON writes the ranked models as a JSON list (atomically).
func WriteSignalModelsJSON(path string, ranked []Ranked, itb bool) error {
	out := make([]rankedJSON, len(ranked))
	for i, r := range ranked {
		ps := map[string]*float64{}
		for _, p := range r.Combo.Params {
			if p.None {
				ps[p.Key] = nil
			} else {
				ps[p.Key] = &p.Value
			}
		}
		out[i] = rankedJSON{Rank: i + 1, Parameters: ps, Perf: r.Perf}
		if !itb {
			s := r.Summary
			exp := float64(s.InMarket) / float64(max(1, s.Bars))
			out[i].Final, out[i].Fees, out[i].Expose = &s.Final, &s.Fees, &exp
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return frame.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}
