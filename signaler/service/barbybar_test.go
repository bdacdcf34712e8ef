package service

import (
	"context"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/signaler"
)

// nowLog is an Output and a Warmer recording the time and rows of what it is given.
type nowLog struct {
	got    []tickRun
	warmed int
}

func (n *nowLog) Publish(_ context.Context, r *signaler.Result) error {
	n.got = append(n.got, tickRun{Now: r.Now, Rows: append([]int64(nil), r.Rows.Time...)})
	return nil
}

func (n *nowLog) Warm(_ context.Context, r *signaler.Result) error {
	n.warmed += r.Rows.Len()
	return nil
}

// TestBarByBar: each row goes on alone, at its close plus the settle delay (the time of the
// live tick that hands it on), whatever the result's own time; Warm passes the whole result.
func TestBarByBar(t *testing.T) {
	t0 := time.Date(2024, 1, 11, 23, 58, 0, 0, time.UTC)
	rows := func(n int) *frame.Frame {
		ts := make([]int64, n)
		for i := range ts {
			ts[i] = t0.Add(time.Duration(i) * time.Minute).UnixMilli()
		}
		return frame.New(ts)
	}
	for _, tc := range []struct {
		name string
		n    int
		now  time.Time
	}{
		{"a live tick", 1, t0.Add(time.Minute + time.Second)},
		{"a catch-up across midnight", 4, t0.Add(5*time.Minute + 30*time.Second)},
		{"no rows", 0, t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &nowLog{}
			b := barByBar{out: rec, step: time.Minute, settle: time.Second}
			r := &signaler.Result{Now: tc.now, Rows: rows(tc.n)}
			if err := b.Publish(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != tc.n {
				t.Fatalf("%d results, want %d", len(rec.got), tc.n)
			}
			for i, g := range rec.got {
				open := t0.Add(time.Duration(i) * time.Minute)
				if want := open.Add(time.Minute + time.Second); !g.Now.Equal(want) || len(g.Rows) != 1 || g.Rows[0] != open.UnixMilli() {
					t.Fatalf("result %d: at %s with rows %v, want bar %s alone at %s", i, g.Now, g.Rows, open, want)
				}
			}
			if err := b.Warm(context.Background(), r); err != nil || rec.warmed != tc.n {
				t.Fatalf("Warm passed %d rows (%v), want %d", rec.warmed, err, tc.n)
			}
		})
	}
}
