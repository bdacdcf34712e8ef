// Package clock abstracts the wall clock so commands and the signal service can be tested with fixed time.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and sleeps.
type Clock interface {
	Now() time.Time
	// After waits for d; callers that must also honour a context use SleepContext.
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

// SleepContext waits for d on c and returns nil, or returns ctx.Err() as soon as ctx ends.
// A d <= 0 does not wait (and does not call c.After).
func SleepContext(ctx context.Context, c Clock, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	select {
	case <-c.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Fake is a manual clock for tests, safe for concurrent use: After(d) advances the time by d
// at once and records d, so code that sleeps runs instantly yet sees time pass.
type Fake struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

// NewFake returns a Fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// After records d, advances the time by d (if positive) and fires immediately.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	if d > 0 {
		f.t = f.t.Add(d)
	}
	t := f.t
	f.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- t
	return ch
}

// Advance moves the time forward by d without recording a sleep.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// Set moves the time to t without recording a sleep.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

// Sleeps returns a copy of the durations passed to After, in call order.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}
