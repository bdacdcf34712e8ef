package diagram

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/backtest"
	"github.com/tradectl/tradectl/internal/clock"
	"github.com/tradectl/tradectl/internal/frame"
	"github.com/tradectl/tradectl/internal/sharedtest"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler"
)

const minute = int64(60_000)

// day0 is 2024-03-01 00:00 UTC in Unix ms.
var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func TestResampleHandComputed(t *testing.T) {
	// Seven 1-minute bars from 00:03; 5-minute buckets [00:00,00:05) [00:05,00:10).
	s := &Series{
		Time:    []int64{day0 + 3*minute, day0 + 4*minute, day0 + 5*minute, day0 + 6*minute, day0 + 7*minute, day0 + 8*minute, day0 + 9*minute},
		Open:    []float64{10, 11, 12, 13, 14, 15, 16},
		High:    []float64{12, 15, 13, 20, 14, 16, 17},
		Low:     []float64{9, 10, 8, 12, 11, 14, 15},
		Close:   []float64{11, 12, 13, 14, 15, 16, 17},
		Score:   []float64{0.2, 0.5, 0.1, -0.3, 0.2, math.NaN(), 0.4},
		MANames: []string{"s_3"},
		MAs:     [][]float64{{-0.1, -0.4, -1, -2, -3, -4, -5}},
	}
	got, err := Resample(s, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := &Series{
		Time: []int64{day0, day0 + 5*minute},
		Open: []float64{10, 12}, High: []float64{15, 20}, Low: []float64{9, 8}, Close: []float64{12, 17},
		// all > 0 → max; mixed with a NaN → mean of 0.1, −0.3, 0.2, 0.4 = 0.1.
		Score: []float64{0.5, 0.1},
		// all < 0 → min.
		MAs: [][]float64{{-0.4, -5}},
	}
	if !slices.Equal(got.Time, want.Time) {
		t.Fatalf("time %v, want %v", got.Time, want.Time)
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"open", got.Open, want.Open}, {"high", got.High, want.High}, {"low", got.Low, want.Low},
		{"close", got.Close, want.Close}, {"score", got.Score, want.Score}, {"ma", got.MAs[0], want.MAs[0]}} {
		for i := range c.want {
			if math.Abs(c.got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s[%d] = %v, want %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
	tail := Tail(got, 1)
	if tail.Len() != 1 || tail.Time[0] != day0+5*minute || tail.MAs[0][0] != -5 {
		t.Errorf("tail(1) = %+v", tail)
	}
	if Tail(got, 10).Len() != 2 {
		t.Error("tail(10) of 2 rows is not 2 rows")
	}
}

func TestScoreAgg(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{0.1, 0.3, 0.2}, 0.3},
		{[]float64{-0.1, -0.3, -0.2}, -0.3},
		{[]float64{-0.1, 0.3, 0.1}, 0.1},
		{[]float64{0, 0.3}, 0.15}, // zero is neither > 0 nor < 0
		{[]float64{0.2, nan, 0.4}, 0.3},
		{[]float64{nan}, nan},
	} {
		got := ScoreAgg(c.in)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) && math.Abs(got-c.want) > 1e-12 {
			t.Errorf("ScoreAgg(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestResampleRejectsBadSeries(t *testing.T) {
	s := &Series{Time: []int64{2, 1}, Open: []float64{1, 1}, High: []float64{1, 1}, Low: []float64{1, 1}, Close: []float64{1, 1}, Score: []float64{0, 0}}
	if _, err := Resample(s, time.Minute); err == nil {
		t.Error("descending time accepted")
	}
	s.Time = []int64{1, 2}
	s.Score = s.Score[:1]
	if _, err := Resample(s, time.Minute); err == nil {
		t.Error("short score column accepted")
	}
}

func TestWhen(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const (
		m = time.Minute
		h = time.Hour
		d = 24 * time.Hour
	)
	for _, c := range []struct {
		now         string
		freq, notif time.Duration
		want        bool
	}{
		{"2024-03-01 00:00:01", m, d, true},
		{"2024-03-01 00:00:59", m, d, true},
		{"2024-03-01 00:01:00", m, d, false},
		{"2024-03-01 12:00:01", m, d, false},
		{"2024-02-29 23:59:59", m, d, false},
		{"2024-03-01 00:20:00", h, d, true}, // the whole first hour is on the day boundary
		{"2024-03-01 01:00:20", h, d, false},
		{"2024-03-01 13:00:20", h, h, true}, // notification every hour with hourly bars
		{"2024-03-01 13:05:01", 5 * m, h, false},
		{"2024-03-01 13:00:01", 5 * m, h, true},
		{"2024-03-01 16:00:01", m, 4 * h, true},
		{"2024-03-01 14:00:01", m, 4 * h, false},
		{"2024-03-04 00:00:30", m, 7 * d, true}, // Monday: a "1W" boundary
		{"2024-03-03 00:00:30", m, 7 * d, false},
		{"2024-03-01 00:00:01", m, 0, false},
	} {
		if got := When(at(c.now), c.freq, c.notif); got != c.want {
			t.Errorf("When(%s, %v, %v) = %v, want %v", c.now, c.freq, c.notif, got, c.want)
		}
	}
}

// synth returns n 1-minute rows from day0 with a smooth price and score.
func synth(n int) *Series {
	s := &Series{}
	for i := range n {
		p := 100 + 5*math.Sin(float64(i)/40)
		s.Time = append(s.Time, day0+int64(i)*minute)
		s.Open = append(s.Open, p)
		s.High = append(s.High, p+0.5)
		s.Low = append(s.Low, p-0.5)
		s.Close = append(s.Close, p+0.1)
		s.Score = append(s.Score, 0.05*math.Cos(float64(i)/40))
	}
	return s
}

func TestPNGDecodesAtChartSize(t *testing.T) {
	rs, err := Resample(synth(600), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	marks := []Mark{{Time: day0 + 30*minute, Price: 101, Buy: true}, {Time: day0 + 200*minute, Price: 103}, {Time: day0 - minute, Price: 99}}
	for _, c := range []struct {
		chart Chart
		w, h  int
	}{
		{Chart{Symbol: "BTCUSDT", Thresholds: []float64{-0.02, 0.02}}, 1200, 600},
		{Chart{Symbol: "BTCUSDT", Width: 4 * 72, Height: 3 * 72, DPI: 72}, 288, 216},
	} {
		var buf bytes.Buffer
		if err := PNG(&buf, rs, marks, c.chart); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
			t.Errorf("size %v, want %dx%d", b, c.w, c.h)
		}
	}
	var a, b bytes.Buffer
	_ = PNG(&a, rs, marks, Chart{Symbol: "X"})
	_ = PNG(&b, rs, marks, Chart{Symbol: "X"})
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same inputs gave different PNG bytes")
	}
	if err := PNG(&a, &Series{}, nil, Chart{}); err == nil {
		t.Error("empty series drew")
	}
}

func TestMarkPointsSnapToBars(t *testing.T) {
	rs, _ := Resample(synth(20), 5*time.Minute) // bars 00:00, 00:05, 00:10, 00:15
	buys, sells := markPoints(rs, []Mark{
		{Time: day0 + 7*minute, Price: 1, Buy: true},
		{Time: day0 + 19*minute, Price: 2},
		{Time: day0 + 20*minute, Price: 3}, // after the last bar's interval
	}, 5*minute)
	if len(buys) != 1 || buys[0].X != float64(day0+5*minute)/1000 || buys[0].Y != 1 {
		t.Errorf("buys %v", buys)
	}
	if len(sells) != 1 || sells[0].X != float64(day0+15*minute)/1000 {
		t.Errorf("sells %v", sells)
	}
}

func frameOf(t testing.TB, s *Series, score string) *frame.Frame {
	f := frame.New(s.Time)
	for name, v := range map[string][]float64{"open": s.Open, "high": s.High, "low": s.Low, "close": s.Close, score: s.Score} {
		if err := f.Set(name, frame.Float, v); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

type fixedMarks []Mark

func (m fixedMarks) Marks(_ context.Context, _ *state.Tx, from, to int64) ([]Mark, error) {
	var out []Mark
	for _, x := range m {
		if x.Time >= from && x.Time < to {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestPublishEnqueuesOncePerDay(t *testing.T) {
	ctx := context.Background()
	db, err := state.Open(ctx, state.Path(t.TempDir()), state.Options{Clock: clock.Fixed{T: time.UnixMilli(day0)}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := Config{Name: "diagram#0", Freq: time.Minute, NotificationFreq: 24 * time.Hour, ResamplingFreq: 5 * time.Minute,
		NRows: 288, Score: "trade_score", Chart: Chart{Symbol: "BTCUSDT"}}
	o, err := New(cfg, db, fixedMarks{{Time: day0 + 100*minute, Price: 100, Buy: true}})
	if err != nil {
		t.Fatal(err)
	}
	all := synth(3 * 1440)
	f := frameOf(t, all, "trade_score")
	// Feed bar by bar; each tick runs one second after its bar closes.
	for i := range f.Len() {
		r := &signaler.Result{Now: time.UnixMilli(f.Time[i] + minute + 1000).UTC(), Rows: f.Slice(i, i+1)}
		if err := o.Publish(ctx, r); err != nil {
			t.Fatal(err)
		}
		if o.Len() > 289*5+1 {
			t.Fatalf("history grew to %d rows", o.Len())
		}
	}
	// A replayed tick adds nothing.
	last := &signaler.Result{Now: time.UnixMilli(day0 + 2*1440*minute + 1000).UTC(), Rows: f.Slice(2*1440-1, 2*1440)}
	if err := o.Publish(ctx, last); err != nil {
		t.Fatal(err)
	}
	msgs, err := db.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Midnights reached after a bar: day0+1d and day0+2d (day0+3d closes the last bar at 00:00 → also).
	want := []string{"diagram#0@2024-03-02T00:00:00Z", "diagram#0@2024-03-03T00:00:00Z", "diagram#0@2024-03-04T00:00:00Z"}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		if m.DedupKey != want[i] || m.Kind != state.KindPhoto {
			t.Errorf("message %d: %s %s, want photo %s", i, m.Kind, m.DedupKey, want[i])
		}
		img, err := png.Decode(bytes.NewReader(m.Photo))
		if err != nil || img.Bounds().Dx() != 1200 {
			t.Errorf("message %d photo: %v", i, err)
		}
	}
	if err := o.Add(frame.New([]int64{1})); err == nil {
		t.Error("a frame without the score column was accepted")
	}
}

// TestRealDayPNG draws one real day of BTCUSDT (1m → 5min × 288) with a price-derived score;
// DIAGRAM_OUT=dir keeps the file for a look.
func TestRealDayPNG(t *testing.T) {
	kl := sharedtest.ReadKlines(t, "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", 2*1440)
	s := &Series{}
	for _, k := range kl[1440:] {
		s.Time = append(s.Time, k.OpenTime)
		s.Open, s.High = append(s.Open, k.Float(t, 0)), append(s.High, k.Float(t, 1))
		s.Low, s.Close = append(s.Low, k.Float(t, 2)), append(s.Close, k.Float(t, 3))
	}
	s.Score = backtest.MeanDistance(s.Close, 60, 10)
	rs, err := Resample(s, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rs = Tail(rs, 288)
	if rs.Len() != 288 {
		t.Fatalf("%d rows, want 288", rs.Len())
	}
	marks := []Mark{{Time: s.Time[300], Price: s.Close[300], Buy: true}, {Time: s.Time[900], Price: s.Close[900]}}
	var buf bytes.Buffer
	if err := PNG(&buf, rs, marks, Chart{Symbol: "BTCUSDT", Description: "2024-01-02, 5min", Thresholds: []float64{-0.015, 0.015}}); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("DIAGRAM_OUT"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "diagram.png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkRenderDay measures one daily diagram: a real day of 1m bars resampled to 5min
// and drawn.
func BenchmarkRenderDay(b *testing.B) {
	kl := sharedtest.ReadKlines(b, "BTCUSDT-1m-2024-01-01_2024-06-25.csv.gz", 1440)
	s := &Series{}
	for _, k := range kl {
		s.Time = append(s.Time, k.OpenTime)
		s.Open, s.High = append(s.Open, k.Float(b, 0)), append(s.High, k.Float(b, 1))
		s.Low, s.Close = append(s.Low, k.Float(b, 2)), append(s.Close, k.Float(b, 3))
	}
	s.Score = backtest.MeanDistance(s.Close, 60, 10)
	b.ReportAllocs()
	for b.Loop() {
		rs, err := Resample(s, 5*time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := PNG(&buf, Tail(rs, 288), nil, Chart{Symbol: "BTCUSDT"}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	// ITB's sample: diagram_notification_model with 1D, trade_score, ±0.015, 5min × 288.
	raw := `{"diagram_notification":true,"notification_freq":"1D","score_column_names":"trade_score","score_thresholds":[-0.015,0.015],"resampling_freq":"5min","nrows":288}`
	c, err := ParseConfig([]byte(raw), "output_sets[1].config", time.Minute, "BTCUSDT")
	if err != nil {
		t.Fatal(err)
	}
	if c.NotificationFreq != 24*time.Hour || c.ResamplingFreq != 5*time.Minute || c.NRows != 288 || c.Score != "trade_score" ||
		len(c.Chart.Thresholds) != 2 || c.Chart.Thresholds[1] != 0.015 || c.Chart.Symbol != "BTCUSDT" || c.Name != "output_sets[1].config" {
		t.Errorf("config %+v", c)
	}
	if c, err := ParseConfig([]byte(`{"score_column_names":["a","b"],"resampling_freq":"1h","nrows":168}`), "k", time.Hour, "X"); err != nil || c.Score != "a" || c.NotificationFreq != 24*time.Hour {
		t.Errorf("list of names, default notification_freq: %+v, %v", c, err)
	}
	for _, c := range []struct{ raw, key string }{
		{`{"score_column_names":"s","resampling_freq":"5min"}`, "k.nrows"},
		{`{"score_column_names":"s","resampling_freq":"5x","nrows":3}`, "k.resampling_freq"},
		{`{"resampling_freq":"5min","nrows":3}`, "k.score_column_names"},
		{`{"score_column_names":"s","resampling_freq":"5min","nrows":3,"notification_freq":"1M"}`, "k.notification_freq"},
		{`[1]`, "k"},
	} {
		_, err := ParseConfig([]byte(c.raw), "k", time.Minute, "X")
		if err == nil || !strings.Contains(err.Error(), `"`+c.key+`"`) {
			t.Errorf("%s: error %v does not name %q", c.raw, err, c.key)
		}
	}
}

// TestPublishCatchUpAcrossMidnight hands three days in results of 7 bars each, every one
// handed three hours late (a restart's or an outage's catch-up): the diagrams due at the
// midnights inside them are sent, once each, as bar-by-bar live ticks would.
func TestPublishCatchUpAcrossMidnight(t *testing.T) {
	ctx := context.Background()
	db, err := state.Open(ctx, state.Path(t.TempDir()), state.Options{Clock: clock.Fixed{T: time.UnixMilli(day0)}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := Config{Name: "diagram#0", Freq: time.Minute, NotificationFreq: 24 * time.Hour, ResamplingFreq: 5 * time.Minute,
		NRows: 288, Score: "trade_score", Chart: Chart{Symbol: "BTCUSDT"}}
	o, err := New(cfg, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := frameOf(t, synth(3*1440), "trade_score")
	for i := 0; i < f.Len(); i += 7 {
		j := min(i+7, f.Len())
		r := &signaler.Result{Now: time.UnixMilli(f.Time[j-1] + 3*60*minute).UTC(), Rows: f.Slice(i, j)}
		for range 2 { // the second is a replayed tick: nothing new
			if err := o.Publish(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs, err := db.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.DedupKey)
	}
	want := []string{"diagram#0@2024-03-02T00:00:00Z", "diagram#0@2024-03-03T00:00:00Z", "diagram#0@2024-03-04T00:00:00Z"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}
