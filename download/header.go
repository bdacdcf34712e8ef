package download

import (
	"fmt"
	"slices"
	"strings"
)

// DumpHeader is the header line of newer Binance dump files (older ones have none).
const DumpHeader = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"

// headerProblem names the first column of got that breaks the expected header want: a
// duplicate, an unknown or a missing column, or one out of place ("" when they are equal).
func headerProblem(got, want string) string {
	g, w := strings.Split(got, ","), strings.Split(want, ",")
	seen := map[string]bool{}
	for _, n := range g {
		if seen[n] {
			return fmt.Sprintf("duplicate column %q", n)
		}
		seen[n] = true
	}
	for _, n := range g {
		if !slices.Contains(w, n) {
			return fmt.Sprintf("unknown column %q", n)
		}
	}
	for _, n := range w {
		if !seen[n] {
			return fmt.Sprintf("missing column %q", n)
		}
	}
	for i := range g {
		if g[i] != w[i] {
			return fmt.Sprintf("column %d is %q, want %q", i+1, g[i], w[i])
		}
	}
	return ""
}
