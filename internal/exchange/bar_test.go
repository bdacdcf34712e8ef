package exchange

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCheckBar(t *testing.T) {
	cases := []struct {
		name          string
		o, h, l, c, v float64
		want          string // "" = valid
	}{
		{"valid", 10, 12, 9, 11, 5, ""},
		{"flat halt bar", 10, 10, 10, 10, 0, ""},
		{"negative volume", 10, 12, 9, 11, -1, "volume is -1"},
		{"high below low", 10, 9, 12, 11, 5, "high 9 is below low 12"},
		{"open above high", 13, 12, 9, 11, 5, "open 13 is outside"},
		{"close below low", 10, 12, 9, 8, 5, "close 8 is outside"},
		{"negative price", -1, 12, -2, 11, 5, "open is -1"},
		{"NaN volume", 10, 12, 9, 11, math.NaN(), "volume is NaN"},
		{"infinite high", 10, math.Inf(1), 9, 11, 5, "high is +Inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckBar(c.o, c.h, c.l, c.c, c.v)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrBadBar) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
