// Package gen is the generator contract shared by features, labels and signals: a Generator
// computes named columns from input columns, a Registry maps the generator names of a
// config's feature_sets, label_sets and signal_sets to factories, a Step applies one built
// set to a frame, and Config reads a set's "config" object. It holds no generator itself,
// so no pipeline package needs to import another one to its left for the contract.
package gen

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/tradectl/tradectl/internal/frame"
)

// ErrUnknownGenerator is returned for a generator name that is not registered.
var ErrUnknownGenerator = errors.New("unknown generator")

// ErrConfig is wrapped by every generator config error (bad or missing key).
var ErrConfig = errors.New("invalid generator config")

// Generator computes new columns from input columns. One is built per feature_sets,
// label_sets or signal_sets entry by its Factory, which validates the entry's "config" object.
type Generator interface {
	// Inputs lists the input columns it reads (names after column_prefix stripping).
	Inputs() []string
	// Outputs lists the columns it creates, in order, before feature_prefix is applied.
	Outputs() []string
	// Window is the longest look-back window in rows (features_horizon must cover it); 0 for none.
	Window() int
	// Lookback is how many rows before the first wanted row must be present for a result
	// equal to a computation over all rows; -1 means every earlier row matters.
	Lookback() int
	// Generate computes one column per Outputs entry, each with in.Len() values (NaN where undefined).
	Generate(in *frame.Frame) ([]frame.Column, error)
}

// Factory builds a generator from its config object. Errors wrap ErrConfig and name the key.
type Factory func(cfg json.RawMessage) (Generator, error)

// Registry maps generator names to factories. It is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Factory
	// What names the registry's kind in errors, e.g. "feature" or "label".
	What string
}

// NewRegistry returns an empty registry; what names its kind in errors.
func NewRegistry(what string) *Registry { return &Registry{m: map[string]Factory{}, What: what} }

// Register adds a factory; registering a name twice replaces the earlier one.
func (r *Registry) Register(name string, f Factory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[name] = f
}

// Build looks up name and builds a generator from cfg.
func (r *Registry) Build(name string, cfg json.RawMessage) (Generator, error) {
	r.mu.RLock()
	f, ok := r.m[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q for %s sets (known: %v)", ErrUnknownGenerator, name, r.What, r.Names())
	}
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	g, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s generator %q: %w", r.What, name, err)
	}
	return g, nil
}

// Names lists the registered names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ConfigErrorf returns an error wrapping ErrConfig.
func ConfigErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}
