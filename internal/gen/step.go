package gen

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
)

// Step is one built generator set: the generator plus the set's column and feature prefixes.
type Step struct {
	// Key names the set in messages, e.g. "feature_sets[2] (talib)".
	Key string
	Set config.GeneratorSet
	Gen Generator
}

// Build builds the generator of every set from reg; an error names the set and the key.
func Build(key string, sets []config.GeneratorSet, reg *Registry) ([]Step, error) {
	steps := make([]Step, 0, len(sets))
	for i, s := range sets {
		k := fmt.Sprintf("%s[%d] (%s)", key, i, s.Generator)
		g, err := reg.Build(s.Generator, s.Config)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		steps = append(steps, Step{Key: k, Set: s, Gen: g})
	}
	return steps, nil
}

// Inputs lists the frame columns the step reads (column_prefix applied).
func (s Step) Inputs() []string {
	in := s.Gen.Inputs()
	if s.Set.ColumnPrefix == "" {
		return in
	}
	out := make([]string, len(in))
	for i, n := range in {
		out[i] = s.Set.ColumnPrefix + "_" + n
	}
	return out
}

// Outputs lists the columns the step creates (feature_prefix applied).
func (s Step) Outputs() []string {
	out := s.Gen.Outputs()
	if s.Set.FeaturePrefix == "" {
		return out
	}
	res := make([]string, len(out))
	for i, n := range out {
		res[i] = s.Set.FeaturePrefix + "_" + n
	}
	return res
}

// Run computes the step over f and adds its columns to f. Existing columns with the same
// names are dropped first, so the new ones come last, as ITB re-joins them.
func (s Step) Run(f *frame.Frame) error {
	view := frame.New(f.Time)
	for i, name := range s.Inputs() {
		data, err := f.Col(name)
		if err != nil {
			return fmt.Errorf("%s: input %w", s.Key, err)
		}
		if err := view.Set(s.Gen.Inputs()[i], f.Kind(name), data); err != nil {
			return err
		}
	}
	cols, err := s.Gen.Generate(view)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Key, err)
	}
	names := s.Outputs()
	if len(cols) != len(names) {
		return fmt.Errorf("%s: generator returned %d columns, declared %d", s.Key, len(cols), len(names))
	}
	f.Drop(names...)
	for i, c := range cols {
		frame.FiniteOrNaN(c.Data)
		if err := f.Set(names[i], c.Kind, c.Data); err != nil {
			return fmt.Errorf("%s: %w", s.Key, err)
		}
	}
	return nil
}

// Apply runs the steps in order over f and returns the names of the columns they created.
func Apply(f *frame.Frame, steps []Step) ([]string, error) { return ApplyLogged(f, steps, nil) }

// ApplyLogged is Apply with a debug line per generator on log (nil: none): its inputs,
// outputs, window, look-back and time.
func ApplyLogged(f *frame.Frame, steps []Step, log *slog.Logger) ([]string, error) {
	debug := log != nil && log.Enabled(context.Background(), slog.LevelDebug)
	var created []string
	for _, s := range steps {
		t0 := time.Now()
		if err := s.Run(f); err != nil {
			return nil, err
		}
		if debug {
			log.Debug("generator", "step", s.Key, "rows", f.Len(), "inputs", strings.Join(s.Inputs(), ","),
				"outputs", strings.Join(s.Outputs(), ","), "window", s.Gen.Window(), "lookback", s.Gen.Lookback(),
				"seconds", math.Round(time.Since(t0).Seconds()*1000)/1000)
		}
		created = append(created, s.Outputs()...)
	}
	return dedupe(created), nil
}

// Inputs lists the columns the steps need from the input file: those not created by an earlier step.
func Inputs(steps []Step) []string {
	made := map[string]bool{}
	var need []string
	seen := map[string]bool{}
	for _, s := range steps {
		for _, n := range s.Inputs() {
			if !made[n] && !seen[n] {
				seen[n] = true
				need = append(need, n)
			}
		}
		for _, n := range s.Outputs() {
			made[n] = true
		}
	}
	return need
}

// Lookback is the number of rows before a wanted row that the chain of steps needs for
// results equal to a computation over all rows: the sum of the steps' look-backs (steps may
// read each other's outputs), or -1 when any step depends on every earlier row.
func Lookback(steps []Step) int {
	total := 0
	for _, s := range steps {
		l := s.Gen.Lookback()
		if l < 0 {
			return -1
		}
		total += l
	}
	return total
}

// MaxWindow is the largest Window of the steps (features_horizon must cover it).
func MaxWindow(steps []Step) (int, string) {
	best, key := 0, ""
	for _, s := range steps {
		if w := s.Gen.Window(); w > best {
			best, key = w, s.Key
		}
	}
	return best, key
}

// CheckCollisions reports two steps creating the same column, which would silently replace
// the first one's values.
func CheckCollisions(steps []Step) error {
	owner := map[string]string{}
	for _, s := range steps {
		for _, n := range s.Outputs() {
			if prev, ok := owner[n]; ok {
				return fmt.Errorf("%s: column %q is also created by %s (use names or feature_prefix)", s.Key, n, prev)
			}
			owner[n] = s.Key
		}
	}
	return nil
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// CheckInputs reports the first column a step reads that neither the file (with columns
// have) nor an earlier step provides, naming the step and the file.
func CheckInputs(file string, have []string, steps []Step) error {
	avail := map[string]bool{}
	for _, n := range have {
		avail[n] = true
	}
	for _, s := range steps {
		for _, n := range s.Inputs() {
			if !avail[n] {
				return fmt.Errorf("%s: %w %q needed by %s (the file has: %s)", file, frame.ErrMissingColumn, n, s.Key, describe(have))
			}
		}
		for _, n := range s.Outputs() {
			avail[n] = true
		}
	}
	return nil
}

// describe lists names compactly for messages.
func describe(names []string) string {
	if len(names) > 12 {
		return fmt.Sprintf("%s, ... (%d columns)", slices.Clone(names[:12]), len(names))
	}
	return fmt.Sprint(names)
}
