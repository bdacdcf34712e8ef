package clock

import (
	"testing"
	"time"
)

func TestScaled(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		speed         float64
		wait          time.Duration
		minReal, maxR time.Duration
	}{
		{"speed 0 does not wait", 0, time.Hour, 0, 50 * time.Millisecond},
		{"speed 600: a minute in 100 ms", 600, time.Minute, 100 * time.Millisecond, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Scaled{Fake: NewFake(t0), Speed: tc.speed}
			start := time.Now()
			got := <-c.After(tc.wait)
			real := time.Since(start)
			if real < tc.minReal || real > tc.maxR {
				t.Fatalf("waited %v of real time, want %v..%v", real, tc.minReal, tc.maxR)
			}
			if want := t0.Add(tc.wait); !got.Equal(want) || !c.Now().Equal(want) {
				t.Fatalf("fired at %v, now %v, want %v", got, c.Now(), want)
			}
		})
	}
}
