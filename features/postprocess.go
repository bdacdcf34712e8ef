package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// This file holds what the talib and itbstats generators share: input filling, ITB's
// relative post-processing across the windows of one function (_convert_to_relative) and
// the strict decoding of config objects.

// fillMode says how NaN in an input column are filled before computing.
type fillMode uint8

const (
	// fillForward: leading NaN stay NaN, interior and trailing NaN take the last valid value.
	// A value at row t then never depends on rows after t.
	fillForward fillMode = iota
	// fillLinear is pandas' default .interpolate(), as ITB uses: leading NaN stay NaN, an
	// interior gap is interpolated linearly between the values around it (so a row inside a
	// gap depends on the first row after the gap: a look-ahead), trailing NaN take the last value.
	fillLinear
)

func parseFill(raw json.RawMessage) (fillMode, error) {
	s, err := decodeString(raw)
	if err != nil {
		return 0, ConfigErrorf("parameters.fill: %v", err)
	}
	switch s {
	case "", "ffill":
		return fillForward, nil
	case "linear":
		return fillLinear, nil
	}
	return 0, ConfigErrorf("parameters.fill: unknown mode %q (want \"ffill\" or \"linear\")", s)
}

// fillSeries returns a filled copy of x.
func fillSeries(x []float64, mode fillMode) []float64 {
	out := make([]float64, len(x))
	copy(out, x)
	last := -1 // index of the last valid value
	for i, v := range out {
		if !math.IsNaN(v) {
			if mode == fillLinear && last >= 0 && i-last > 1 {
				// numpy.interp as pandas calls it: slope*(k - i0) + y0 over the index positions.
				y0 := out[last]
				slope := (v - y0) / float64(i-last)
				for k := last + 1; k < i; k++ {
					out[k] = float64(slope*float64(k-last)) + y0
				}
			}
			last = i
			continue
		}
		if last >= 0 && mode == fillForward {
			out[i] = out[last]
		}
	}
	if mode == fillLinear && last >= 0 {
		for k := last + 1; k < len(out); k++ {
			out[k] = out[last]
		}
	}
	return out
}

// firstValid returns the index of the first non-NaN value, or len(x).
func firstValid(x []float64) int {
	for i, v := range x {
		if !math.IsNaN(v) {
			return i
		}
	}
	return len(x)
}

// postProc is ITB's post-processing of the outputs of one function across its windows.
type postProc struct {
	relBase    string // "", next, last, prev, first
	relFunc    string // rel, diff, rel_diff
	percentage bool
	log        bool
}

// parsePost reads rel_base, rel_func, percentage and log from a parameters object and
// deletes them from it, so the caller can check what is left.
func parsePost(params map[string]json.RawMessage) (postProc, error) {
	p := postProc{relFunc: "rel"}
	if raw, ok := params["rel_base"]; ok {
		delete(params, "rel_base")
		if isFalsy(raw) {
			p.relBase = ""
		} else {
			s, err := decodeString(raw)
			if err != nil {
				return p, ConfigErrorf("parameters.rel_base: %v", err)
			}
			switch s {
			case "next", "last", "prev", "first":
				p.relBase = s
			default:
				return p, ConfigErrorf("parameters.rel_base: unknown value %q (want next, last, prev or first)", s)
			}
		}
	}
	if raw, ok := params["rel_func"]; ok {
		delete(params, "rel_func")
		if !isFalsy(raw) {
			s, err := decodeString(raw)
			if err != nil {
				return p, ConfigErrorf("parameters.rel_func: %v", err)
			}
			switch s {
			case "rel", "diff", "rel_diff":
				p.relFunc = s
			default:
				return p, ConfigErrorf("parameters.rel_func: unknown value %q (want rel, diff or rel_diff)", s)
			}
		}
	}
	for _, k := range []string{"percentage", "log"} {
		raw, ok := params[k]
		if !ok {
			continue
		}
		delete(params, k)
		b, err := decodeBool(raw)
		if err != nil {
			return p, ConfigErrorf("parameters.%s: %v", k, err)
		}
		if k == "percentage" {
			p.percentage = b
		} else {
			p.log = b
		}
	}
	return p, nil
}

// apply post-processes the outputs of one function, ordered by window, in place.
//
// With rel_base set, every output except the base-less one is replaced by rel_func(out, base):
// next uses out[i+1] and keeps the last output, prev uses out[i-1] and keeps the first, last
// uses the last output and keeps it, first uses the FIRST output and keeps it. ITB's code uses
// the last output for "first" (a bug against its own documentation); tradectl follows the
// documentation. rel is v/base, diff v-base, rel_diff (v-base)/base. percentage (only with
// rel_base, as in ITB) multiplies every output, the kept one included, by 100. log (with or
// without rel_base) takes the natural log of every output. Infinities become NaN.
func (p postProc) apply(outs [][]float64) {
	size := len(outs)
	if p.relBase != "" && size > 0 {
		orig := make([][]float64, size)
		copy(orig, outs)
		for i := range outs {
			var base []float64
			switch {
			case (p.relBase == "next" || p.relBase == "last") && i == size-1,
				(p.relBase == "prev" || p.relBase == "first") && i == 0:
				base = nil
			case p.relBase == "next":
				base = orig[i+1]
			case p.relBase == "prev":
				base = orig[i-1]
			case p.relBase == "last":
				base = orig[size-1]
			case p.relBase == "first":
				base = orig[0]
			}
			if base == nil {
				if p.percentage {
					outs[i] = scaled(orig[i], 100)
				}
				continue
			}
			out := make([]float64, len(orig[i]))
			for t, v := range orig[i] {
				b := base[t]
				var r float64
				switch p.relFunc {
				case "diff":
					r = v - b
				case "rel_diff":
					r = (v - b) / b
				default:
					r = v / b
				}
				if p.percentage {
					r *= 100
				}
				out[t] = r
			}
			outs[i] = out
		}
	}
	for _, o := range outs {
		if p.log {
			for t, v := range o {
				o[t] = math.Log(v)
			}
		}
		for t, v := range o {
			if math.IsInf(v, 0) {
				o[t] = math.NaN()
			}
		}
	}
}

func scaled(x []float64, k float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * k
	}
	return out
}

// ---- strict config decoding ----

// decodeObject decodes a config object into its keys, failing on anything but an object.
func decodeObject(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		if err == nil {
			err = fmt.Errorf("got null")
		}
		return nil, ConfigErrorf("%s must be a JSON object: %v", what, err)
	}
	return m, nil
}

// checkKeys fails on the first (sorted) key of m not in allowed.
func checkKeys(m map[string]json.RawMessage, where string, allowed ...string) error {
	var unknown []string
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return ConfigErrorf("unknown key %q in %s (known: %s)", unknown[0], where, strings.Join(allowed, ", "))
}

func isFalsy(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	return s == "null" || s == "false" || s == `""`
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func decodeString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("want a string, got %s", short(raw))
	}
	return s, nil
}

func decodeBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("want true or false, got %s", short(raw))
	}
	return b, nil
}

func decodeNumber(raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, fmt.Errorf("want a number, got %s", short(raw))
	}
	return f, nil
}

// decodeInt accepts a JSON number with an integer value (5 or 5.0).
func decodeInt(raw json.RawMessage) (int, error) {
	f, err := decodeNumber(raw)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %s", short(raw))
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, fmt.Errorf("want an integer, got %s", short(raw))
	}
	return int(f), nil
}

// decodeStrings accepts a string or a list of strings; list reports which it was.
func decodeStrings(raw json.RawMessage) (vals []string, list bool, err error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, false, nil
	}
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, false, fmt.Errorf("want a string or a list of strings, got %s", short(raw))
	}
	return vals, true, nil
}

// decodeWindows accepts an integer or a list of integers, each >= 1.
func decodeWindows(raw json.RawMessage) ([]int, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		items = []json.RawMessage{raw}
	}
	out := make([]int, 0, len(items))
	for i, it := range items {
		w, err := decodeInt(it)
		if err != nil {
			return nil, ConfigErrorf("windows[%d]: %v", i, err)
		}
		if w < 1 || w > maxPeriod {
			return nil, ConfigErrorf("windows[%d]: %d is out of range [1, %d]", i, w, maxPeriod)
		}
		out = append(out, w)
	}
	return out, nil
}

// orderedPair is one key/value of a JSON object, in document order.
type orderedPair struct{ key, value string }

// decodeOrderedStrings decodes a JSON object of strings keeping the key order.
func decodeOrderedStrings(raw json.RawMessage) ([]orderedPair, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("want an object, got %s", short(raw))
	}
	var out []orderedPair
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := kt.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value of %q: want a string", k)
		}
		if seen[k] {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		out = append(out, orderedPair{k, v})
	}
	return out, nil
}

func short(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// firstColumn returns the first name of a generator config's required "columns" key (a
// string or a list); generators over a single series use it.
func firstColumn(m map[string]json.RawMessage) (string, error) {
	raw, ok := m["columns"]
	if !ok || isNull(raw) {
		return "", ConfigErrorf("columns: missing")
	}
	cols, _, err := decodeStrings(raw)
	if err != nil {
		return "", ConfigErrorf("columns: %v", err)
	}
	if len(cols) == 0 || cols[0] == "" {
		return "", ConfigErrorf("columns: empty")
	}
	return cols[0], nil
}
