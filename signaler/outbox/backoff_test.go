package outbox

import (
	"testing"
	"time"
)

func TestBackoffBoundsAndSeed(t *testing.T) {
	cfg := Config{Seed: 42, MinBackoff: time.Second, MaxBackoff: 30 * time.Second}
	a, b, c := New(nil, nil, cfg), New(nil, nil, cfg), New(nil, nil, Config{Seed: 43, MinBackoff: time.Second, MaxBackoff: 30 * time.Second})
	bounds := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30, 30, 30}
	same, differs := true, false
	for n := 1; n <= 200; n++ {
		bound := bounds[min(n, len(bounds))-1] * time.Second
		x, y, z := a.backoff(n), b.backoff(n), c.backoff(n)
		if x < bound/2 || x > bound {
			t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, x, bound/2, bound)
		}
		same = same && x == y
		differs = differs || x != z
	}
	if !same || !differs {
		t.Fatalf("same seed same waits: %v; another seed other waits: %v", same, differs)
	}
	if d := New(nil, nil, Config{MinBackoff: time.Nanosecond}); d.cfg.MinBackoff != time.Millisecond {
		t.Fatalf("MinBackoff %v, want raised to 1ms", d.cfg.MinBackoff)
	}
}
