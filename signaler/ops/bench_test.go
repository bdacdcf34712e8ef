package ops

import (
	"io"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
)

// BenchmarkRecordTick is what the loop pays per tick for its bookkeeping.
func BenchmarkRecordTick(b *testing.B) {
	r := NewRegistry(clock.System{}, time.Minute)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := r.TickStarted()
		r.BarClosed(t0.Add(time.Duration(i) * time.Minute))
		r.TickDone(s, nil)
	}
}

// BenchmarkWriteMetrics is one /metrics scrape without the network.
func BenchmarkWriteMetrics(b *testing.B) {
	r := NewRegistry(clock.System{}, time.Minute)
	r.TickDone(r.TickStarted(), nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteMetrics(io.Discard, r.Snapshot()); err != nil {
			b.Fatal(err)
		}
	}
}
