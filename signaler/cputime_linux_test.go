//go:build linux

package signaler

import (
	"syscall"
	"time"
)

// processCPU is the CPU time of the process, all threads (GC included), which, unlike the wall
// clock, does not count the time spent waiting for a core on a loaded machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
