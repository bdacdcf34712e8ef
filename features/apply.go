package features

import (
	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/gen"
)

// Step is one built generator set (see gen.Step).
type Step = gen.Step

// Build builds the generator of every set from reg; an error names the set and the key.
func Build(key string, sets []config.GeneratorSet, reg *Registry) ([]Step, error) {
	return gen.Build(key, sets, reg)
}

// Apply runs the steps in order over f and returns the names of the columns they created.
func Apply(f *frame.Frame, steps []Step) ([]string, error) { return gen.Apply(f, steps) }

// Inputs lists the columns the steps need from the input file.
func Inputs(steps []Step) []string { return gen.Inputs(steps) }

// Lookback is the rows before a wanted row the chain of steps needs (-1: every earlier row).
func Lookback(steps []Step) int { return gen.Lookback(steps) }

// MaxWindow is the largest Window of the steps (features_horizon must cover it).
func MaxWindow(steps []Step) (int, string) { return gen.MaxWindow(steps) }

// CheckCollisions reports two steps creating the same column.
func CheckCollisions(steps []Step) error { return gen.CheckCollisions(steps) }
