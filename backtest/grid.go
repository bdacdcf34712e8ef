package backtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tradectl/tradectl/train/metrics"
)

// ErrGrid is wrapped by every invalid grid; the message names the key.
var ErrGrid = errors.New("invalid simulate_model grid")

// Grid keys (ITB's threshold_rule parameters).
const (
	KeyBuy   = "buy_signal_threshold"
	KeyBuy2  = "buy_signal_threshold_2"
	KeySell  = "sell_signal_threshold"
	KeySell2 = "sell_signal_threshold_2"
)

// Param is one parameter of a combination; None is Python's None (buy_sell_equal's sell keys).
type Param struct {
	Key   string
	Value float64
	None  bool
}

// String is Python's str() of the value, as ITB writes it.
func (p Param) String() string {
	if p.None {
		return "None"
	}
	return metrics.PyRepr(p.Value)
}

// Combo is one grid point: its parameters in ParameterGrid key order and the rule they give.
type Combo struct {
	Params []Param
	Rule   Rule
}

// GridSpec is what a grid is built from.
type GridSpec struct {
	// Grid maps keys to a JSON list of numbers, a "start:stop:step" range or ITB's
	// "np.arange(start, stop, step).tolist()".
	Grid map[string]json.RawMessage
	// BuySellEqual replaces the sell keys by None and uses sell = −buy.
	BuySellEqual bool
	// Base holds the generator's own parameters (used for keys the grid does not list).
	Base map[string]float64
	// Two is true for threshold_rule2 (the _2 thresholds apply).
	Two bool
}

// Combos expands the grid in sklearn ParameterGrid order (keys sorted, the last key varying
// fastest) and checks every combination: the buy threshold must lie above the sell threshold.
func (g GridSpec) Combos() ([]Combo, error) {
	vals := map[string][]*float64{}
	for key, raw := range g.Grid {
		switch key {
		case KeyBuy, KeySell, KeyBuy2, KeySell2:
		default:
			return nil, fmt.Errorf("%w: key \"grid.%s\": unknown (use %s, %s, %s or %s)", ErrGrid, key, KeyBuy, KeySell, KeyBuy2, KeySell2)
		}
		xs, err := ParseValues(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: key \"grid.%s\": %v", ErrGrid, key, err)
		}
		if len(xs) == 0 {
			return nil, fmt.Errorf("%w: key \"grid.%s\": no values", ErrGrid, key)
		}
		for _, x := range xs {
			vals[key] = append(vals[key], &x)
		}
	}
	if _, ok := vals[KeyBuy]; !ok {
		return nil, fmt.Errorf("%w: key \"grid.%s\": missing", ErrGrid, KeyBuy)
	}
	if g.BuySellEqual {
		vals[KeySell] = []*float64{nil}
		vals[KeySell2] = []*float64{nil}
	} else if _, ok := vals[KeySell]; !ok {
		return nil, fmt.Errorf("%w: key \"grid.%s\": missing (or set buy_sell_equal)", ErrGrid, KeySell)
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := 1
	for _, k := range keys {
		total *= len(vals[k])
	}
	out := make([]Combo, 0, total)
	idx := make([]int, len(keys))
	for range total {
		c := Combo{Params: make([]Param, len(keys))}
		for j, k := range keys {
			if v := vals[k][idx[j]]; v == nil {
				c.Params[j] = Param{Key: k, None: true}
			} else {
				c.Params[j] = Param{Key: k, Value: *v}
			}
		}
		r, err := g.rule(c.Params)
		if err != nil {
			return nil, err
		}
		c.Rule = r
		out = append(out, c)
		for j := len(keys) - 1; j >= 0; j-- { // the last key varies fastest
			if idx[j]++; idx[j] < len(vals[keys[j]]) {
				break
			}
			idx[j] = 0
		}
	}
	return out, nil
}

// rule builds the threshold rule of one combination over the generator's base parameters.
func (g GridSpec) rule(ps []Param) (Rule, error) {
	p := map[string]float64{}
	for k, v := range g.Base {
		p[k] = v
	}
	for _, x := range ps {
		if !x.None {
			p[x.Key] = x.Value
		}
	}
	if g.BuySellEqual {
		p[KeySell] = -p[KeyBuy]
		if b2, ok := p[KeyBuy2]; ok {
			p[KeySell2] = -b2
		}
	}
	r := Rule{Buy: p[KeyBuy], Sell: p[KeySell], Buy2: math.Inf(-1), Sell2: math.Inf(1)}
	if err := checkPair(KeyBuy, KeySell, r.Buy, r.Sell); err != nil {
		return r, err
	}
	if g.Two {
		b2, ok1 := p[KeyBuy2]
		s2, ok2 := p[KeySell2]
		if !ok1 || !ok2 {
			return r, fmt.Errorf("%w: threshold_rule2 needs %s and %s (in the grid or the generator's parameters)", ErrGrid, KeyBuy2, KeySell2)
		}
		if err := checkPair(KeyBuy2, KeySell2, b2, s2); err != nil {
			return r, err
		}
		r.Buy2, r.Sell2 = b2, s2
	}
	return r, nil
}

func checkPair(bk, sk string, b, s float64) error {
	if math.IsNaN(b) || math.IsNaN(s) || b <= s {
		return fmt.Errorf("%w: %s %v must be above %s %v (otherwise a bar can be both a buy and a sell)", ErrGrid, bk, metrics.PyRepr(b), sk, metrics.PyRepr(s))
	}
	return nil
}

var arangeRe = regexp.MustCompile(`^\s*(?:np|numpy)\.arange\(([^()]*)\)\s*(?:\.tolist\(\))?\s*$`)

// ParseValues reads a grid value: a JSON list of numbers, a "start:stop:step" range or ITB's
// "np.arange(start, stop, step).tolist()" (numpy's arithmetic: start + i*(start+step−start)).
func ParseValues(raw json.RawMessage) ([]float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var xs []float64
		if err := json.Unmarshal(raw, &xs); err != nil {
			return nil, fmt.Errorf("expected a list of numbers: %v", err)
		}
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%v is not a finite number", x)
			}
		}
		return xs, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("expected a list of numbers or a range string, got %s", raw)
	}
	var parts []string
	if m := arangeRe.FindStringSubmatch(s); m != nil {
		parts = strings.Split(m[1], ",")
	} else {
		parts = strings.Split(s, ":")
	}
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("%q: use [numbers], \"start:stop:step\" or \"np.arange(start, stop, step).tolist()\"", s)
	}
	nums := []float64{0, 0, 1}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q: %q is not a number", s, strings.TrimSpace(p))
		}
		nums[i] = v
	}
	return arange(s, nums[0], nums[1], nums[2])
}

// arange is numpy.arange for floats: ceil((stop−start)/step) values start + i*delta, where
// delta = (start+step) − start.
func arange(src string, start, stop, step float64) ([]float64, error) {
	if step == 0 {
		return nil, fmt.Errorf("%q: step must not be 0", src)
	}
	n := math.Ceil((stop - start) / step)
	if n <= 0 {
		return nil, nil
	}
	if n > 1e6 {
		return nil, fmt.Errorf("%q: %v values is too many", src, n)
	}
	delta := (start + step) - start
	out := make([]float64, int(n))
	for i := range out {
		out[i] = start + float64(i)*delta
	}
	return out, nil
}
