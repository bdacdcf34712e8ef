package trades

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/diagram"
)

// TestDiagramDrawsTheTradersFills wires the trader as the diagram's mark source on a real
// day: at the next midnight the diagram is enqueued, drawn over the day with the day's fills.
// DIAGRAM_OUT=dir keeps the PNG for a look.
func TestDiagramDrawsTheTradersFills(t *testing.T) {
	ctx := context.Background()
	tp := realTape(t)
	db := openDB(t, state.Path(t.TempDir()))
	defer db.Close()
	tr, err := Open(ctx, cfgOf(backtest.DefaultModel()), db)
	if err != nil {
		t.Fatal(err)
	}
	score := backtest.MeanDistance(tp.bars.Close, 30, 1)
	dg, err := diagram.New(diagram.Config{Name: "diagram#0", Freq: time.Minute, NotificationFreq: 24 * time.Hour,
		ResamplingFreq: 5 * time.Minute, NRows: 288, Score: "trade_score",
		Chart: diagram.Chart{Symbol: "BTCUSDT", Description: "paper trades 2024-01-01", Thresholds: []float64{-0.0015, 0.0015}}}, db, tr)
	if err != nil {
		t.Fatal(err)
	}
	out := signaler.Outputs{tr, dg}
	for i := 0; i < tp.bars.Len(); i += 10 {
		j := min(i+10, tp.bars.Len())
		f := tp.frame(t, i, j)
		if err := f.Set("trade_score", 0, score[i:j]); err != nil {
			t.Fatal(err)
		}
		if err := out.Publish(ctx, &signaler.Result{Now: time.UnixMilli(tp.bars.Time[j-1] + minute + 1000).UTC(), Rows: f}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := db.Messages(ctx)
	var photo []byte
	for _, m := range msgs {
		if m.Kind == state.KindPhoto {
			if photo != nil {
				t.Fatal("two diagrams in one day")
			}
			photo = m.Photo
		}
	}
	if photo == nil {
		t.Fatal("no diagram at midnight")
	}
	if _, err := png.Decode(bytes.NewReader(photo)); err != nil {
		t.Fatal(err)
	}
	marks, _ := marksOf(ctx, db, tr, tp.bars.Time[0], tp.bars.Time[tp.bars.Len()-1]+minute)
	if len(marks) < 10 {
		t.Errorf("%d marks on the day", len(marks))
	}
	if dir := os.Getenv("DIAGRAM_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "paper.png"), photo, 0o644)
	}
}
