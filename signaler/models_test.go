package signaler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/tradectl/tradectl/check"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/train"
)

// TestModelReloadWhileServing rewrites the model folder while a replay is served: a
// half-written set (manifest removed, one new file) is never used, the completed set is
// picked up at the next tick, and a manifest naming a file that is not the one it lists
// (a mixed set) is refused while the last good set keeps serving. Scores are checked against
// batch runs with each set.
func TestModelReloadWhileServing(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, day+360)
	setA := fitModels(t, c, all[:day/2])
	setB := fitModels(t, c, all[day/2:day])
	folder := c.ModelPath()
	saveModels(t, folder, setA)
	w := c.PredictLength + c.FeaturesHorizon
	replay := all[day-w:]
	ticks := len(replay) - w

	const halfAt, completeAt, mixAt = 100, 200, 300
	rec := &recorder{}
	rec.hook = func(r *Result) {
		switch len(rec.results) {
		case halfAt: // a training run writes its first model file, no manifest yet
			if err := train.BeginModelSet(folder); err != nil {
				t.Error(err)
			}
			if err := setB[0].Save(folder); err != nil {
				t.Error(err)
			}
		case completeAt:
			saveModels(t, folder, setB)
		case mixAt: // a manifest whose second file was replaced by the old set's
			saveModels(t, folder, setA)
			if err := setB[1].Save(folder); err != nil {
				t.Error(err)
			}
		}
	}
	l, _ := newReplay(t, c, replay, rec)
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.results) != ticks {
		t.Fatalf("%d ticks, want %d", len(rec.results), ticks)
	}
	scoresA, scoresB := batchRun(t, c, all, setA), batchRun(t, c, all, setB)
	for k, r := range rec.results {
		wantGen, want := 1, scoresA
		if k >= completeAt { // the tick after the hook at completeAt
			wantGen, want = 2, scoresB
		}
		if r.ModelGeneration != wantGen {
			t.Fatalf("tick %d: model generation %d, want %d", k, r.ModelGeneration, wantGen)
		}
		compareRow(t, k, r.Rows, want, []string{"high_02_lc", "low_02_lc", "trade_score"})
	}
	if g := l.Models().Generation; g != 2 {
		t.Fatalf("after the mixed set the generation is %d, want 2", g)
	}
	_, err := l.Models().Refresh()
	if !errors.Is(err, ErrModelsNotReloaded) || !errors.Is(err, train.ErrModelSet) {
		t.Fatalf("refresh of a mixed set: %v, want ErrModelsNotReloaded wrapping train.ErrModelSet", err)
	}
}

// TestModelStartRefusesHalfWrittenSet: without a manifest (a training run in progress) the
// service does not start.
func TestModelStartRefusesHalfWrittenSet(t *testing.T) {
	c := writeConfig(t, fmt.Sprintf(parityConfig, 400, 60))
	all := realBars(t, 700)
	saveModels(t, c.ModelPath(), fitModels(t, c, all))
	if err := os.Remove(c.ModelPath() + "/" + train.ManifestName); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{Config: c, Feeder: &ReplayFeeder{}})
	if !errors.Is(err, train.ErrModelSet) {
		t.Fatalf("New: %v, want train.ErrModelSet", err)
	}
}

// compareRow checks the named columns of the one-row frame got against the batch row at the
// same time.
func compareRow(t *testing.T, tick int, got, batch *frame.Frame, cols []string) {
	t.Helper()
	i := -1
	for j, ts := range batch.Time {
		if ts == got.Time[0] {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("tick %d: row %s not in the batch run", tick, frame.FormatTime(got.Time[0]))
	}
	for _, name := range cols {
		g, _ := got.Col(name)
		b, _ := batch.Col(name)
		if !check.Equal(g[0], b[i], 1e-9) {
			t.Fatalf("tick %d (%s) %s: online %v, batch %v", tick, frame.FormatTime(got.Time[0]), name, g[0], b[i])
		}
	}
}
