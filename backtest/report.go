package backtest

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
)

// Num is a float written to JSON as null when it is NaN or infinite (a profit factor with no
// losing trade, a Sharpe ratio of a flat curve).
type Num float64

// MarshalJSON writes null for NaN and ±Inf.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// Drawdown is the deepest fall of an equity curve from a previous peak.
type Drawdown struct {
	// Depth is the fall as a fraction of the peak (0.2 = −20%).
	Depth Num `json:"depth"`
	// Peak, Trough and Recovered are row times (Recovered 0 when the curve never got back).
	Peak, Trough, Recovered int64 `json:"-"`
	// Days is the longest time spent below a previous peak (until recovery or the end).
	Days Num `json:"longest_underwater_days"`
}

// MaxDrawdown measures the deepest drawdown and the longest time under water of a curve.
func MaxDrawdown(t []int64, eq []float64) Drawdown {
	var d Drawdown
	if len(eq) == 0 {
		return d
	}
	peak, peakAt := eq[0], 0
	var longest int64
	for i, v := range eq {
		if v >= peak {
			longest = max(longest, t[i]-t[peakAt])
			peak, peakAt = v, i
			continue
		}
		if dd := 1 - v/peak; dd > float64(d.Depth) {
			d.Depth, d.Peak, d.Trough = Num(dd), t[peakAt], t[i]
		}
	}
	longest = max(longest, t[len(t)-1]-t[peakAt])
	d.Days = Num(float64(longest) / float64(24*time.Hour/time.Millisecond))
	return d
}

// DailyReturns resamples a curve to the last value of every UTC day and returns the day-to-day
// returns (the first day's return is against the curve's first value).
func DailyReturns(t []int64, eq []float64) []float64 {
	const day = int64(24 * time.Hour / time.Millisecond)
	var out []float64
	prev := eq[0]
	for i := range eq {
		if i == len(eq)-1 || floorDiv(t[i+1], day) != floorDiv(t[i], day) {
			out = append(out, eq[i]/prev-1)
			prev = eq[i]
		}
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Ratios are risk-adjusted returns on daily equity returns, annualised with 365 days
// (crypto trades every day).
type Ratios struct {
	Sharpe  Num `json:"sharpe"`
	Sortino Num `json:"sortino"`
	Calmar  Num `json:"calmar"`
	// CAGR is the annualised growth of the equity.
	CAGR Num `json:"cagr"`
}

// RiskRatios computes Sharpe (mean / standard deviation), Sortino (mean / downside deviation,
// the root mean square of the negative returns) and Calmar (CAGR / max drawdown depth).
func RiskRatios(daily []float64, years, growth, mdd float64) Ratios {
	var r Ratios
	n := float64(len(daily))
	var mean, sq, down float64
	for _, x := range daily {
		mean += x
	}
	mean /= n
	for _, x := range daily {
		sq += (x - mean) * (x - mean)
		if x < 0 {
			down += x * x
		}
	}
	sd := math.Sqrt(sq / (n - 1))
	dd := math.Sqrt(down / n)
	r.Sharpe = Num(mean / sd * math.Sqrt(365))
	r.Sortino = Num(mean / dd * math.Sqrt(365))
	r.CAGR = Num(math.Pow(growth, 1/years) - 1)
	r.Calmar = Num(float64(r.CAGR) / mdd)
	if len(daily) < 2 {
		r.Sharpe, r.Sortino = Num(math.NaN()), Num(math.NaN())
	}
	return r
}

// Confusion compares a signal with a label column over the rows where the label is known.
type Confusion struct {
	Signal    string `json:"signal"`
	Label     string `json:"label"`
	TP        int    `json:"tp"`
	FP        int    `json:"fp"`
	FN        int    `json:"fn"`
	TN        int    `json:"tn"`
	Precision Num    `json:"precision"`
	Recall    Num    `json:"recall"`
}

// ConfusionOf counts signal (true/false per row) against label (1/0, NaN skipped).
func ConfusionOf(signal, label string, sig []bool, lab []float64) Confusion {
	c := Confusion{Signal: signal, Label: label}
	for i, s := range sig {
		l := lab[i]
		if math.IsNaN(l) {
			continue
		}
		switch {
		case s && l != 0:
			c.TP++
		case s:
			c.FP++
		case l != 0:
			c.FN++
		default:
			c.TN++
		}
	}
	c.Precision = Num(float64(c.TP) / float64(c.TP+c.FP))
	c.Recall = Num(float64(c.TP) / float64(c.TP+c.FN))
	return c
}

// Report is report.json: the backtest of one combination with the fill model.
type Report struct {
	Parameters map[string]*float64 `json:"parameters"`
	Params     string              `json:"-"`
	Model      Model               `json:"model"`
	Fill       string              `json:"fill"`
	Direction  string              `json:"direction"`
	Rows       int                 `json:"rows"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Months     Num                 `json:"months"`

	Trades        int      `json:"trades"`
	WinRate       Num      `json:"win_rate"`
	NetProfit     Num      `json:"net_profit"`
	NetProfitPct  Num      `json:"net_profit_pct"`
	PctPerMonth   Num      `json:"net_profit_pct_per_month"`
	ProfitFactor  Num      `json:"profit_factor"`
	Expectancy    Num      `json:"expectancy"`
	ExpectancyPct Num      `json:"expectancy_pct"`
	Payoff        Num      `json:"payoff_ratio"`
	MaxDrawdown   Drawdown `json:"max_drawdown"`
	Ratios
	Exposure Num `json:"exposure"`
	Fees     Num `json:"fees_paid"`

	BuyHold struct {
		ProfitPct   Num      `json:"profit_pct"`
		MaxDrawdown Drawdown `json:"max_drawdown"`
		Ratios
	} `json:"buy_and_hold"`
	Confusion []Confusion `json:"confusion,omitempty"`
	// ITB holds ITB's signal_models keys for this combination (its formulas) for comparison.
	ITB *Perf `json:"itb_formulas,omitempty"`

	Files []string `json:"-"`
}

// Headline is a one-line summary.
func (r *Report) Headline() string {
	return fmt.Sprintf("%d trades, win rate %s, net %+.2f%% (%+.2f%%/month), max drawdown %.1f%%, Sharpe %s, fees %.2f; buy-and-hold %+.2f%%",
		r.Trades, orNA("%.1f%%", 100*float64(r.WinRate)), float64(r.NetProfitPct), float64(r.PctPerMonth), 100*float64(r.MaxDrawdown.Depth),
		orNA("%.2f", float64(r.Sharpe)), float64(r.Fees), float64(r.BuyHold.ProfitPct))
}

// orNA formats v, or gives "n/a" when it is undefined (a win rate without trades, a Sharpe
// ratio over less than two days).
func orNA(format string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}

// NewReport measures a backtest Result on its bars.
func NewReport(bars *Bars, res *Result) *Report {
	n := bars.Len()
	r := &Report{Model: res.Model, Fill: res.Model.Fill.String(), Direction: res.Model.Direction.String(), Rows: n,
		From: frame.FormatTime(bars.Time[0]), To: frame.FormatTime(bars.Time[n-1])}
	months := Months(bars.Time[0], bars.Time[n-1])
	years := months / 12
	r.Months = Num(months)
	start, final := res.Model.Equity, res.Equity[n-1]
	var wins, losses int
	var gp, gl, sumRet float64
	for _, t := range res.Trades {
		sumRet += t.Return
		if t.PnL > 0 {
			wins++
			gp += t.PnL
		} else {
			losses++
			gl -= t.PnL
		}
	}
	r.Trades = len(res.Trades)
	k := float64(r.Trades)
	r.WinRate = Num(float64(wins) / k)
	r.NetProfit = Num(final - start)
	r.NetProfitPct = Num(100 * (final/start - 1))
	r.PctPerMonth = Num(float64(r.NetProfitPct) / months)
	r.ProfitFactor = Num(gp / gl)
	r.Expectancy = Num((gp - gl) / k)
	r.ExpectancyPct = Num(100 * sumRet / k)
	r.Payoff = Num((gp / float64(wins)) / (gl / float64(losses)))
	r.MaxDrawdown = MaxDrawdown(bars.Time, res.Equity)
	r.Ratios = RiskRatios(DailyReturns(bars.Time, res.Equity), years, final/start, float64(r.MaxDrawdown.Depth))
	r.Exposure = Num(float64(res.InMarket) / float64(n))
	r.Fees = Num(res.Fees)
	bh := BuyHold(bars, res.Model.Equity)
	r.BuyHold.ProfitPct = Num(100 * (bh[n-1]/bh[0] - 1))
	r.BuyHold.MaxDrawdown = MaxDrawdown(bars.Time, bh)
	r.BuyHold.Ratios = RiskRatios(DailyReturns(bars.Time, bh), years, bh[n-1]/bh[0], float64(r.BuyHold.MaxDrawdown.Depth))
	return r
}

// BuyHold is the value of equity invested at the first close, at every close (no costs).
func BuyHold(bars *Bars, equity float64) []float64 {
	out := make([]float64, bars.Len())
	for i, c := range bars.Close {
		out[i] = equity * c / bars.Close[0]
	}
	return out
}

// paramString names a combination's parameters (None left out).
func paramString(ps []Param) (string, map[string]*float64) {
	var parts []string
	m := map[string]*float64{}
	for _, p := range ps {
		if p.None {
			m[p.Key] = nil
			continue
		}
		v := p.Value
		m[p.Key] = &v
		parts = append(parts, p.Key+"="+p.String())
	}
	return strings.Join(parts, " "), m
}
