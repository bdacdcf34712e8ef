//go:build !linux

package frame

// adviseHuge does nothing outside Linux.
func adviseHuge([]float64) {}

// makeHuge returns a zeroed slice of n values.
func makeHuge(n int) []float64 { return make([]float64, n) }
