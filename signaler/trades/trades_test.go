package trades

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
	"github.com/tradectl/tradectl/signaler/diagram"
)

const minute = int64(60_000)

var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// tape is bars with their buy and sell flags.
type tape struct {
	bars      backtest.Bars
	buy, sell []float64
}

func (tp *tape) add(t int64, o, h, l, c float64, buy, sell bool) {
	b := &tp.bars
	b.Time, b.Open, b.High, b.Low, b.Close = append(b.Time, t), append(b.Open, o), append(b.High, h), append(b.Low, l), append(b.Close, c)
	flag := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	tp.buy, tp.sell = append(tp.buy, flag(buy)), append(tp.sell, flag(sell))
}

// frame returns rows [i, j) as the loop hands them over.
func (tp *tape) frame(t testing.TB, i, j int) *frame.Frame {
	f := frame.New(tp.bars.Time[i:j])
	for name, v := range map[string][]float64{"open": tp.bars.Open, "high": tp.bars.High, "low": tp.bars.Low,
		"close": tp.bars.Close, "buy_signal": tp.buy, "sell_signal": tp.sell} {
		if err := f.Set(name, frame.Float, v[i:j]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (tp *tape) signals() []backtest.Signal {
	out := make([]backtest.Signal, len(tp.buy))
	for i := range out {
		out[i] = backtest.Decide(tp.buy[i] == 1, tp.sell[i] == 1)
	}
	return out
}

// realTape is one day (2024-01-01) of real BTCUSDT 1m bars with threshold signals on a price score.
func realTape(t testing.TB) *tape {
	kl := sharedtest.ReadKlines(t, "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", 1440)
	tp := &tape{}
	var closes []float64
	for _, k := range kl {
		closes = append(closes, k.Float(t, 3))
	}
	score := backtest.MeanDistance(closes, 30, 1000)
	for i, k := range kl {
		tp.add(k.OpenTime, k.Float(t, 0), k.Float(t, 1), k.Float(t, 2), closes[i], score[i] <= -1.5, score[i] >= 1.5)
	}
	return tp
}

// marksOf reads the trader's marks in [from, to) in a read transaction.
func marksOf(ctx context.Context, db *state.DB, tr *Trader, from, to int64) (marks []diagram.Mark, err error) {
	err = db.View(ctx, func(tx *state.Tx) error {
		marks, err = tr.Marks(ctx, tx, from, to)
		return err
	})
	return marks, err
}

func openDB(t testing.TB, path string) *state.DB {
	db, err := state.Open(context.Background(), path, state.Options{Clock: clock.Fixed{T: time.UnixMilli(day0)}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func cfgOf(m backtest.Model) Config {
	return Config{Name: "trader_simulation#0", Buy: "buy_signal", Sell: "sell_signal", Model: m}
}

// feed publishes rows [from, to) in ticks of 1..maxRows rows, each tick repeating the
// previous tick's last row (the loop's overlap), as the service would.
func feed(t testing.TB, tr *Trader, tp *tape, from, to, maxRows int) {
	ctx := context.Background()
	for i, k := from, 0; i < to; k++ {
		j := min(i+1+k%maxRows, to)
		lo := max(i-1, 0)
		r := &signaler.Result{Now: time.UnixMilli(tp.bars.Time[j-1] + minute).UTC(), Rows: tp.frame(t, lo, j)}
		if err := tr.Publish(ctx, r); err != nil {
			t.Fatalf("rows %d..%d: %v", lo, j, err)
		}
		i = j
	}
}

func models() map[string]backtest.Model {
	nextOpen := backtest.DefaultModel()
	closeFill := backtest.DefaultModel()
	closeFill.Fill, closeFill.StopLoss, closeFill.TakeProfit, closeFill.SlippageBps = backtest.Close, 0.002, 0.004, 2
	short := backtest.DefaultModel()
	short.Direction, short.Size = backtest.Short, 0.5
	return map[string]backtest.Model{"next-open": nextOpen, "close+stops": closeFill, "short": short}
}

// TestParityWithBacktest: the trader fed tick by tick gives the trades backtest.Run (what
// simulate runs) gives on the same bars and signals, and stores their fills.
func TestParityWithBacktest(t *testing.T) {
	tp := realTape(t)
	// next-open is fed bar by bar, the others in ticks of up to 7 bars.
	chunk := map[string]int{"next-open": 1, "close+stops": 7, "short": 7}
	for name, m := range models() {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "next-open" {
				t.Skip("-short: one fill model")
			}
			want, err := backtest.Run(&tp.bars, tp.signals(), m)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Trades) < 5 {
				t.Fatalf("only %d trades: the tape does not exercise the trader", len(want.Trades))
			}
			db := openDB(t, state.Path(t.TempDir()))
			defer db.Close()
			tr, err := Open(context.Background(), cfgOf(m), db)
			if err != nil {
				t.Fatal(err)
			}
			feed(t, tr, tp, 0, tp.bars.Len(), chunk[name])
			if got := tr.Trades(); !reflect.DeepEqual(got, want.Trades) {
				t.Fatalf("trades differ:\npaper    %+v\nbacktest %+v", got[:min(3, len(got))], want.Trades[:3])
			}
			fills, err := tr.Fills(context.Background(), math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			checkFills(t, fills, want.Trades)
		})
	}
}

// checkFills matches the stored fills with the trades' entries and exits.
func checkFills(t *testing.T, fills []state.PaperFill, trades []backtest.Trade) {
	t.Helper()
	k := 0
	for _, tr := range trades {
		if k >= len(fills) {
			t.Fatalf("%d fills for %d trades", len(fills), len(trades))
		}
		in := fills[k]
		if !in.Entry || in.Time != tr.EntryTime || in.Price != tr.EntryPrice {
			t.Fatalf("fill %d %+v is not the entry of %+v", k, in, tr)
		}
		k++
		if tr.Reason == backtest.ExitOpen {
			continue
		}
		out := fills[k]
		if out.Entry || out.Time != tr.ExitTime || out.Price != tr.ExitPrice || out.Profit != tr.PnL || out.Reason != tr.Reason {
			t.Fatalf("fill %d %+v is not the exit of %+v", k, out, tr)
		}
		k++
	}
	if k != len(fills) {
		t.Fatalf("%d fills, trades account for %d", len(fills), k)
	}
}

// TestRestartMidDay: stopping at 13:37 and reopening the database gives the
// same trades, fills and messages as an uninterrupted run.
func TestRestartMidDay(t *testing.T) {
	tp := realTape(t)
	ctx := context.Background()
	m := models()["close+stops"]

	whole := openDB(t, state.Path(t.TempDir()))
	defer whole.Close()
	tr, err := Open(ctx, cfgOf(m), whole)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, tr, tp, 0, tp.bars.Len(), 7)

	path := state.Path(t.TempDir())
	db := openDB(t, path)
	first, err := Open(ctx, cfgOf(m), db)
	if err != nil {
		t.Fatal(err)
	}
	cut := 13*60 + 37
	feed(t, first, tp, 0, cut, 7)
	db.Close()
	db = openDB(t, path)
	defer db.Close()
	second, err := Open(ctx, cfgOf(m), db)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, second, tp, cut-5, tp.bars.Len(), 7) // the first tick after the restart overlaps

	if !reflect.DeepEqual(second.Trades(), tr.Trades()) {
		t.Fatal("trades after a restart differ from an uninterrupted run")
	}
	a, _ := tr.Fills(ctx, math.MinInt64, math.MaxInt64)
	b, _ := second.Fills(ctx, math.MinInt64, math.MaxInt64)
	if !reflect.DeepEqual(a, b) || len(a) < 10 {
		t.Fatalf("fills differ (%d vs %d)", len(a), len(b))
	}
	ma, _ := whole.Messages(ctx)
	mb, _ := db.Messages(ctx)
	if len(ma) != len(mb) || len(ma) == 0 {
		t.Fatalf("%d messages vs %d", len(ma), len(mb))
	}
	for i := range ma {
		if ma[i].DedupKey != mb[i].DedupKey || ma[i].Text != mb[i].Text {
			t.Errorf("message %d: %q %q vs %q %q", i, ma[i].DedupKey, ma[i].Text, mb[i].DedupKey, mb[i].Text)
		}
	}

	// The same tape under another fill model is refused.
	other := m
	other.FeeBps = 0
	if _, err := Open(ctx, cfgOf(other), db); !errors.Is(err, ErrReplay) {
		t.Errorf("changed model: got %v, want ErrReplay", err)
	}
}

// handTape: three long round trips at the close with 10 bps fees; the third is 40 days later.
func handTape() *tape {
	tp := &tape{}
	tp.add(day0, 100, 100, 100, 100, true, false)
	tp.add(day0+minute, 110, 110, 110, 110, false, true)
	tp.add(day0+2*minute, 100, 100, 100, 100, true, false)
	tp.add(day0+3*minute, 99, 99, 99, 99, false, true)
	later := day0 + 40*1440*minute
	tp.add(later, 100, 100, 100, 100, true, false)
	tp.add(later+minute, 101, 101, 101, 101, false, true)
	return tp
}

// TestMessagesHandTape checks the enqueued texts against values computed by hand (1000 quote,
// fee 0.1% on each side: 9.99 BTC bought at 100 and sold at 110 net 1097.8011, ...).
func TestMessagesHandTape(t *testing.T) {
	ctx := context.Background()
	tp := handTape()
	m := backtest.Model{FeeBps: 10, Size: 1, Equity: 1000, Fill: backtest.Close}
	db := openDB(t, state.Path(t.TempDir()))
	defer db.Close()
	tr, err := Open(ctx, cfgOf(m), db)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, tr, tp, 0, tp.bars.Len(), 1)
	msgs, err := db.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ key, text string }{
		{"trader_simulation#0/fill/1", "⚡💰 <b>BOUGHT:  Profit: 0.00% 0.0000₮</b>"},
		{"trader_simulation#0/fill/2", "⚡💰 <b>SOLD:  Profit: 9.78% 97.8011₮</b>"},
		{"trader_simulation#0/stats/2", "↗ <b>LONG transactions stats (4 weeks)</b>\n🔸sum=9.78% 🔸count=1\n🔸mean=9.7801% 🔸std=nan%\n🔸min=9.7801% 🔸median=9.7801% 🔸max=9.7801%\n"},
		{"trader_simulation#0/fill/3", "⚡💰 <b>BOUGHT:  Profit: 0.00% 0.0000₮</b>"},
		{"trader_simulation#0/fill/4", "⚡💰 <b>SOLD:  Profit: -1.20% -13.1506₮</b>"},
		{"trader_simulation#0/stats/4", "↗ <b>LONG transactions stats (4 weeks)</b>\n🔸sum=8.58% 🔸count=2\n🔸mean=4.2911% 🔸std=7.7626%\n🔸min=-1.1979% 🔸median=4.2911% 🔸max=9.7801%\n"},
		{"trader_simulation#0/fill/5", "⚡💰 <b>BOUGHT:  Profit: 0.00% 0.0000₮</b>"},
		{"trader_simulation#0/fill/6", "⚡💰 <b>SOLD:  Profit: 0.80% 8.6566₮</b>"},
		{"trader_simulation#0/stats/6", "↗ <b>LONG transactions stats (4 weeks)</b>\n🔸sum=0.80% 🔸count=1\n🔸mean=0.7981% 🔸std=nan%\n🔸min=0.7981% 🔸median=0.7981% 🔸max=0.7981%\n"},
	}
	if len(msgs) != len(want) {
		for _, m := range msgs {
			t.Logf("%s %q", m.DedupKey, m.Text)
		}
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, w := range want {
		if msgs[i].DedupKey != w.key || msgs[i].Text != w.text || msgs[i].ParseMode != "HTML" {
			t.Errorf("message %d:\n got %s %q\nwant %s %q", i, msgs[i].DedupKey, msgs[i].Text, w.key, w.text)
		}
	}
	// ITB's own legacy-markdown text.
	fills, _ := tr.Fills(ctx, math.MinInt64, math.MaxInt64)
	if got := TransactionMessage(fills[1]).Legacy(); got != "⚡💰 *SOLD:  Profit: 9.78% 97.8011₮*" {
		t.Errorf("legacy text %q", got)
	}
	if got := StatsMessage(backtest.Short, StatsOf(fills[:4])).Legacy(); got[:len("↘ *SHORT transactions stats (4 weeks)*\n")] != "↘ *SHORT transactions stats (4 weeks)*\n" {
		t.Errorf("short header %q", got)
	}
	marks, err := marksOf(ctx, db, tr, day0, day0+2*minute)
	if err != nil || len(marks) != 2 || !marks[0].Buy || marks[1].Buy || marks[1].Price != 110 {
		t.Errorf("marks %+v, %v", marks, err)
	}
}

// TestBadBarKeepsTheRowsBeforeIt: a NaN close stops the tick with an error naming the bar;
// the bars before it are stored and the next tick goes on.
func TestBadBarKeepsTheRowsBeforeIt(t *testing.T) {
	ctx := context.Background()
	tp := handTape()
	tp.bars.Close[2] = math.NaN()
	db := openDB(t, state.Path(t.TempDir()))
	defer db.Close()
	tr, err := Open(ctx, cfgOf(backtest.Model{FeeBps: 10, Size: 1, Equity: 1000, Fill: backtest.Close}), db)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Publish(ctx, &signaler.Result{Rows: tp.frame(t, 0, 4)})
	if !errors.Is(err, backtest.ErrBars) || !strings.Contains(err.Error(), "2024-03-01 00:02") {
		t.Fatalf("got %v, want ErrBars naming 2024-03-01 00:02", err)
	}
	if err := tr.Publish(ctx, &signaler.Result{Rows: tp.frame(t, 3, 6)}); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = db.View(ctx, func(tx *state.Tx) error {
		return tx.PaperBars(ctx, "trader_simulation#0", func(state.PaperBar) error { n++; return nil })
	})
	if n != 5 {
		t.Errorf("%d bars stored, want 5 (all but the bad one)", n)
	}
	if fills, _ := tr.Fills(ctx, math.MinInt64, math.MaxInt64); len(fills) != 4 {
		t.Errorf("%d fills, want 4", len(fills))
	}
}

func TestPublishRejectsMissingColumns(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, state.Path(t.TempDir()))
	defer db.Close()
	tr, err := Open(ctx, cfgOf(backtest.DefaultModel()), db)
	if err != nil {
		t.Fatal(err)
	}
	f := frame.New([]int64{day0})
	_ = f.Set("close", frame.Float, []float64{1})
	err = tr.Publish(ctx, &signaler.Result{Rows: f})
	if !errors.Is(err, frame.ErrMissingColumn) {
		t.Errorf("got %v, want a missing-column error", err)
	}
	if _, err := Open(ctx, Config{Name: "x"}, db); err == nil {
		t.Error("a config without signal columns was accepted")
	}
}

// BenchmarkPublishBar measures one tick of one bar: the fill model and the state transaction.
func BenchmarkPublishBar(b *testing.B) {
	tp := realTape(b)
	db := openDB(b, state.Path(b.TempDir()))
	defer db.Close()
	tr, err := Open(context.Background(), cfgOf(backtest.DefaultModel()), db)
	if err != nil {
		b.Fatal(err)
	}
	frames := make([]*frame.Frame, tp.bars.Len())
	for i := range frames {
		frames[i] = tp.frame(b, i, i+1)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(frames) {
			b.StopTimer()
			// Shift the day forward so the bars stay new.
			for k := range tp.bars.Time {
				tp.bars.Time[k] += 1440 * minute
			}
			i = 0
			b.StartTimer()
		}
		if err := tr.Publish(context.Background(), &signaler.Result{Rows: frames[i]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpenReplayYear measures a restart: a year of stored 1m bars replayed.
func BenchmarkOpenReplayYear(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, state.Path(b.TempDir()))
	defer db.Close()
	err := db.Tick(ctx, func(tx *state.Tx) error {
		p := 100.0
		for i := range 365 * 1440 {
			p *= 1 + 0.001*math.Sin(float64(i)/50)
			if _, err := tx.AddPaperBar(ctx, "y", state.PaperBar{Time: int64(i) * minute, Open: p, High: p * 1.001, Low: p * 0.999, Close: p}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{Name: "y", Buy: "b", Sell: "s", Model: backtest.Model{FeeBps: 10, Size: 1, Equity: 1000, Fill: backtest.Close}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(ctx, cfg, db); err != nil {
			b.Fatal(err)
		}
	}
}
