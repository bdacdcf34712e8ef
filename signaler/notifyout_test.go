package signaler

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
	"github.com/tradectl/tradectl/signaler/scores"
)

// TestScoreOutboxReplay replays 300 real bars with the score notifications enqueued in a state
// database: the messages are exactly those ITB's band rules give for the batch scores of the
// same bars, in order; replaying the same bars again (a restart) adds none. Alone and as two
// outputs of one tick's transaction, where each keeps its own place and both send every
// message, bar by bar.
func TestScoreOutboxReplay(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, 1200)
	models := fitModels(t, c, all[:700])
	saveModels(t, c.ModelPath(), models)
	replay := all[700-460 : 760]
	ctx := context.Background()
	cfg, err := scores.ParseConfig(c.OutputSets[0].Config, "output_sets[0].config")
	if err != nil {
		t.Fatal(err)
	}

	batch := batchRun(t, c, all[:760], models)
	sc, _ := batch.Col("trade_score")
	cl, _ := batch.Col("close")
	var want []string
	prev, has := 0, false
	for i := 700; i < 760; i++ {
		d, err := cfg.Decide(scores.Bar{Symbol: c.Symbol, Freq: c.Freq, Open: time.UnixMilli(batch.Time[i]).UTC(),
			Interval: time.Minute, Close: cl[i], Scores: []float64{sc[i]}}, prev, has)
		if err != nil {
			t.Fatal(err)
		}
		prev, has = d.BandNo, true
		if d.Send {
			want = append(want, d.Message.Format(notify.DefaultParseMode))
		}
	}
	if len(want) < 2 {
		t.Fatalf("only %d messages: the bars do not exercise the band rules", len(want))
	}
	outbox := func(i int) *ScoreOutbox {
		return &ScoreOutbox{Config: cfg, Output: scores.OutputName(i), Symbol: c.Symbol, Freq: c.Freq, Interval: time.Minute}
	}
	for _, tc := range []struct {
		name   string
		output func(db *state.DB) Output
		copies int
	}{
		{"alone", func(db *state.DB) Output {
			return &TxOutputs{DB: db, Outputs: []TxOutput{outbox(0)}, Symbol: c.Symbol, Freq: c.Freq}
		}, 1},
		{"two in one transaction", func(db *state.DB) Output {
			return &TxOutputs{DB: db, Outputs: []TxOutput{outbox(0), outbox(1)}, Symbol: c.Symbol, Freq: c.Freq}
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := state.Open(ctx, filepath.Join(t.TempDir(), state.FileName), state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			run := func() {
				l, _ := newReplay(t, c, replay, nil)
				l.opt.Output = tc.output(db)
				if err := l.Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
			run()
			var wantAll []string
			for _, w := range want {
				for range tc.copies {
					wantAll = append(wantAll, w)
				}
			}
			check := func(when string) {
				msgs, err := db.Messages(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) != len(wantAll) {
					t.Fatalf("%s: %d messages enqueued, want %d", when, len(msgs), len(wantAll))
				}
				for i, m := range msgs {
					if m.Text != wantAll[i] {
						t.Fatalf("%s: message %d %q, want %q", when, i, m.Text, wantAll[i])
					}
				}
			}
			check("first run")
			run()
			check("replayed again")
		})
	}
}
