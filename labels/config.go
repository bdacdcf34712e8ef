package labels

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/tradectl/tradectl/features"
)

// config is a generator's "config" object split into its keys. Keys are matched exactly
// (case-sensitive); every getter returns an error wrapping features.ErrConfig that names the key.
type config map[string]json.RawMessage

// parseConfig decodes raw as a JSON object and rejects keys outside known.
func parseConfig(raw json.RawMessage, known ...string) (config, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, features.ConfigErrorf("config must be a JSON object: %v", err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	var unknown []string
	for k := range m {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		k := append([]string(nil), known...)
		sort.Strings(k)
		return nil, features.ConfigErrorf("unknown key %q (known: %s)", unknown[0], strings.Join(k, ", "))
	}
	return config(m), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// show abbreviates a raw JSON value for an error message.
func show(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

func (c config) get(key string) (json.RawMessage, error) {
	raw, ok := c[key]
	if !ok {
		return nil, features.ConfigErrorf("missing key %q", key)
	}
	return raw, nil
}

// str reads a string value.
func (c config) str(key string) (string, error) {
	raw, err := c.get(key)
	if err != nil {
		return "", err
	}
	var s string
	if !isKind(raw, '"') || json.Unmarshal(raw, &s) != nil {
		return "", features.ConfigErrorf("key %q: want a string, got %s", key, show(raw))
	}
	return s, nil
}

// enum reads a string value that must be one of allowed.
func (c config) enum(key string, allowed ...string) (string, error) {
	s, err := c.str(key)
	if err != nil {
		return "", err
	}
	if !contains(allowed, s) {
		return "", features.ConfigErrorf("key %q: want %s, got %q", key, quoteOr(allowed), s)
	}
	return s, nil
}

func quoteOr(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " or ")
}

// strs reads a list of strings; a single string is accepted as a one-element list when single is set.
func (c config) strs(key string, single bool) ([]string, error) {
	raw, err := c.get(key)
	if err != nil {
		return nil, err
	}
	if single && isKind(raw, '"') {
		s, err := c.str(key)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	var out []string
	if !isKind(raw, '[') || json.Unmarshal(raw, &out) != nil {
		want := "a list of strings"
		if single {
			want = "a string or a list of strings"
		}
		return nil, features.ConfigErrorf("key %q: want %s, got %s", key, want, show(raw))
	}
	return out, nil
}

// num reads a number.
func (c config) num(key string) (float64, error) {
	raw, err := c.get(key)
	if err != nil {
		return 0, err
	}
	var v float64
	if !isNumber(raw) || json.Unmarshal(raw, &v) != nil {
		return 0, features.ConfigErrorf("key %q: want a number, got %s", key, show(raw))
	}
	return v, nil
}

// nums reads a list of numbers; a single number is accepted as a one-element list.
func (c config) nums(key string) ([]float64, error) {
	raw, err := c.get(key)
	if err != nil {
		return nil, err
	}
	if isNumber(raw) {
		v, err := c.num(key)
		return []float64{v}, err
	}
	var out []float64
	if !isKind(raw, '[') || json.Unmarshal(raw, &out) != nil {
		return nil, features.ConfigErrorf("key %q: want a number or a list of numbers, got %s", key, show(raw))
	}
	return out, nil
}

// positiveInt reads a whole number >= 1 (120 and 120.0 are accepted, 120.5 is not).
func (c config) positiveInt(key string) (int, error) {
	raw, err := c.get(key)
	if err != nil {
		return 0, err
	}
	var v float64
	if !isNumber(raw) || json.Unmarshal(raw, &v) != nil || v != math.Trunc(v) || v < 1 || v > math.MaxInt32 {
		return 0, features.ConfigErrorf("key %q: want a positive integer, got %s", key, show(raw))
	}
	return int(v), nil
}

func isKind(raw json.RawMessage, first byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == first
}

func isNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// checkNames validates output names: count equal to want (one per threshold or tolerance),
// non-empty and distinct.
func checkNames(key string, names []string, want int, per string) error {
	if len(names) != want {
		return features.ConfigErrorf("key %q: %d names for %d %s (want one name per %s)", key, len(names), want, per, strings.TrimSuffix(per, "s"))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			return features.ConfigErrorf("key %q: empty name", key)
		}
		if seen[n] {
			return features.ConfigErrorf("key %q: duplicate name %q", key, n)
		}
		seen[n] = true
	}
	return nil
}
