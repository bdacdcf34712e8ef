//go:build !linux

package frame

// adviseHuge does nothing outside Linux.
func adviseHuge([]float64) {}
