//go:build !race

package service

import "time"

// maxLatency is the bound: a bar's notification leaves within 2 s of its close (the
// settle second plus the tick's compute and the delivery).
const maxLatency = 2 * time.Second
