package signaler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/state"
)

// enqueuer is a TxOutput that enqueues one message per tick keyed by its name and the last
// bar, then fails when told to or cancels the tick's context.
type enqueuer struct {
	name      string
	fail      bool
	cancel    context.CancelFunc
	rollbacks int
}

func (e *enqueuer) PublishTx(ctx context.Context, tx *state.Tx, r *Result) error {
	key := fmt.Sprintf("%s@%d", e.name, r.Rows.Time[r.Last()])
	if _, _, err := tx.Enqueue(ctx, state.Notification{Kind: state.KindText, Text: key, DedupKey: key}); err != nil {
		return err
	}
	if e.cancel != nil {
		e.cancel()
	}
	if e.fail {
		return errors.New(e.name + " failed")
	}
	return nil
}

func (e *enqueuer) Rollback(context.Context) error { e.rollbacks++; return nil }

// TestTxOutputs checks the tick's one transaction: an output that fails is undone alone, the
// stale trader is skipped, and a tick that cannot commit leaves nothing, not even the
// progress, and makes every output rebuild its memory.
func TestTxOutputs(t *testing.T) {
	bar := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	res := func(stale bool) *Result { return &Result{Rows: frame.New([]int64{bar.UnixMilli()}), Stale: stale} }
	cases := []struct {
		name     string
		fail     string // output that returns an error
		cancel   bool   // the first output cancels the tick (the commit fails)
		stale    bool
		wantKeys []string
		progress bool
		rollback map[string]int
	}{
		{name: "all", wantKeys: []string{"a", "b", "trader"}, progress: true},
		{name: "one fails", fail: "b", wantKeys: []string{"a", "trader"}, progress: true, rollback: map[string]int{"b": 1}},
		{name: "stale", stale: true, wantKeys: []string{"a", "b"}, progress: true},
		{name: "commit fails", cancel: true, rollback: map[string]int{"a": 1, "b": 1, "trader": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, err := state.Open(context.Background(), filepath.Join(t.TempDir(), state.FileName), state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, b, tr := &enqueuer{name: "a"}, &enqueuer{name: "b"}, &enqueuer{name: "trader"}
			for _, e := range []*enqueuer{a, b, tr} {
				e.fail = e.name == tc.fail
			}
			if tc.cancel {
				a.cancel = cancel
			}
			woke := 0
			o := &TxOutputs{DB: db, Outputs: []TxOutput{a, b}, Trader: tr, Symbol: "BTCUSDT", Freq: "1min", Wake: func() { woke++ }}
			err = o.Publish(ctx, res(tc.stale))
			if (err != nil) != (tc.fail != "" || tc.cancel) {
				t.Fatalf("error %v", err)
			}
			msgs, err := db.Messages(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, m := range msgs {
				keys = append(keys, m.DedupKey[:len(m.DedupKey)-len(fmt.Sprintf("@%d", bar.UnixMilli()))])
			}
			if fmt.Sprint(keys) != fmt.Sprint(tc.wantKeys) {
				t.Errorf("stored %v, want %v", keys, tc.wantKeys)
			}
			last, ok, err := o.LastBar(context.Background())
			if err != nil || ok != tc.progress || (ok && !last.Equal(bar)) {
				t.Errorf("progress %v %v %v, want %v", last, ok, err, tc.progress)
			}
			for _, e := range []*enqueuer{a, b, tr} {
				if e.rollbacks != tc.rollback[e.name] {
					t.Errorf("%s rolled back %d times, want %d", e.name, e.rollbacks, tc.rollback[e.name])
				}
			}
			if woke != 1 {
				t.Errorf("woke %d times", woke)
			}
			if !tc.progress {
				return
			}
			// A replayed earlier bar (a replay restarted at its cold start) leaves the progress.
			earlier := &Result{Rows: frame.New([]int64{bar.Add(-time.Hour).UnixMilli()})}
			if err := (&TxOutputs{DB: db, Symbol: "BTCUSDT", Freq: "1min"}).Publish(ctx, earlier); err != nil {
				t.Fatal(err)
			}
			if last, _, _ := o.LastBar(context.Background()); !last.Equal(bar) {
				t.Errorf("progress went back to %v", last)
			}
		})
	}
}

// failAt is an enqueuer that fails at one bar.
type failAt struct {
	enqueuer
	at int64
}

func (f *failAt) PublishTx(ctx context.Context, tx *state.Tx, r *Result) error {
	f.fail = r.Rows.Time[r.Last()] == f.at
	return f.enqueuer.PublishTx(ctx, tx, r)
}

// TestTxOutputsCatchUpRowByRow: a result of several rows (a catch-up) reaches the outputs one
// row at a time, so their messages interleave as live ticks' would; an output that fails at a
// row keeps the rows before it and is given no later row of the tick.
func TestTxOutputsCatchUpRowByRow(t *testing.T) {
	ctx := context.Background()
	db, err := state.Open(ctx, filepath.Join(t.TempDir(), state.FileName), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := &enqueuer{name: "a"}, &failAt{enqueuer: enqueuer{name: "b"}, at: 3}
	o := &TxOutputs{DB: db, Outputs: []TxOutput{a, b}, Symbol: "BTCUSDT", Freq: "1min"}
	if err := o.Publish(ctx, &Result{Rows: frame.New([]int64{1, 2, 3, 4})}); err == nil {
		t.Fatal("b's failure was not returned")
	}
	msgs, err := db.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range msgs {
		keys = append(keys, m.DedupKey)
	}
	if want := "[a@1 b@1 a@2 b@2 a@3 a@4]"; fmt.Sprint(keys) != want {
		t.Errorf("stored %v, want %s", keys, want)
	}
	if b.rollbacks != 1 || a.rollbacks != 0 {
		t.Errorf("rollbacks a %d, b %d; want 0, 1", a.rollbacks, b.rollbacks)
	}
}
