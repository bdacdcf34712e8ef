package clock

import "time"

// Scaled is a Fake clock that runs Speed times faster than real time: After(d) waits d/Speed
// on the real clock, then advances the fake time by d. Replays (`signal serve --replay
// --speed N`) use it; a Speed <= 0 does not wait at all (the Fake clock itself).
type Scaled struct {
	*Fake
	Speed float64
}

// After waits d/Speed in real time, then advances the time by d and fires.
func (s Scaled) After(d time.Duration) <-chan time.Time {
	if s.Speed <= 0 || d <= 0 {
		return s.Fake.After(d)
	}
	ch := make(chan time.Time, 1)
	time.AfterFunc(time.Duration(float64(d)/s.Speed), func() { ch <- <-s.Fake.After(d) })
	return ch
}
