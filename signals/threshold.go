package signals

import (
	"encoding/json"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// Threshold is threshold_rule's kernel: buy[i] = 1 when score >= buyThreshold, sell[i] = 1
// when score <= sellThreshold, 0 otherwise (NaN included). Both can be 1 only when the
// thresholds overlap.
func Threshold(score []float64, buyThreshold, sellThreshold float64) (buy, sell []float64) {
	buy, sell = make([]float64, len(score)), make([]float64, len(score))
	for i, v := range score {
		if v >= buyThreshold {
			buy[i] = 1
		}
		if v <= sellThreshold {
			sell[i] = 1
		}
	}
	return buy, sell
}

// Threshold2 is threshold_rule2's kernel: buy when s1 >= buy1 and s2 >= buy2, sell when
// s1 <= sell1 and s2 <= sell2; NaN in either score gives 0.
func Threshold2(s1, s2 []float64, buy1, buy2, sell1, sell2 float64) (buy, sell []float64) {
	buy, sell = make([]float64, len(s1)), make([]float64, len(s1))
	for i, v := range s1 {
		w := s2[i]
		if v >= buy1 && w >= buy2 {
			buy[i] = 1
		}
		if v <= sell1 && w <= sell2 {
			sell[i] = 1
		}
	}
	return buy, sell
}

// ThresholdRule is the threshold_rule generator (and, with Columns of two, threshold_rule2).
// Its fields are exported for callers that re-evaluate it with other thresholds, such as the
// simulate grid.
type ThresholdRule struct {
	// Columns holds the score column (threshold_rule) or the two score columns (threshold_rule2).
	Columns []string
	// Names are the buy and sell output columns.
	Names [2]string
	// Buy and Sell hold buy_signal_threshold(_2) and sell_signal_threshold(_2), one per column.
	Buy, Sell []float64
}

// newThresholdRule builds threshold_rule from {columns, names: [buy, sell], parameters:
// {buy_signal_threshold, sell_signal_threshold}}. columns is a string or a one-element list:
// ITB wraps a list into [[...]] and then fails on it, so a list works here where it broke in
// ITB; a longer list is an error (threshold_rule2 takes two columns).
func newThresholdRule(raw json.RawMessage) (gen.Generator, error) {
	return parseThresholdRule(raw, 1)
}

// newThresholdRule2 builds threshold_rule2 from {columns: [s1, s2], names: [buy, sell],
// parameters: {buy_signal_threshold, buy_signal_threshold_2, sell_signal_threshold,
// sell_signal_threshold_2}}.
func newThresholdRule2(raw json.RawMessage) (gen.Generator, error) {
	return parseThresholdRule(raw, 2)
}

func parseThresholdRule(raw json.RawMessage, n int) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "columns", "names", "parameters")
	if err != nil {
		return nil, err
	}
	g := &ThresholdRule{}
	if g.Columns, err = c.Strs("columns", n == 1); err != nil {
		return nil, err
	}
	if len(g.Columns) != n {
		if n == 1 {
			return nil, gen.ConfigErrorf("key \"columns\": want one score column (a string), got %d (use threshold_rule2 for two)", len(g.Columns))
		}
		return nil, gen.ConfigErrorf("key \"columns\": want 2 score columns, got %d", len(g.Columns))
	}
	for _, col := range g.Columns {
		if col == "" {
			return nil, gen.ConfigErrorf("key \"columns\": empty column name")
		}
	}
	names, err := c.Strs("names", false)
	if err != nil {
		return nil, err
	}
	if err := gen.CheckNames("names", names, 2, "signals"); err != nil {
		return nil, err
	}
	g.Names = [2]string{names[0], names[1]}
	keys := [][2]string{{"buy_signal_threshold", "sell_signal_threshold"}, {"buy_signal_threshold_2", "sell_signal_threshold_2"}}[:n]
	var known []string
	for _, k := range keys {
		known = append(known, k[0], k[1])
	}
	praw, err := c.Get("parameters")
	if err != nil {
		return nil, err
	}
	p, err := gen.ParseConfig(praw, known...)
	if err != nil {
		return nil, wrapKey("parameters", err)
	}
	for _, k := range keys {
		b, err := p.Num(k[0])
		if err != nil {
			return nil, wrapKey("parameters", err)
		}
		s, err := p.Num(k[1])
		if err != nil {
			return nil, wrapKey("parameters", err)
		}
		g.Buy, g.Sell = append(g.Buy, b), append(g.Sell, s)
	}
	return g, nil
}

// Inputs lists the score columns.
func (g *ThresholdRule) Inputs() []string { return append([]string(nil), g.Columns...) }

// Outputs lists the buy and sell columns.
func (g *ThresholdRule) Outputs() []string { return []string{g.Names[0], g.Names[1]} }

// Window is 0: a rule reads one row at a time.
func (g *ThresholdRule) Window() int { return 0 }

// Lookback is 0.
func (g *ThresholdRule) Lookback() int { return 0 }

// Generate computes the boolean buy and sell columns.
func (g *ThresholdRule) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := cols(in, g.Columns...)
	if err != nil {
		return nil, err
	}
	var buy, sell []float64
	if len(x) == 1 {
		buy, sell = Threshold(x[0], g.Buy[0], g.Sell[0])
	} else {
		buy, sell = Threshold2(x[0], x[1], g.Buy[0], g.Buy[1], g.Sell[0], g.Sell[1])
	}
	return []frame.Column{{Name: g.Names[0], Kind: frame.Bool, Data: buy}, {Name: g.Names[1], Kind: frame.Bool, Data: sell}}, nil
}
