package features

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tradectl/tradectl/internal/frame"
)

// talibCall is one (function, window) computation.
type talibCall struct {
	spec     *funcSpec
	fnIdx    int       // index of the function in the config's list
	period   int       // timeperiod passed (0 when the function takes none)
	params   []float64 // values of spec.params
	inputs   []int     // column index (into talibGen.columns) for each spec.inputs entry
	identity bool      // window-1 rule: the output is the filled input
	lookback int
	names    []string // one per spec.outputs entry
}

type talibGen struct {
	columns  []string // distinct input columns
	calls    []talibCall
	nFuncs   int
	post     postProc
	fill     fillMode
	outputs  []string
	window   int
	lookback int
}

func init() { Default.Register("talib", NewTalib) }

// NewTalib builds the talib generator (ITB generate_features_talib, itb-behaviour §3.1)
// from its config.
//
// Config keys:
//   - columns: a string or a 1-element list (TA-Lib argument real); a longer list (real0,
//     real1, ... as in ITB, and also mapped positionally onto the function's own arguments,
//     e.g. ["high","low","close"] for ATR); or an object of TA-Lib argument name -> column,
//     e.g. {"high":"high","low":"low","close":"close"}.
//   - functions: a list of TA-Lib names (see TalibFunctions).
//   - windows: optional int or list of ints, each passed as timeperiod; without it each
//     function is called once with TA-Lib's default timeperiod.
//   - names: optional string or list (ITB's rules below).
//   - parameters: optional {rel_base, rel_func (default rel), percentage, log, fill} plus
//     TA-Lib parameters by their ta-lib-python names (nbdev, nbdevup, matype, fastperiod,
//     fastk_period, ...), each applied to the listed functions that take it; other TA-Lib
//     parameters keep TA-Lib's defaults. A function without timeperiod rejects windows.
//
// Input filling: each input column is filled first. parameters.fill "ffill" (the default)
// keeps leading NaN and gives interior and trailing NaN the last valid value. ITB instead
// uses pandas .interpolate() (linear), which fills an interior gap using the value after it:
// a look-ahead leak, since a feature at row t then changes when rows after t change.
// parameters.fill "linear" reproduces ITB exactly. Leading NaN are skipped as the TA-Lib
// wrapper does: the function runs on the suffix from the first row where every input is
// valid, which shifts the warm-up. Warm-up rows are NaN, never 0.
//
// Window 1 with a single input column gives the filled input itself for any function (so
// close_SMA_1 equals close), as in ITB; for a function with several outputs every output
// is the input.
//
// Output names, with cols the input column names joined by "_": with a window
// {cols}_{FUNC}_{w}, or {cols}_{FUNC}_{names}_{w} when names is a string, or names[j] for
// window j when names is a list; without a window {cols}_{FUNC}, or names (string), or
// names[0] (list). Functions with several outputs (BBANDS, MACD, STOCH, AROON, ...) name each
// output with TA-Lib's lower-case output name inserted before the window, e.g.
// close_BBANDS_upperband_20, or appended to a user-given name (names[j]_upperband).
//
// Post-processing (ITB _convert_to_relative) runs across the windows of each function
// output; see postProc.apply. Infinite values become NaN.
//
// SMA, SUM, STDDEV, VAR, WMA, MAX, MIN, MOM, ROC, ROCP, ROCR, ROCR100, LINEARREG,
// LINEARREG_SLOPE, LINEARREG_INTERCEPT, LINEARREG_ANGLE and TSF are computed by exact native
// per-window kernels (rolling.go); the 61 candlestick patterns (CDL*) by ports of TA-Lib C
// (talib_cdl*.go, integer columns); every other function by go-talib. Lookback is bounded
// (the largest TA-Lib lookback) when every function is native or free of running state,
// and -1 otherwise. It assumes the input has no NaN inside the look-back rows (a gap is
// filled from the rows before it).
func NewTalib(cfg json.RawMessage) (Generator, error) {
	m, err := decodeObject(cfg, "talib config")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "talib config", "columns", "functions", "windows", "names", "parameters"); err != nil {
		return nil, err
	}
	g := &talibGen{}

	// columns
	raw, ok := m["columns"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("columns: missing")
	}
	var colNames []string // in config order
	var byArg map[string]string
	if cols, _, err := decodeStrings(raw); err == nil {
		colNames = cols
	} else if pairs, err2 := decodeOrderedStrings(raw); err2 == nil {
		byArg = map[string]string{}
		for _, p := range pairs {
			colNames = append(colNames, p.value)
			byArg[p.key] = p.value
		}
	} else {
		return nil, ConfigErrorf("columns: want a string, a list of strings or an object of TA-Lib argument -> column, got %s", short(raw))
	}
	if len(colNames) == 0 {
		return nil, ConfigErrorf("columns: empty")
	}
	colIdx := map[string]int{}
	for _, c := range colNames {
		if c == "" {
			return nil, ConfigErrorf("columns: empty column name")
		}
		if _, ok := colIdx[c]; !ok {
			colIdx[c] = len(g.columns)
			g.columns = append(g.columns, c)
		}
	}
	cols := strings.Join(colNames, "_")

	// functions
	raw, ok = m["functions"]
	if !ok || isNull(raw) {
		return nil, ConfigErrorf("functions: missing")
	}
	funcNames, _, err := decodeStrings(raw)
	if err != nil {
		return nil, ConfigErrorf("functions: %v", err)
	}
	if len(funcNames) == 0 {
		return nil, ConfigErrorf("functions: empty list")
	}
	specs := make([]*funcSpec, len(funcNames))
	for i, name := range funcNames {
		s, ok := lookupTalib(name)
		if !ok {
			return nil, ConfigErrorf("functions: unknown TA-Lib function %q", name)
		}
		specs[i] = s
	}
	g.nFuncs = len(specs)

	// windows
	var windows []int
	if raw, ok := m["windows"]; ok && !isNull(raw) {
		if windows, err = decodeWindows(raw); err != nil {
			return nil, err
		}
		if len(windows) == 0 {
			return nil, ConfigErrorf("windows: empty list")
		}
	}

	// names
	var names []string
	namesList := false
	if raw, ok := m["names"]; ok && !isFalsy(raw) {
		if names, namesList, err = decodeStrings(raw); err != nil {
			return nil, ConfigErrorf("names: %v", err)
		}
		want := max(len(windows), 1)
		if namesList && len(names) != want {
			return nil, ConfigErrorf("names: list has %d names, want %d (one per window)", len(names), want)
		}
	}

	// parameters
	params := map[string]json.RawMessage{}
	if raw, ok := m["parameters"]; ok && !isNull(raw) {
		if params, err = decodeObject(raw, "parameters"); err != nil {
			return nil, err
		}
	}
	if g.post, err = parsePost(params); err != nil {
		return nil, err
	}
	if raw, ok := params["fill"]; ok {
		delete(params, "fill")
		if g.fill, err = parseFill(raw); err != nil {
			return nil, err
		}
	}
	taParams := map[string]float64{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := params[k]
		used := false
		for _, s := range specs {
			if i := s.paramIndex(k); i >= 0 {
				used = true
				v, err := decodeNumber(raw)
				if err == nil {
					err = checkParam(s.params[i], v)
				}
				if err != nil {
					return nil, ConfigErrorf("parameters.%s: %v", k, err)
				}
				taParams[k] = v
			}
		}
		if !used {
			return nil, ConfigErrorf("unknown key %q in parameters (not rel_base, rel_func, percentage, log, fill or a parameter of %s)",
				k, strings.Join(funcNames, ", "))
		}
	}

	// calls
	seen := map[string]bool{}
	g.lookback = 0
	for fi, s := range specs {
		inputs, err := mapInputs(s, colNames, byArg, colIdx)
		if err != nil {
			return nil, err
		}
		pv := make([]float64, len(s.params))
		for i, p := range s.params {
			pv[i] = p.def
			if v, ok := taParams[p.name]; ok {
				pv[i] = v
			}
		}
		if windows != nil && !s.hasPeriod {
			return nil, ConfigErrorf("windows: TA-Lib function %s takes no timeperiod", s.name)
		}
		ws := windows
		if ws == nil {
			ws = []int{0}
		}
		for j, w := range ws {
			c := talibCall{spec: s, fnIdx: fi, params: pv, inputs: inputs}
			switch {
			case w == 1 && len(colNames) == 1:
				c.identity = true
			case w == 0:
				if s.hasPeriod {
					c.period = s.defPeriod
				}
			default:
				if w < s.minPeriod {
					return nil, ConfigErrorf("windows: %d is below the minimum timeperiod %d of %s", w, s.minPeriod, s.name)
				}
				c.period = w
			}
			if !c.identity {
				c.lookback = s.lookback(c.period, pv)
			}
			base := talibName(cols, funcNames[fi], w, names, namesList, j)
			for _, o := range s.outputs {
				name := base
				if len(s.outputs) > 1 {
					name = insertOutput(base, o, w, names != nil && (namesList || w == 0))
				}
				if seen[name] {
					return nil, ConfigErrorf("duplicate output column %q (check functions, windows and names)", name)
				}
				seen[name] = true
				c.names = append(c.names, name)
				g.outputs = append(g.outputs, name)
			}
			// Window and Lookback.
			win := w
			if w == 0 {
				win = c.period
				if !s.hasPeriod {
					win = c.lookback + 1
				}
			}
			g.window = max(g.window, win)
			switch {
			case g.lookback < 0:
			case c.identity:
			case s.native != nil || s.local:
				g.lookback = max(g.lookback, c.lookback)
			default:
				g.lookback = -1
			}
			g.calls = append(g.calls, c)
		}
	}
	return g, nil
}

// mapInputs maps a function's TA-Lib arguments to column indices.
func mapInputs(s *funcSpec, colNames []string, byArg map[string]string, colIdx map[string]int) ([]int, error) {
	out := make([]int, len(s.inputs))
	if byArg != nil {
		for i, arg := range s.inputs {
			c, ok := byArg[arg]
			if !ok {
				return nil, ConfigErrorf("columns: %s needs arguments %s, the object has no %q", s.name, strings.Join(s.inputs, ", "), arg)
			}
			out[i] = colIdx[c]
		}
		if len(byArg) != len(s.inputs) {
			for k := range byArg {
				if !contains(s.inputs, k) {
					return nil, ConfigErrorf("columns: %s takes arguments %s, not %q", s.name, strings.Join(s.inputs, ", "), k)
				}
			}
		}
		return out, nil
	}
	if len(colNames) != len(s.inputs) {
		return nil, ConfigErrorf("columns: %s needs %d input columns (%s), got %d", s.name, len(s.inputs), strings.Join(s.inputs, ", "), len(colNames))
	}
	for i, c := range colNames {
		out[i] = colIdx[c]
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// talibName applies ITB's naming rules for window w (0 = none) at window index j.
func talibName(cols, fn string, w int, names []string, list bool, j int) string {
	switch {
	case names == nil && w == 0:
		return cols + "_" + fn
	case names == nil:
		return cols + "_" + fn + "_" + strconv.Itoa(w)
	case list:
		return names[j]
	case w == 0:
		return names[0]
	default:
		return cols + "_" + fn + "_" + names[0] + "_" + strconv.Itoa(w)
	}
}

// insertOutput adds a TA-Lib output name: appended to a user-given name, otherwise inserted
// before the trailing window.
func insertOutput(base, output string, w int, userGiven bool) string {
	if userGiven || w == 0 {
		return base + "_" + output
	}
	suffix := "_" + strconv.Itoa(w)
	return strings.TrimSuffix(base, suffix) + "_" + output + suffix
}

// Inputs lists the distinct input columns.
func (g *talibGen) Inputs() []string { return append([]string(nil), g.columns...) }

// Outputs lists the output columns in order: function, window, output.
func (g *talibGen) Outputs() []string { return append([]string(nil), g.outputs...) }

// Window is the largest window (or default timeperiod, or lookback+1 for functions without one).
func (g *talibGen) Window() int { return g.window }

// Lookback is the largest TA-Lib lookback when every call is exact per window, else -1.
func (g *talibGen) Lookback() int { return g.lookback }

// nativeChunk is the number of rows per parallel task of a native kernel.
const nativeChunk = 32768

// Generate computes the output columns.
func (g *talibGen) Generate(in *frame.Frame) ([]frame.Column, error) {
	n := in.Len()
	filled := make([][]float64, len(g.columns))
	first := make([]int, len(g.columns))
	for i, c := range g.columns {
		x, err := in.Col(c)
		if err != nil {
			return nil, fmt.Errorf("talib: %w", err)
		}
		if len(x) != n {
			return nil, fmt.Errorf("talib: %w: column %q has %d rows, frame has %d", frame.ErrLength, c, len(x), n)
		}
		filled[i] = fillSeries(x, g.fill)
		first[i] = firstValid(filled[i])
	}

	results := make([][][]float64, len(g.calls)) // per call, per output
	var tasks []func() error
	for ci := range g.calls {
		c := &g.calls[ci]
		outs := make([][]float64, len(c.spec.outputs))
		results[ci] = outs
		if c.identity {
			for k := range outs {
				outs[k] = append([]float64(nil), filled[c.inputs[0]]...)
			}
			continue
		}
		for k := range outs {
			outs[k] = frame.NaNs(n)
		}
		fv := 0
		for _, ii := range c.inputs {
			fv = max(fv, first[ii])
		}
		if n-fv <= c.lookback {
			continue // not enough valid rows: all NaN
		}
		if c.spec.native != nil {
			x := filled[c.inputs[0]]
			p := 0.0
			if len(c.params) > 0 {
				p = c.params[0]
			}
			for lo := fv + c.lookback; lo < n; lo += nativeChunk {
				lo, hi := lo, min(lo+nativeChunk, n)
				tasks = append(tasks, func() error {
					c.spec.native(x, c.period, p, outs[0], lo, hi)
					return nil
				})
			}
			continue
		}
		ins := make([][]float64, len(c.inputs))
		for k, ii := range c.inputs {
			ins[k] = filled[ii][fv:]
		}
		tasks = append(tasks, func() error { return runGoTalib(c, ins, outs, fv) })
	}
	if err := runTasks(tasks); err != nil {
		return nil, err
	}

	// Post-processing across the windows of each function output.
	for fi := 0; fi < g.nFuncs; fi++ {
		var group []int
		for ci := range g.calls {
			if g.calls[ci].fnIdx == fi {
				group = append(group, ci)
			}
		}
		nOut := len(g.calls[group[0]].spec.outputs)
		for k := 0; k < nOut; k++ {
			outs := make([][]float64, len(group))
			for j, ci := range group {
				outs[j] = results[ci][k]
			}
			g.post.apply(outs)
			for j, ci := range group {
				results[ci][k] = outs[j]
			}
		}
	}

	cols := make([]frame.Column, 0, len(g.outputs))
	for ci, c := range g.calls {
		for k, name := range c.names {
			cols = append(cols, frame.Column{Name: name, Kind: c.spec.outputKind(), Data: results[ci][k]})
		}
	}
	return cols, nil
}

// runGoTalib calls go-talib on the NaN-free suffix starting at row fv and writes the values
// after TA-Lib's lookback into outs; a go-talib panic becomes an error.
func runGoTalib(c *talibCall, ins [][]float64, outs [][]float64, fv int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("talib: %s(timeperiod=%d) failed: %v", c.spec.name, c.period, r)
		}
	}()
	raw := c.spec.run(ins, c.period, c.params)
	for k, r := range raw {
		copy(outs[k][fv+c.lookback:], r[c.lookback:])
	}
	return nil
}

// runTasks runs tasks on GOMAXPROCS goroutines and returns the error of the lowest-numbered
// failing task.
func runTasks(tasks []func() error) error {
	if len(tasks) == 0 {
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	errs := make([]error, len(tasks))
	if workers <= 1 {
		for i, t := range tasks {
			errs[i] = t()
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(tasks) {
						return
					}
					errs[i] = tasks[i]()
				}
			}()
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
