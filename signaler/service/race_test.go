//go:build race

package service

import "time"

// maxLatency: under the race detector a tick computes ten times slower, so only the settle
// delay plus a generous bound is checked; the 2 s figure is measured without it.
const maxLatency = 6 * time.Second
