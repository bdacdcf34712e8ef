package features

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tradectl/tradectl/internal/frame"
)

type itblibFeature struct {
	name     string   // function name, e.g. close_WMA
	prefix   string   // output prefix, e.g. close_ or close_std_
	needs    []string // raw input columns
	relative bool     // relative to the base_window aggregation
	diffed   bool     // reads a differenced column when use_differences is on
	minW     int      // smallest window used
}

var itblibFeatures = []itblibFeature{
	{"close_WMA", "close_", []string{"close", "volume"}, true, true, 1},
	{"close_STD", "close_std_", []string{"close"}, true, true, 2},
	{"volume_SMA", "volume_", []string{"volume"}, true, true, 1},
	{"span_SMA", "span_", []string{"high", "low"}, true, false, 1},
	{"trades_SMA", "trades_", []string{"trades"}, true, true, 1},
	{"tb_base_SMA", "tb_base_", []string{"tb_base_av", "volume"}, true, true, 1},
	{"close_AREA", "close_area_", []string{"close"}, false, true, 2},
	{"close_SLOPE", "close_trend_", []string{"close"}, false, true, 2},
	{"volume_SLOPE", "volume_trend_", []string{"volume"}, false, true, 2},
}

type itblibOut struct {
	feat int // index into itblibFeatures
	w    int
	name string
}

type itblibGen struct {
	useDiff    bool
	baseWindow int
	windows    []int
	feats      []int // selected feature indices, in canonical order
	outs       []itblibOut
	inputs     []string
	window     int
	lookback   int
}

func init() { Default.Register("itblib", NewItblib) }

// NewItblib builds the itblib generator (ITB's legacy "binance_main" features,
// generate_features_itblib, itb-behaviour §3.3) from its config. It reads the kline columns
// close, volume, trades, high, low and tb_base_av (only those the selected functions need).
//
// Config keys:
//   - use_differences (default true): first replace close, volume and trades in a working
//     copy by 100·(x_t - x_{t-1})/x_{t-1}. Everything after uses the working copy, as in ITB,
//     including the volume in close_WMA and in tb_base = tb_base_av/volume.
//   - base_window (int, required): the window of the base aggregation.
//   - windows (int or list, required).
//   - functions (optional subset, case-insensitive; empty or missing means all), in this
//     output order:
//     close_WMA   -> close_{w}:    volume-weighted mean, mean(close·volume)/mean(volume)
//     close_STD   -> close_std_{w}: population std of close
//     volume_SMA  -> volume_{w}
//     span_SMA    -> span_{w}:     mean of high - low
//     trades_SMA  -> trades_{w}
//     tb_base_SMA -> tb_base_{w}:  mean of tb_base_av/volume
//     close_AREA  -> close_area_{w}: ITB area_fn of close
//     close_SLOPE -> close_trend_{w}: least-squares slope of close
//     volume_SLOPE -> volume_trend_{w}: least-squares slope of volume
//
// The first six are relative to the same aggregation over base_window:
// 100·(agg_w - agg_base)/agg_base. Every aggregation is a rolling window with
// min_periods = max(1, w/2) over the valid values of the window. Windows below 2 are skipped
// for close_STD, close_AREA and the slopes (a one-row window has no spread, area or trend),
// which matches ITB's legacy list (close_std, area and trend for 10 and 60 when windows are
// 1, 10, 60). Lookback covers the largest window (base_window for the relative features)
// plus one row for the differences.
func NewItblib(cfg json.RawMessage) (Generator, error) {
	m, err := decodeObject(cfg, "itblib config")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "itblib config", "use_differences", "base_window", "windows", "functions"); err != nil {
		return nil, err
	}
	g := &itblibGen{useDiff: true}
	if raw, ok := m["use_differences"]; ok && !isNull(raw) {
		if g.useDiff, err = decodeBool(raw); err != nil {
			return nil, ConfigErrorf("use_differences: %v", err)
		}
	}
	raw, ok := m["base_window"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("base_window: missing")
	}
	if g.baseWindow, err = decodeInt(raw); err != nil {
		return nil, ConfigErrorf("base_window: %v", err)
	}
	if g.baseWindow < 1 || g.baseWindow > maxPeriod {
		return nil, ConfigErrorf("base_window: %d is out of range [1, %d]", g.baseWindow, maxPeriod)
	}
	raw, ok = m["windows"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("windows: missing")
	}
	if g.windows, err = decodeWindows(raw); err != nil {
		return nil, err
	}
	if len(g.windows) == 0 {
		return nil, ConfigErrorf("windows: empty list")
	}
	selected := map[int]bool{}
	if raw, ok := m["functions"]; ok && !isNull(raw) {
		names, _, err := decodeStrings(raw)
		if err != nil {
			return nil, ConfigErrorf("functions: %v", err)
		}
		for _, n := range names {
			found := false
			for i, f := range itblibFeatures {
				if strings.EqualFold(f.name, n) {
					selected[i] = true
					found = true
				}
			}
			if !found {
				return nil, ConfigErrorf("functions: unknown itblib function %q", n)
			}
		}
	}
	needs := map[string]bool{}
	seen := map[string]bool{}
	for i, f := range itblibFeatures {
		if len(selected) > 0 && !selected[i] {
			continue
		}
		g.feats = append(g.feats, i)
		for _, c := range f.needs {
			if !needs[c] {
				needs[c] = true
				g.inputs = append(g.inputs, c)
			}
		}
		extra := 0
		if g.useDiff && f.diffed {
			extra = 1
		}
		for _, w := range g.windows {
			if w < f.minW {
				continue
			}
			name := f.prefix + strconv.Itoa(w)
			if seen[name] {
				return nil, ConfigErrorf("windows: duplicate output column %q", name)
			}
			seen[name] = true
			g.outs = append(g.outs, itblibOut{feat: i, w: w, name: name})
			span := w
			if f.relative {
				span = max(w, g.baseWindow)
			}
			g.window = max(g.window, span)
			g.lookback = max(g.lookback, span-1+extra)
		}
	}
	if len(g.outs) == 0 {
		return nil, ConfigErrorf("windows: no output (windows below 2 give no std, area or slope)")
	}
	return g, nil
}

// Inputs lists the kline columns the selected functions read.
func (g *itblibGen) Inputs() []string { return append([]string(nil), g.inputs...) }

// Outputs lists the output columns, function by function, window by window.
func (g *itblibGen) Outputs() []string {
	out := make([]string, len(g.outs))
	for i, o := range g.outs {
		out[i] = o.name
	}
	return out
}

// Window is the largest window, base_window included for the relative features.
func (g *itblibGen) Window() int { return g.window }

// Lookback is the largest window minus one, plus one when differences are used.
func (g *itblibGen) Lookback() int { return g.lookback }

// pctDiff returns 100·(x_t - x_{t-1})/x_{t-1}, NaN at row 0.
func pctDiff(x []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		if i == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = 100 * (x[i] - x[i-1]) / x[i-1]
	}
	return out
}

// Generate computes the output columns.
func (g *itblibGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	n := in.Len()
	cols := map[string][]float64{}
	for _, c := range g.inputs {
		x, err := in.Col(c)
		if err != nil {
			return nil, fmt.Errorf("itblib: %w", err)
		}
		if g.useDiff && (c == "close" || c == "volume" || c == "trades") {
			x = pctDiff(x)
		}
		cols[c] = x
	}
	// Derived series.
	series := func(f itblibFeature) (x, weights []float64) {
		switch f.name {
		case "close_WMA":
			c, v := cols["close"], cols["volume"]
			p := make([]float64, n)
			for i := range p {
				p[i] = c[i] * v[i]
			}
			return p, v
		case "close_STD", "close_AREA", "close_SLOPE":
			return cols["close"], nil
		case "volume_SMA", "volume_SLOPE":
			return cols["volume"], nil
		case "span_SMA":
			h, l := cols["high"], cols["low"]
			s := make([]float64, n)
			for i := range s {
				s[i] = h[i] - l[i]
			}
			return s, nil
		case "trades_SMA":
			return cols["trades"], nil
		default: // tb_base_SMA
			b, v := cols["tb_base_av"], cols["volume"]
			s := make([]float64, n)
			for i := range s {
				s[i] = b[i] / v[i]
			}
			return s, nil
		}
	}
	aggFn := func(f itblibFeature) func([]float64) float64 {
		switch f.name {
		case "close_STD":
			return popStd
		case "close_AREA":
			return func(x []float64) float64 { return areaFn(x, false) }
		case "close_SLOPE", "volume_SLOPE":
			return olsSlope
		default:
			return nil // mean: rollingMean
		}
	}
	agg := func(x []float64, w int, fn func([]float64) float64, out []float64, lo, hi int) {
		if fn == nil {
			rollingMean(x, w, minPeriods(w), out, lo, hi)
		} else {
			rollingApply(x, w, minPeriods(w), fn, out, lo, hi)
		}
	}
	// Each job aggregates feature f over window w; a weighted mean also aggregates its
	// weights into den and is divided after the parallel run.
	type job struct {
		out, den []float64
	}
	var jobs []job
	var tasks []func() error
	addJob := func(f itblibFeature, w int, out []float64) {
		x, weights := series(f)
		fn := aggFn(f)
		j := job{out: out}
		if weights != nil {
			j.den = make([]float64, n)
		}
		jobs = append(jobs, j)
		for lo := 0; lo < n; lo += nativeChunk {
			lo, hi := lo, min(lo+nativeChunk, n)
			tasks = append(tasks, func() error {
				agg(x, w, fn, j.out, lo, hi)
				if j.den != nil {
					agg(weights, w, nil, j.den, lo, hi)
				}
				return nil
			})
		}
	}
	base := map[int][]float64{}
	for _, fi := range g.feats {
		if f := itblibFeatures[fi]; f.relative {
			base[fi] = make([]float64, n)
			addJob(f, g.baseWindow, base[fi])
		}
	}
	results := make([][]float64, len(g.outs))
	for i, o := range g.outs {
		results[i] = make([]float64, n)
		addJob(itblibFeatures[o.feat], o.w, results[i])
	}
	if err := runTasks(tasks); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		for t := range j.den {
			j.out[t] /= j.den[t]
		}
	}
	out := make([]frame.Column, len(g.outs))
	for i, o := range g.outs {
		r := results[i]
		if b, ok := base[o.feat]; ok {
			for t := range r {
				r[t] = 100 * (r[t] - b[t]) / b[t]
			}
		}
		frame.FiniteOrNaN(r)
		out[i] = frame.Column{Name: o.name, Kind: frame.Float, Data: r}
	}
	return out, nil
}
