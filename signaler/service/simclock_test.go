package service

import (
	"sync"
	"time"
)

// simClock is the simulated time that the service, the fake exchange and the fake Telegram
// share. It jumps over idle time and runs at real speed while something is busy, so a
// message's time at the fake Telegram minus its bar's close time is the settle delay plus
// the real time the tick and the delivery took.
//
// Time moves forward in two ways: between jumps it follows the real clock; when the loop
// sleeps (the loop view's After), the clock first waits until the rest of the service is
// quiet (idle reports it: no message due and nothing in flight), then jumps from one
// delivery timer to the next, waiting for quiet after each, and finally to the loop's wake-up
// time. The deliverer (the delivery view) never jumps time: its timers fire when time
// reaches them.
type simClock struct {
	mu     sync.Mutex
	base   time.Time // simulated time at realAt
	realAt time.Time
	timers []simTimer // delivery timers not fired yet
	// idle reports whether the service outside the loop is quiet at now: it is polled
	// before each jump (set before the service starts).
	idle func(now time.Time, timerPending bool) bool
	// onSleep, if set, is called in the loop's goroutine each time the loop sleeps, before
	// time moves (the health probes of the exchange-outage test).
	onSleep func(now time.Time)
	stop    chan struct{}
	stopped sync.Once
	// stuck counts quiet waits that gave up (the service never became quiet in time).
	stuck int
}

type simTimer struct {
	at time.Time
	ch chan time.Time
}

// newSimClock starts the clock at t with a goroutine firing delivery timers that real time
// reached; Close stops it.
func newSimClock(t time.Time) *simClock {
	c := &simClock{base: t, realAt: time.Now(), stop: make(chan struct{})}
	go func() {
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tk.C:
				c.mu.Lock()
				c.fireLocked(c.nowLocked())
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// Close stops the timer goroutine.
func (c *simClock) Close() { c.stopped.Do(func() { close(c.stop) }) }

// Now is the simulated time.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

// stuckCount is how many quiet waits gave up.
func (c *simClock) stuckCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stuck
}

// within reports whether the time is in [from, to).
func (c *simClock) within(from, to time.Time) bool {
	now := c.Now()
	return !now.Before(from) && now.Before(to)
}

func (c *simClock) nowLocked() time.Time { return c.base.Add(time.Since(c.realAt)) }

// setLocked moves the time to t (never backwards).
func (c *simClock) setLocked(t time.Time) {
	if now := c.nowLocked(); t.After(now) {
		c.base, c.realAt = t, time.Now()
	}
}

// Set moves the time to t (never backwards), e.g. for a restart after a downtime.
func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	c.setLocked(t)
	c.fireLocked(c.nowLocked())
	c.mu.Unlock()
}

// fireLocked fires the delivery timers due at now.
func (c *simClock) fireLocked(now time.Time) {
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(now) {
			keep = append(keep, t)
			continue
		}
		t.ch <- now
	}
	c.timers = keep
}

// earliestLocked is the first pending delivery timer (ok false when there is none).
func (c *simClock) earliestLocked() (time.Time, bool) {
	var first time.Time
	for _, t := range c.timers {
		if first.IsZero() || t.at.Before(first) {
			first = t.at
		}
	}
	return first, !first.IsZero()
}

// quiet polls idle until it reports quiet (at most 10 s of real time). Once a wait gave up,
// later ones do not wait: the test fails (env checks stuck) instead of hanging.
func (c *simClock) quiet() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		stuck := c.stuck > 0
		c.mu.Unlock()
		if stuck {
			return
		}
		c.mu.Lock()
		now := c.nowLocked()
		c.fireLocked(now)
		_, pending := c.earliestLocked()
		c.mu.Unlock()
		if c.idle == nil || c.idle(now, pending) {
			return
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			c.stuck++
			c.mu.Unlock()
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// advance moves the time to target, stopping at each delivery timer before it and letting
// the service settle there.
func (c *simClock) advance(target time.Time) time.Time {
	for {
		c.quiet()
		c.mu.Lock()
		at, ok := c.earliestLocked()
		if !ok || at.After(target) {
			c.setLocked(target)
			now := c.nowLocked()
			c.fireLocked(now)
			c.mu.Unlock()
			return now
		}
		c.setLocked(at)
		c.fireLocked(c.nowLocked())
		c.mu.Unlock()
	}
}

// Loop is the view the loop (and the exchange client, in the loop's goroutine) sleeps on.
func (c *simClock) Loop() loopView { return loopView{c} }

// Delivery is the view the outbox deliverer and the state database use.
func (c *simClock) Delivery() deliveryView { return deliveryView{c} }

type loopView struct{ c *simClock }

func (v loopView) Now() time.Time { return v.c.Now() }

// After lets the service settle, then jumps to now+d (through the delivery timers before it).
func (v loopView) After(d time.Duration) <-chan time.Time {
	now := v.c.Now()
	if v.c.onSleep != nil {
		v.c.onSleep(now)
	}
	ch := make(chan time.Time, 1)
	// The loop computed d from a Now a few microseconds earlier: aim at the millisecond.
	ch <- v.c.advance(now.Add(max(d, 0)).Truncate(time.Millisecond))
	return ch
}

type deliveryView struct{ c *simClock }

func (v deliveryView) Now() time.Time { return v.c.Now() }

// After fires when the time reaches now+d.
func (v deliveryView) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	now := v.c.nowLocked()
	if d <= 0 {
		ch <- now
		return ch
	}
	v.c.timers = append(v.c.timers, simTimer{at: now.Add(d), ch: ch})
	return ch
}
