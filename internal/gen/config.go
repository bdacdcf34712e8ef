package gen

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Config is a generator's "config" object split into its keys. Keys are matched exactly
// (case-sensitive); every getter returns an error wrapping ErrConfig that names the key.
type Config map[string]json.RawMessage

// ParseConfig decodes raw as a JSON object and rejects keys outside known.
func ParseConfig(raw json.RawMessage, known ...string) (Config, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, ConfigErrorf("config must be a JSON object: %v", err)
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
		return nil, ConfigErrorf("unknown key %q (known: %s)", unknown[0], strings.Join(k, ", "))
	}
	return Config(m), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Show abbreviates a raw JSON value for an error message.
func Show(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// Get returns a key's raw value, or an error naming the missing key.
func (c Config) Get(key string) (json.RawMessage, error) {
	raw, ok := c[key]
	if !ok {
		return nil, ConfigErrorf("missing key %q", key)
	}
	return raw, nil
}

// Str reads a string value.
func (c Config) Str(key string) (string, error) {
	raw, err := c.Get(key)
	if err != nil {
		return "", err
	}
	var s string
	if !isKind(raw, '"') || json.Unmarshal(raw, &s) != nil {
		return "", ConfigErrorf("key %q: want a string, got %s", key, Show(raw))
	}
	return s, nil
}

// Enum reads a string value that must be one of allowed.
func (c Config) Enum(key string, allowed ...string) (string, error) {
	s, err := c.Str(key)
	if err != nil {
		return "", err
	}
	if !contains(allowed, s) {
		return "", ConfigErrorf("key %q: want %s, got %q", key, quoteOr(allowed), s)
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

// Strs reads a list of strings; a single string is accepted as a one-element list when single is set.
func (c Config) Strs(key string, single bool) ([]string, error) {
	raw, err := c.Get(key)
	if err != nil {
		return nil, err
	}
	if single && isKind(raw, '"') {
		s, err := c.Str(key)
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
		return nil, ConfigErrorf("key %q: want %s, got %s", key, want, Show(raw))
	}
	return out, nil
}

// Num reads a number.
func (c Config) Num(key string) (float64, error) {
	raw, err := c.Get(key)
	if err != nil {
		return 0, err
	}
	var v float64
	if !isNumber(raw) || json.Unmarshal(raw, &v) != nil {
		return 0, ConfigErrorf("key %q: want a number, got %s", key, Show(raw))
	}
	return v, nil
}

// Nums reads a list of numbers; a single number is accepted as a one-element list.
func (c Config) Nums(key string) ([]float64, error) {
	raw, err := c.Get(key)
	if err != nil {
		return nil, err
	}
	if isNumber(raw) {
		v, err := c.Num(key)
		return []float64{v}, err
	}
	var out []float64
	if !isKind(raw, '[') || json.Unmarshal(raw, &out) != nil {
		return nil, ConfigErrorf("key %q: want a number or a list of numbers, got %s", key, Show(raw))
	}
	return out, nil
}

// PositiveInt reads a whole number >= 1 (120 and 120.0 are accepted, 120.5 is not).
func (c Config) PositiveInt(key string) (int, error) {
	raw, err := c.Get(key)
	if err != nil {
		return 0, err
	}
	var v float64
	if !isNumber(raw) || json.Unmarshal(raw, &v) != nil || v != math.Trunc(v) || v < 1 || v > math.MaxInt32 {
		return 0, ConfigErrorf("key %q: want a positive integer, got %s", key, Show(raw))
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

// CheckNames validates output names: count equal to want (one per threshold or tolerance),
// non-empty and distinct.
func CheckNames(key string, names []string, want int, per string) error {
	if len(names) != want {
		return ConfigErrorf("key %q: %d names for %d %s (want one name per %s)", key, len(names), want, per, strings.TrimSuffix(per, "s"))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			return ConfigErrorf("key %q: empty name", key)
		}
		if seen[n] {
			return ConfigErrorf("key %q: duplicate name %q", key, n)
		}
		seen[n] = true
	}
	return nil
}

// Has reports whether key is present with a value other than null.
func (c Config) Has(key string) bool {
	raw, ok := c[key]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}
