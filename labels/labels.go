// Package labels is where label columns are born: the generators named in a config's
// label_sets (highlow2, highlow, topbot2). Labels look forward in time, so they are computed
// in batch only and the last rows of a series carry no real label (see Horizoner).
//
// Each generator is also available as a plain kernel over float64 slices (HighLow2, HighLow,
// TopBot2); the generators are thin wrappers that read frame columns and name the results.
// Boolean labels are frame.Bool columns holding 0 or 1, never NaN.
//
// Config objects (label_sets[].config); thresholds, tolerances and names also accept a single
// value in place of a one-element list:
//
//	highlow2 {columns:[ref, up, down], function:"high"|"low", thresholds:[pct...], tolerance, horizon, names:[one per threshold]}
//	highlow  {horizon}  (inputs close, high, low; fixed outputs, see HighLowNames)
//	topbot2  {columns:"close", function:"top"|"bot", level, tolerances:[fractions of level], names:[one per tolerance]}
//
// Unknown keys, missing keys and values of the wrong type or range are errors wrapping
// gen.ErrConfig that name the key.
package labels

import (
	"github.com/tradectl/tradectl/internal/gen"
)

// Default is the registry of label generators; each generator file registers itself in init.
var Default = gen.NewRegistry("label")

// Horizoner is implemented by every label generator. Horizon is the number of future rows a
// label reads (config label_horizon must be >= it); -1 means the label depends on the whole
// series, past and future (topbot2), so no finite label_horizon makes its tail rows final.
type Horizoner interface {
	Horizon() int
}

func init() {
	Default.Register("highlow2", newHighLow2)
	Default.Register("highlow", newHighLow)
	Default.Register("topbot2", newTopBot2)
}
