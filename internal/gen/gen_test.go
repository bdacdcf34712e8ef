package gen_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// double reads "x" and writes "y" = 2x (Inf for x = 0, to see Step turn it into NaN).
type double struct{}

func (double) Inputs() []string  { return []string{"x"} }
func (double) Outputs() []string { return []string{"y"} }
func (double) Window() int       { return 3 }
func (double) Lookback() int     { return 2 }
func (double) Generate(in *frame.Frame) ([]frame.Column, error) {
	x, err := in.Col("x")
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 2 * v
		if v == 0 {
			y[i] = math.Inf(1)
		}
	}
	return []frame.Column{{Name: "y", Data: y}}, nil
}

func registry() *gen.Registry {
	r := gen.NewRegistry("test")
	r.Register("double", func(cfg json.RawMessage) (gen.Generator, error) {
		if _, err := gen.ParseConfig(cfg); err != nil {
			return nil, err
		}
		return double{}, nil
	})
	return r
}

func TestStepPrefixesAndReplacement(t *testing.T) {
	f := frame.New([]int64{1, 2, 3})
	f.Set("a_x", frame.Float, []float64{1, 0, 3})
	f.Set("p_y", frame.Float, []float64{9, 9, 9}) // replaced, and moved last
	f.Set("z", frame.Float, []float64{0, 0, 0})
	steps, err := gen.Build("sets", []config.GeneratorSet{{Generator: "double", ColumnPrefix: "a", FeaturePrefix: "p"}}, registry())
	if err != nil {
		t.Fatal(err)
	}
	if got := gen.Inputs(steps); len(got) != 1 || got[0] != "a_x" {
		t.Fatalf("Inputs = %v", got)
	}
	created, err := gen.Apply(f, steps)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(created, ",") != "p_y" || strings.Join(f.Names(), ",") != "a_x,z,p_y" {
		t.Fatalf("created %v, columns %v", created, f.Names())
	}
	y, _ := f.Col("p_y")
	if y[0] != 2 || !math.IsNaN(y[1]) || y[2] != 6 {
		t.Fatalf("p_y = %v, want [2 NaN 6] (Inf becomes NaN)", y)
	}
	if w, key := gen.MaxWindow(steps); w != 3 || key != "sets[0] (double)" {
		t.Fatalf("MaxWindow = %d %q", w, key)
	}
	if lb := gen.Lookback(append(steps, steps...)); lb != 4 {
		t.Fatalf("Lookback of two chained steps = %d, want 4", lb)
	}
	if err := gen.CheckCollisions(append(steps, steps...)); err == nil || !strings.Contains(err.Error(), `"p_y"`) {
		t.Fatalf("CheckCollisions: %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	_, err := gen.Build("signal_sets", []config.GeneratorSet{{Generator: "nope"}}, registry())
	if !errors.Is(err, gen.ErrUnknownGenerator) || !strings.Contains(err.Error(), "signal_sets[0] (nope)") || !strings.Contains(err.Error(), "double") {
		t.Fatalf("unknown generator: %v", err)
	}
	_, err = gen.Build("signal_sets", []config.GeneratorSet{{Generator: "double", Config: json.RawMessage(`{"k":1}`)}}, registry())
	if !errors.Is(err, gen.ErrConfig) || !strings.Contains(err.Error(), `unknown key "k"`) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestConfigReaders(t *testing.T) {
	c, err := gen.ParseConfig(json.RawMessage(`{"s":"a","l":["a","b"],"n":1.5,"i":120.0,"z":null,"bad":"x"}`), "s", "l", "n", "i", "z", "bad")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.Strs("s", true); err != nil || len(s) != 1 {
		t.Fatalf("Strs single: %v %v", s, err)
	}
	if _, err := c.Strs("s", false); !errors.Is(err, gen.ErrConfig) {
		t.Fatalf("Strs without single accepted a string: %v", err)
	}
	if v, err := c.PositiveInt("i"); err != nil || v != 120 {
		t.Fatalf("PositiveInt: %v %v", v, err)
	}
	if _, err := c.Num("bad"); err == nil || !strings.Contains(err.Error(), `key "bad": want a number, got "x"`) {
		t.Fatalf("Num: %v", err)
	}
	if !c.Has("n") || c.Has("z") || c.Has("missing") {
		t.Fatal("Has")
	}
	if _, err := c.Get("missing"); err == nil || !strings.Contains(err.Error(), `missing key "missing"`) {
		t.Fatalf("Get: %v", err)
	}
}
