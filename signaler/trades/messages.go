package trades

import (
	"fmt"
	"math"
	"slices"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
)

// TransactionMessage is ITB's message for one fill: "⚡💰 *BOUGHT:  Profit: 1.23% 4.5600₮*"
// (or SOLD), the same text with ITB's double space, sent bold in HTML.
//
// Where it differs from ITB: ITB's profit is the price difference to the previous
// transaction (a fee-free round trip in whichever direction it closes, so every transaction
// shows one), and its percentage is that difference over the previous price. Here a fill is
// priced by the fill model (backtest.Paper: fees, slippage, next-open or close fills, stops):
// an exit shows the round trip's net profit in quote currency after both fees, and its
// percentage of the quote committed at entry; an entry closes nothing and shows 0.
func TransactionMessage(f state.PaperFill) notify.Rich {
	verb := "SOLD"
	if f.Side == "BUY" {
		verb = "BOUGHT"
	}
	return notify.Rich{{Text: "⚡💰 "}, {Text: fmt.Sprintf("%s:  Profit: %.2f%% %.4f₮", verb, f.ProfitPct, f.Profit), Bold: true}}
}

// Stats are the 4-week statistics of the round trips' profit percentages.
type Stats struct {
	Count                               int
	Mean, Std, Min, Median, Max, SumPct float64
}

// StatsOf computes ITB's statistics (pandas describe: the sample std, NaN below two values)
// of the exits' ProfitPct among fills.
func StatsOf(fills []state.PaperFill) Stats {
	var v []float64
	for _, f := range fills {
		if !f.Entry {
			v = append(v, f.ProfitPct)
		}
	}
	s := Stats{Count: len(v), Mean: math.NaN(), Std: math.NaN(), Min: math.NaN(), Median: math.NaN(), Max: math.NaN()}
	if len(v) == 0 {
		s.SumPct = 0
		return s
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	s.Mean = sum / float64(len(v))
	s.SumPct = float64(len(v)) * s.Mean
	if len(v) > 1 {
		ss := 0.0
		for _, x := range v {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(ss / float64(len(v)-1))
	}
	slices.Sort(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	if n := len(v); n%2 == 1 {
		s.Median = v[n/2]
	} else {
		s.Median = (v[n/2-1] + v[n/2]) / 2
	}
	return s
}

// StatsMessage is ITB's 4-week message:
//
//	↗ *LONG transactions stats (4 weeks)*
//	🔸sum=1.23% 🔸count=3
//	🔸mean=0.4100% 🔸std=0.1000%
//	🔸min=0.3000% 🔸median=0.4000% 🔸max=0.5300%
//
// (↘ SHORT for a short model). The numbers are the fill model's round trips (fees included)
// that exited in the 4 weeks before the last fill's bar; ITB compares a naive local clock with
// the stored times and uses fee-free price differences. NaN prints as Python does: "nan".
func StatsMessage(dir backtest.Direction, s Stats) notify.Rich {
	head, arrow := "LONG", "↗ "
	if dir == backtest.Short {
		head, arrow = "SHORT", "↘ "
	}
	body := fmt.Sprintf("\n🔸sum=%s%% 🔸count=%d\n🔸mean=%s%% 🔸std=%s%%\n🔸min=%s%% 🔸median=%s%% 🔸max=%s%%\n",
		pyf(s.SumPct, 2), s.Count, pyf(s.Mean, 4), pyf(s.Std, 4), pyf(s.Min, 4), pyf(s.Median, 4), pyf(s.Max, 4))
	return notify.Rich{{Text: arrow}, {Text: head + " transactions stats (4 weeks)", Bold: true}, {Text: body}}
}

// pyf formats x with prec decimals as Python's f-strings do (nan, inf).
func pyf(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return fmt.Sprintf("%.*f", prec, x)
}
