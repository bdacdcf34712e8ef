// Package clock abstracts the wall clock so commands and the signal service can be tested with fixed time.
package clock

import "time"

// Clock tells the time and sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until the channel-less caller's context ends; see SleepContext.
	After(d time.Duration) <-chan time.Time
}

// System is the real clock.
type System struct{}

// Now returns the current UTC time.
func (System) Now() time.Time { return time.Now().UTC() }

// After waits for d on the real clock.
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Fixed is a clock frozen at T whose After fires at once; tests use it to avoid real waits.
type Fixed struct{ T time.Time }

// Now returns T.
func (c Fixed) Now() time.Time { return c.T }

// After fires immediately.
func (c Fixed) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.T
	return ch
}
