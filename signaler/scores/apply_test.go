package scores_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/scores"
)

// TestApplyAcrossRestart feeds 20 bars through Apply with the band kept in the state
// database, reopening the database halfway and replaying the last 7 bars before the restart, and
// compares the outbox with the messages Decide gives when run without interruption.
func TestApplyAcrossRestart(t *testing.T) {
	c := parse(t, sample1min)
	score := []float64{0.001, 0.002, 0.006, 0.007, 0.02, 0.03, 0.03, -0.02, math.NaN(), -0.012, 0.012, 0, 0.001, 0.006, 0.006, 0.006, 0.011, 0.011, -0.006, -0.006}
	bars := make([]scores.Bar, len(score))
	for i, s := range score {
		bars[i] = bar("BTCUSDT", 50000+float64(i), open0.Add(time.Duration(i)*time.Minute), s)
	}
	ctx := context.Background()
	path := state.Path(t.TempDir())
	output := scores.OutputName(0)
	run := func(from, to int) {
		db, err := state.Open(ctx, path, state.Options{Clock: clock.Fixed{T: open0}})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i := from; i < to; i++ {
			err := db.Tick(ctx, func(tx *state.Tx) error {
				_, err := c.Apply(ctx, tx, output, bars[i])
				if math.IsNaN(score[i]) {
					return nil // a warning in the service; nothing stored
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run(0, 10)
	run(3, 20) // restart, replaying bars 3-9 (applied already: they change nothing)
	db, err := state.Open(ctx, path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, _ := db.Messages(ctx)
	var got []string
	for _, r := range rows {
		got = append(got, r.Text)
	}
	// Expected: Decide in one uninterrupted run.
	var wantHTML []string
	prev, has := 0, false
	for _, b := range bars {
		if d, err := c.Decide(b, prev, has); err == nil {
			if d.Send {
				wantHTML = append(wantHTML, d.Message.Format("HTML"))
			}
			prev, has = d.BandNo, true
		}
	}
	if !slices.Equal(got, wantHTML) || len(got) < 8 {
		t.Fatalf("outbox:\n%q\nwant:\n%q", got, wantHTML)
	}
}
