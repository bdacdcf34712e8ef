//go:build !linux

package signaler

import "time"

// processCPU is not measured off Linux.
func processCPU() time.Duration { return 0 }
