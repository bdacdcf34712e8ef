// Package ops makes the signal service observable: a Registry the loop records its ticks,
// bars, errors and counters into, and an HTTP Server that exposes them as /healthz (JSON,
// 503 when the data is stale) and /metrics (Prometheus text format, written by hand).
//
// The package depends on no signaler type: the loop hands it plain values (times, errors,
// counts) and two optional sources polled at scrape time (exchange request weight and
// notification counts), so it can be wired in without a cycle.
package ops

import (
	"sync"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

// DefaultBuckets are the upper bounds (seconds) of the tick duration histogram: a tick's
// compute is a few milliseconds, a tick that fetches from the exchange can take seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Notifications are the outbox's delivery counts.
type Notifications struct {
	// Sent and Failed count deliveries since the process started (Failed: attempts that did
	// not deliver, retried or rejected); Queued is the number of messages still pending.
	Sent, Failed, Queued int64
}

// Registry collects the service's health and metrics. It is safe for concurrent use; the
// zero value is not usable, call NewRegistry.
type Registry struct {
	clk      clock.Clock
	interval time.Duration
	buckets  []float64

	mu          sync.Mutex
	ticks       uint64
	tickStarted time.Time // start of the last tick (zero: none yet)
	tickEnded   time.Time // end of the last finished tick
	lastBar     time.Time // open time of the newest closed bar
	lastErr     string
	lastErrAt   time.Time
	fetchErrors uint64
	reloads     uint64
	weight      int
	notes       Notifications
	counts      []uint64 // per bucket (not cumulative), len(buckets)+1 (the last is +Inf)
	durSum      float64
	weightSrc   func() int
	notesSrc    func() Notifications
}

// NewRegistry returns a Registry timing with clk (nil: the system clock) for bars of the
// given interval (the config's freq), which sets the staleness limit (see Stale).
func NewRegistry(clk clock.Clock, interval time.Duration) *Registry {
	if clk == nil {
		clk = clock.System{}
	}
	return &Registry{clk: clk, interval: interval, buckets: DefaultBuckets, counts: make([]uint64, len(DefaultBuckets)+1)}
}

// SetWeightSource makes scrapes read the exchange request weight from f, for example
// (*exchange.Transport).UsedWeight. It replaces values given to SetWeight.
func (r *Registry) SetWeightSource(f func() int) {
	r.mu.Lock()
	r.weightSrc = f
	r.mu.Unlock()
}

// SetNotificationSource makes scrapes read the notification counts from f (it is called
// outside the registry's lock and may query the state database). It replaces SetNotifications.
func (r *Registry) SetNotificationSource(f func() Notifications) {
	r.mu.Lock()
	r.notesSrc = f
	r.mu.Unlock()
}

// TickStarted records the start of a tick and returns its start time, to pass to TickDone.
func (r *Registry) TickStarted() time.Time {
	now := r.clk.Now()
	r.mu.Lock()
	r.tickStarted = now
	r.mu.Unlock()
	return now
}

// TickDone records the end of the tick that started at start: it counts the tick, observes
// its duration and, when err is not nil, records it as the last error. A nil err leaves the
// last error in place (health shows when it happened).
func (r *Registry) TickDone(start time.Time, err error) {
	now := r.clk.Now()
	d := max(now.Sub(start).Seconds(), 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks++
	r.tickEnded = now
	r.durSum += d
	r.counts[bucketIndex(r.buckets, d)]++
	if err != nil {
		r.lastErr, r.lastErrAt = err.Error(), now
	}
}

// bucketIndex returns the first bucket whose upper bound is >= v (len(b) for +Inf).
func bucketIndex(b []float64, v float64) int {
	for i, ub := range b {
		if v <= ub {
			return i
		}
	}
	return len(b)
}

// BarClosed records open, the open time (the data's timestamp) of the newest closed bar. An
// older time than the one recorded is ignored, so a replayed overlap cannot move it back.
func (r *Registry) BarClosed(open time.Time) {
	r.mu.Lock()
	if open.After(r.lastBar) {
		r.lastBar = open
	}
	r.mu.Unlock()
}

// FetchError counts a failed exchange request and records err as the last error.
func (r *Registry) FetchError(err error) {
	now := r.clk.Now()
	r.mu.Lock()
	r.fetchErrors++
	if err != nil {
		r.lastErr, r.lastErrAt = err.Error(), now
	}
	r.mu.Unlock()
}

// ModelReloaded counts a model set reloaded while serving.
func (r *Registry) ModelReloaded() {
	r.mu.Lock()
	r.reloads++
	r.mu.Unlock()
}

// SetWeight records the last X-MBX-USED-WEIGHT-1M value, when no weight source is set.
func (r *Registry) SetWeight(w int) {
	r.mu.Lock()
	r.weight = w
	r.mu.Unlock()
}

// SetNotifications records the outbox counts, when no notification source is set.
func (r *Registry) SetNotifications(n Notifications) {
	r.mu.Lock()
	r.notes = n
	r.mu.Unlock()
}

// Stale reports whether data whose newest closed bar opened at lastBarOpen is stale at now:
// the bar closed (lastBarOpen+interval) more than two intervals ago, i.e. at least two bars
// that should have closed are missing. A zero lastBarOpen (no bar yet) is stale.
func Stale(lastBarOpen time.Time, interval time.Duration, now time.Time) bool {
	if lastBarOpen.IsZero() {
		return true
	}
	return Lag(lastBarOpen, interval, now) > 2*interval
}

// Lag is how long ago the bar that opened at lastBarOpen closed.
func Lag(lastBarOpen time.Time, interval time.Duration, now time.Time) time.Duration {
	return now.Sub(lastBarOpen.Add(interval))
}

// Snapshot is a consistent copy of the registry at one instant.
type Snapshot struct {
	Now                   time.Time
	Interval              time.Duration
	Ticks                 uint64
	TickStarted, TickDone time.Time
	LastBar               time.Time
	LastError             string
	LastErrorAt           time.Time
	FetchErrors           uint64
	ModelReloads          uint64
	Weight                int
	Notifications         Notifications
	// Buckets are the histogram's upper bounds; Counts are cumulative, one per bucket plus
	// the +Inf bucket (the last, equal to Ticks).
	Buckets     []float64
	Counts      []uint64
	DurationSum float64
}

// Snapshot copies the registry's state, polling the weight and notification sources.
func (r *Registry) Snapshot() Snapshot {
	r.mu.Lock()
	ws, ns := r.weightSrc, r.notesSrc
	r.mu.Unlock()
	var w int
	var n Notifications
	if ws != nil {
		w = ws()
	}
	if ns != nil {
		n = ns()
	}
	now := r.clk.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if ws == nil {
		w = r.weight
	}
	if ns == nil {
		n = r.notes
	}
	s := Snapshot{
		Now: now, Interval: r.interval, Ticks: r.ticks, TickStarted: r.tickStarted, TickDone: r.tickEnded,
		LastBar: r.lastBar, LastError: r.lastErr, LastErrorAt: r.lastErrAt, FetchErrors: r.fetchErrors,
		ModelReloads: r.reloads, Weight: w, Notifications: n, Buckets: r.buckets,
		Counts: make([]uint64, len(r.counts)), DurationSum: r.durSum,
	}
	var cum uint64
	for i, c := range r.counts {
		cum += c
		s.Counts[i] = cum
	}
	return s
}
