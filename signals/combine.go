package signals

import (
	"encoding/json"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// CombineMode selects how combine merges an up score and a down score.
type CombineMode uint8

const (
	// UpOrMinusDown (ITB's default, also "no_combine") gives up when up >= down, else -down.
	// The comparison is false when either is NaN: NaN up gives -down, NaN down gives NaN.
	UpOrMinusDown CombineMode = iota
	// Difference gives up - down.
	Difference
	// Relative gives 2*up/(up+down) - 1: NaN when both are 0, ±Inf when only the sum is 0.
	Relative
)

// Combine merges two score columns row by row into a new slice (itb-behaviour §6.1), then
// multiplies by coefficient and adds constant, each only when non-zero, as ITB does.
func Combine(up, down []float64, mode CombineMode, coefficient, constant float64) []float64 {
	out := make([]float64, len(up))
	for i, u := range up {
		d := down[i]
		var v float64
		switch mode {
		case Difference:
			v = u - d
		case Relative:
			v = u / (u + d) // same operation order as ITB: ((up / (up + down)) * 2) - 1
			v = v*2 - 1
		default:
			if u >= d {
				v = u
			} else {
				v = -d
			}
		}
		if coefficient != 0 {
			v *= coefficient
		}
		if constant != 0 {
			v += constant
		}
		out[i] = v
	}
	return out
}

// combineGen is the combine generator.
type combineGen struct {
	up, down, name        string
	mode                  CombineMode
	coefficient, constant float64
}

// newCombine builds combine from {columns: [up, down], names: "out", combine, coefficient,
// constant}. combine is "difference", "relative", or "no_combine"/""/missing for the
// default mode; any other value is an error (ITB silently used the default mode).
// coefficient and constant are skipped when 0 or missing, as in ITB.
func newCombine(raw json.RawMessage) (gen.Generator, error) {
	c, err := gen.ParseConfig(raw, "columns", "names", "combine", "coefficient", "constant")
	if err != nil {
		return nil, err
	}
	g := &combineGen{}
	columns, err := c.Strs("columns", false)
	if err != nil {
		return nil, err
	}
	if len(columns) != 2 || columns[0] == "" || columns[1] == "" {
		return nil, gen.ConfigErrorf("key \"columns\": want 2 column names [up, down], got %d", len(columns))
	}
	g.up, g.down = columns[0], columns[1]
	if g.name, err = outName(c); err != nil {
		return nil, err
	}
	if c.Has("combine") {
		mode, err := c.Enum("combine", "difference", "relative", "no_combine", "")
		if err != nil {
			return nil, err
		}
		switch mode {
		case "difference":
			g.mode = Difference
		case "relative":
			g.mode = Relative
		}
	}
	if g.coefficient, err = optNum(c, "coefficient"); err != nil {
		return nil, err
	}
	if g.constant, err = optNum(c, "constant"); err != nil {
		return nil, err
	}
	return g, nil
}

// Inputs lists the up and down columns.
func (g *combineGen) Inputs() []string { return []string{g.up, g.down} }

// Outputs lists the combined column.
func (g *combineGen) Outputs() []string { return []string{g.name} }

// Window is 0: combine reads one row at a time.
func (g *combineGen) Window() int { return 0 }

// Lookback is 0.
func (g *combineGen) Lookback() int { return 0 }

// Generate combines the two columns.
func (g *combineGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := cols(in, g.up, g.down)
	if err != nil {
		return nil, err
	}
	return one(g.name, frame.Float, Combine(x[0], x[1], g.mode, g.coefficient, g.constant)), nil
}
