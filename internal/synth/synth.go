// Package synth generates a seeded synthetic 1-minute market in Binance's kline layout, for
// the offline demo and for tests that must not depend on real data. It is a random walk with
// volatility clustering, a weak momentum effect (so models have something to learn), and an
// optional exchange halt: a run of flat zero-volume bars followed by missing bars.
package synth

import (
	"math"
	"math/rand/v2"

	"github.com/tradectl/tradectl/internal/frame"
)

// Options shape the generated market.
type Options struct {
	Seed  uint64
	Start int64 // first open time, Unix ms
	Rows  int
	// Step is the bar length in ms (default 60000).
	Step int64
	// Price is the first open (default 30000).
	Price float64
	// Halt, when > 0, makes rows [Halt, Halt+HaltFlat) flat with zero volume and drops the
	// HaltGap rows after them, like the 2023-03-24 Binance halt.
	Halt, HaltFlat, HaltGap int
}

// Columns are the kline columns in klines.csv order, after the timestamp.
var Columns = []string{"open", "high", "low", "close", "volume", "close_time", "quote_av", "trades", "tb_base_av", "tb_quote_av", "ignore"}

// Klines returns the market as a frame with the klines.csv columns.
func Klines(o Options) *frame.Frame {
	if o.Step == 0 {
		o.Step = 60000
	}
	if o.Price == 0 {
		o.Price = 30000
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	n := o.Rows
	times := make([]int64, 0, n)
	cols := make([][]float64, len(Columns))
	for i := range cols {
		cols[i] = make([]float64, 0, n)
	}
	price := o.Price
	vol := 0.0008 // per-bar log-return volatility
	var trend float64
	for i := 0; i < n; i++ {
		if o.Halt > 0 && i >= o.Halt+o.HaltFlat && i < o.Halt+o.HaltFlat+o.HaltGap {
			continue // missing bars
		}
		t := o.Start + int64(i)*o.Step
		open := price
		var close, high, low, volume float64
		if o.Halt > 0 && i >= o.Halt && i < o.Halt+o.HaltFlat {
			close, high, low, volume = open, open, open, 0
		} else {
			// GARCH-like volatility and a weak momentum term.
			shock := rng.NormFloat64()
			vol = math.Sqrt(0.000000002 + 0.04*vol*vol*shock*shock + 0.955*vol*vol)
			ret := 0.12*trend + vol*shock
			trend = 0.97*trend + 0.03*ret
			close = round(open*math.Exp(ret), 2)
			spread := math.Abs(rng.NormFloat64()) * vol * open * 0.6
			high = round(math.Max(open, close)+spread, 2)
			low = round(math.Min(open, close)-math.Abs(rng.NormFloat64())*vol*open*0.6, 2)
			volume = round(math.Exp(rng.NormFloat64()*0.5)*(20+30000*math.Abs(ret)), 5)
		}
		price = close
		mid := (open + close) / 2
		trades := math.Round(volume * 35)
		takerShare := 0.35 + 0.3*rng.Float64()
		times = append(times, t)
		row := []float64{open, high, low, close, volume, float64(t + o.Step - 1), round(volume*mid, 8), trades,
			round(volume*takerShare, 5), round(volume*takerShare*mid, 8), 0}
		for j, v := range row {
			cols[j] = append(cols[j], v)
		}
	}
	f := frame.New(times)
	for j, name := range Columns {
		kind := frame.Float
		if name == "close_time" || name == "trades" || name == "ignore" {
			kind = frame.Int
		}
		f.Set(name, kind, cols[j])
	}
	return f
}

func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}
