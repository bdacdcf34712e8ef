package backtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/frame"
)

// ErrInput is wrapped by errors about the signals file.
var ErrInput = errors.New("unusable simulate input")

// Setup is everything the simulate step needs, resolved from the config.
type Setup struct {
	// ScoreCols are the generator's score columns (one for threshold_rule, two for threshold_rule2).
	ScoreCols []string
	// Generator is the signal_sets entry the grid drives ("threshold_rule" or "threshold_rule2").
	Generator string
	// Labels are the config's label columns (for the confusion matrix, when present).
	Labels             []string
	DataStart, DataEnd json.RawMessage
	Spec               GridSpec
	Model              Model
	ITB                bool
	TopN               int
}

// thresholdConfig is a threshold_rule(2) entry's config.
type thresholdConfig struct {
	Columns    json.RawMessage    `json:"columns"`
	Names      json.RawMessage    `json:"names"`
	Parameters map[string]float64 `json:"parameters"`
}

// Resolve reads the simulate_model section and its signal_sets generator. Fill-model keys
// left out take the defaults (10 bps fees, next-open fills, all equity, long).
func Resolve(c *config.Config) (*Setup, error) {
	sm, err := c.Simulate()
	if err != nil {
		return nil, err
	}
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("%w: key \"simulate_model.%s\": %s", config.ErrConfig, key, fmt.Sprintf(format, args...))
	}
	s := &Setup{Generator: sm.SignalGenerator, Labels: c.Labels, DataStart: sm.DataStart, DataEnd: sm.DataEnd, TopN: 10}
	if s.Generator == "" {
		s.Generator = "threshold_rule"
	}
	if s.Generator != "threshold_rule" && s.Generator != "threshold_rule2" {
		return nil, bad("signal_generator", "%q: simulate drives threshold_rule or threshold_rule2", s.Generator)
	}
	if sm.TopNToStore != nil {
		if *sm.TopNToStore < 0 {
			return nil, bad("topn_to_store", "must not be negative")
		}
		s.TopN = *sm.TopNToStore
	}
	m := DefaultModel()
	if m.Direction, err = ParseDirection(sm.Direction); err != nil {
		return nil, bad("direction", "%q: use long or short", sm.Direction)
	}
	if m.Fill, err = ParseFill(sm.Fill); err != nil {
		return nil, bad("fill", "%q: use next-open or close", sm.Fill)
	}
	setIf(&m.FeeBps, sm.FeeBps)
	setIf(&m.SlippageBps, sm.SlippageBps)
	setIf(&m.Size, sm.PositionSize)
	setIf(&m.Equity, sm.InitialEquity)
	m.StopLoss, m.TakeProfit = sm.StopLoss, sm.TakeProfit
	switch sm.Compat {
	case "":
	case "itb":
		s.ITB = true
	default:
		return nil, bad("compat", "%q: the only compatibility mode is \"itb\"", sm.Compat)
	}
	s.Model = m
	idx := slices.IndexFunc(c.SignalSets, func(g config.GeneratorSet) bool { return g.Generator == s.Generator })
	if idx < 0 {
		return nil, bad("signal_generator", "no signal_sets entry has generator %q (it names the score column)", s.Generator)
	}
	key := fmt.Sprintf("signal_sets[%d].config", idx)
	var tc thresholdConfig
	if err := json.Unmarshal(c.SignalSets[idx].Config, &tc); err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", config.ErrConfig, key, err)
	}
	cols, err := stringList(tc.Columns)
	if err != nil {
		return nil, fmt.Errorf("%w: key \"%s.columns\": %v", config.ErrConfig, key, err)
	}
	want := 1
	if s.Generator == "threshold_rule2" {
		want = 2
	}
	if len(cols) != want {
		return nil, fmt.Errorf("%w: key \"%s.columns\": %s needs %d score column(s), got %d", config.ErrConfig, key, s.Generator, want, len(cols))
	}
	s.ScoreCols = cols
	if len(sm.Grid) == 0 {
		return nil, bad("grid", "no values (set grid.%s and grid.%s)", KeyBuy, KeySell)
	}
	s.Spec = GridSpec{Grid: sm.Grid, BuySellEqual: sm.BuySellEqual, Base: tc.Parameters, Two: want == 2}
	return s, nil
}

func setIf(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

// stringList reads a JSON string or list of strings.
func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("expected a column name or a list of names, got %s", bytes.TrimSpace(raw))
	}
	return many, nil
}

// Input is the loaded simulate input: the tape, and the label columns found.
type Input struct {
	Tape   *Tape
	Labels map[string][]float64
	// Dropped counts rows left out because a price was missing (merge gaps).
	Dropped int
	// First and Last are the times of the first and last row of the data window.
	First, Last int64
}

// Load reads the signals file: the time column, the score columns, close, and open, high
// and low when the fill model needs them, plus the label columns present; it cuts the
// data_start/data_end window. Rows with a missing price are dropped (ITB skips them too).
func (s *Setup) Load(path, timeColumn string) (*Input, error) {
	header, err := frame.ReadHeader(path)
	if err != nil {
		return nil, err
	}
	has := func(c string) bool { return slices.Contains(header, c) }
	need := append([]string{"close"}, s.ScoreCols...)
	if !s.ITB && s.Model.Fill == NextOpen {
		need = append(need, "open")
	}
	if !s.ITB && (s.Model.StopLoss > 0 || s.Model.TakeProfit > 0) {
		need = append(need, "high", "low")
	}
	for _, c := range need {
		if !has(c) {
			what := "price column"
			if slices.Contains(s.ScoreCols, c) {
				what = "score column"
			}
			return nil, fmt.Errorf("%s: %w: no %s %q (columns: %s)", path, ErrInput, what, c, strings.Join(header, ","))
		}
	}
	f, err := frame.ReadFile(path, frame.ReadOptions{TimeColumn: timeColumn, Columns: need,
		Optional: append([]string{"open", "high", "low"}, s.Labels...)})
	if err != nil {
		return nil, err
	}
	if f, err = cutWindow(f, s.DataStart, s.DataEnd); err != nil {
		return nil, err
	}
	if f.Len() == 0 {
		return nil, fmt.Errorf("%s: %w: no rows in the data_start/data_end window", path, ErrInput)
	}
	in := &Input{Labels: map[string][]float64{}, First: f.Time[0], Last: f.Time[f.Len()-1]}
	col := func(name string) []float64 {
		if v, err := f.Col(name); err == nil {
			return v
		}
		v, _ := f.Col("close")
		return v
	}
	b := &Bars{Time: f.Time, Open: col("open"), High: col("high"), Low: col("low"), Close: col("close")}
	t := &Tape{Bars: b, Score: col(s.ScoreCols[0])}
	if len(s.ScoreCols) == 2 {
		t.Score2 = col(s.ScoreCols[1])
	}
	for _, l := range s.Labels {
		if v, err := f.Col(l); err == nil {
			in.Labels[l] = v
		}
	}
	if !s.ITB {
		in.Dropped = dropMissingPrices(t, in.Labels)
	}
	in.Tape = t
	return in, nil
}

// dropMissingPrices removes the rows whose open, high, low or close is not a positive number.
func dropMissingPrices(t *Tape, labels map[string][]float64) int {
	b := t.Bars
	k := 0
	for i := range b.Time {
		if !(b.Open[i] > 0 && b.High[i] > 0 && b.Low[i] > 0 && b.Close[i] > 0) || math.IsInf(b.High[i], 0) {
			continue
		}
		if k != i {
			b.Time[k], b.Open[k], b.High[k], b.Low[k], b.Close[k] = b.Time[i], b.Open[i], b.High[i], b.Low[i], b.Close[i]
			t.Score[k] = t.Score[i]
			if t.Score2 != nil {
				t.Score2[k] = t.Score2[i]
			}
			for _, l := range labels {
				l[k] = l[i]
			}
		}
		k++
	}
	dropped := len(b.Time) - k
	if dropped == 0 {
		return 0
	}
	// Columns may share storage (open = close when absent): trim each distinct slice once.
	b.Time, b.Open, b.High, b.Low, b.Close = b.Time[:k], b.Open[:k], b.High[:k], b.Low[:k], b.Close[:k]
	t.Score = t.Score[:k]
	if t.Score2 != nil {
		t.Score2 = t.Score2[:k]
	}
	for name, l := range labels {
		labels[name] = l[:k]
	}
	return dropped
}

// cutWindow applies data_start / data_end (itb-behaviour.md §5 step 2): a date string keeps
// time >= start and < end; a number drops that many rows at the start / the end.
func cutWindow(f *frame.Frame, start, end json.RawMessage) (*frame.Frame, error) {
	lo, hi := 0, f.Len()
	bound := func(key string, raw json.RawMessage, isEnd bool) (int, error) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || string(raw) == "null" {
			if isEnd {
				return f.Len(), nil
			}
			return 0, nil
		}
		var n int
		if err := json.Unmarshal(raw, &n); err == nil {
			if n < 0 || n > f.Len() {
				return 0, fmt.Errorf("%w: key \"simulate_model.%s\": %d rows, the file has %d", config.ErrConfig, key, n, f.Len())
			}
			if isEnd {
				return f.Len() - n, nil
			}
			return n, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%w: key \"simulate_model.%s\": expected a date or a row count, got %s", config.ErrConfig, key, raw)
		}
		ms, err := frame.ParseTime([]byte(s))
		if err != nil {
			return 0, fmt.Errorf("%w: key \"simulate_model.%s\": %v", config.ErrConfig, key, err)
		}
		i, _ := slices.BinarySearch(f.Time, ms)
		return i, nil
	}
	var err error
	if lo, err = bound("data_start", start, false); err != nil {
		return nil, err
	}
	if hi, err = bound("data_end", end, true); err != nil {
		return nil, err
	}
	if hi < lo {
		hi = lo
	}
	return f.Slice(lo, hi), nil
}
