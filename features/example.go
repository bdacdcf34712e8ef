package features

import (
	"encoding/json"
	"fmt"

	"github.com/tradectl/tradectl/internal/frame"
)

// ExampleGeneratorName is the name ITB's shipped sample configs use for the custom feature
// example (common/my_feature_example.py); it is also registered as "my_feature_example".
const ExampleGeneratorName = "common.my_feature_example:my_feature_example"

// The example generator (itb-behaviour §3.6): {columns: "close", function: "add"|"mul",
// parameter: number, names: "close_add"} gives column + parameter (or column * parameter).
// columns may be a list (the first column is used); parameter defaults to 0; the output
// name defaults to {column}_{function}. Lookback and Window are 0.
type exampleGen struct {
	column, name string
	mul          bool
	param        float64
}

func init() {
	Default.Register(ExampleGeneratorName, NewExample)
	Default.Register("my_feature_example", NewExample)
}

// NewExample builds the example generator from its config.
func NewExample(cfg json.RawMessage) (Generator, error) {
	m, err := decodeObject(cfg, "my_feature_example config")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "my_feature_example config", "columns", "function", "parameter", "names"); err != nil {
		return nil, err
	}
	g := &exampleGen{}
	if g.column, err = firstColumn(m); err != nil {
		return nil, err
	}
	raw, ok := m["function"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("function: missing")
	}
	fn, err := decodeString(raw)
	if err != nil {
		return nil, ConfigErrorf("function: %v", err)
	}
	switch fn {
	case "add":
	case "mul":
		g.mul = true
	default:
		return nil, ConfigErrorf("function: unknown function %q (want add or mul)", fn)
	}
	if raw, ok := m["parameter"]; ok && !isNull(raw) {
		if g.param, err = decodeNumber(raw); err != nil {
			return nil, ConfigErrorf("parameter: %v", err)
		}
	}
	g.name = g.column + "_" + fn
	if raw, ok := m["names"]; ok && !isFalsy(raw) {
		names, _, err := decodeStrings(raw)
		if err != nil || len(names) != 1 || names[0] == "" {
			return nil, ConfigErrorf("names: want one output name, got %s", short(raw))
		}
		g.name = names[0]
	}
	return g, nil
}

// Inputs lists the one input column.
func (g *exampleGen) Inputs() []string { return []string{g.column} }

// Outputs lists the one output column.
func (g *exampleGen) Outputs() []string { return []string{g.name} }

// Window is 0: the output at row t uses row t only.
func (g *exampleGen) Window() int { return 0 }

// Lookback is 0.
func (g *exampleGen) Lookback() int { return 0 }

// Generate computes column + parameter or column * parameter.
func (g *exampleGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := in.Col(g.column)
	if err != nil {
		return nil, fmt.Errorf("my_feature_example: %w", err)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		if g.mul {
			out[i] = v * g.param
		} else {
			out[i] = v + g.param
		}
	}
	return []frame.Column{{Name: g.name, Kind: frame.Float, Data: out}}, nil
}
