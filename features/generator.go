// Package features is where feature columns are born: the generators named in a config's
// feature_sets (talib, itbstats, itblib, ...) and the code that applies them to a frame,
// fully or incrementally. Batch `tradectl features` and the signal service share it.
//
// The generator contract itself (Generator, Registry, Step, config errors) lives in
// internal/gen, shared with labels and signals; the names below keep this package's API.
package features

import "github.com/tradectl/tradectl/internal/gen"

// ErrUnknownGenerator is returned for a generator name that is not registered.
var ErrUnknownGenerator = gen.ErrUnknownGenerator

// ErrConfig is wrapped by every generator config error (bad or missing key).
var ErrConfig = gen.ErrConfig

// Generator computes new columns from input columns (see gen.Generator).
type Generator = gen.Generator

// Factory builds a generator from its config object.
type Factory = gen.Factory

// Registry maps generator names to factories.
type Registry = gen.Registry

// NewRegistry returns an empty registry; what names its kind in errors.
func NewRegistry(what string) *Registry { return gen.NewRegistry(what) }

// Default is the registry of feature generators; each generator file registers itself in init.
var Default = NewRegistry("feature")

// ConfigErrorf returns an error wrapping ErrConfig.
func ConfigErrorf(format string, args ...any) error { return gen.ConfigErrorf(format, args...) }
