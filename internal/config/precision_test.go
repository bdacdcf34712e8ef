package config

import (
	"errors"
	"strings"
	"testing"
)

func TestFloatPrecision(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want int
	}{
		{`{}`, 6}, {`{"float_precision": null}`, 6}, {`{"float_precision": 6}`, 6},
		{`{"float_precision": 0}`, 0}, {`{"float_precision": 17}`, 17}, {`{"float_precision": "exact"}`, -1},
	} {
		c, err := Parse([]byte(tc.src), "cfg.jsonc", nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := c.FloatDecimals(); got != tc.want {
			t.Errorf("%s: FloatDecimals = %d, want %d", tc.src, got, tc.want)
		}
	}
	for _, src := range []string{`{"float_precision": "fine"}`, `{"float_precision": 18}`, `{"float_precision": -1}`,
		`{"float_precision": 2.5}`, `{"float_precision": true}`} {
		_, err := Parse([]byte(src), "cfg.jsonc", nil)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `"float_precision"`) || !strings.Contains(err.Error(), "exact") {
			t.Errorf("%s: error %v, want ErrConfig naming float_precision and its values", src, err)
		}
	}
}
