package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseFreq converts a pandas offset alias as ITB configs write it ("1min", "5min", "1h",
// "4h", "1D", "1W"; also "T", "H", "min", "s") into a fixed duration. Calendar-month
// frequencies ("MS", "M") have no fixed length and are rejected.
func ParseFreq(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n := 1
	if i > 0 {
		v, err := strconv.Atoi(t[:i])
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("freq %q: bad multiplier", s)
		}
		n = v
	}
	var unit time.Duration
	switch strings.TrimSuffix(t[i:], "B") {
	case "s", "S", "sec":
		unit = time.Second
	case "min", "T", "m":
		unit = time.Minute
	case "h", "H":
		unit = time.Hour
	case "D", "d":
		unit = 24 * time.Hour
	case "W", "w", "W-SUN", "W-MON", "W-THU":
		unit = 7 * 24 * time.Hour
	case "MS", "M", "ME":
		return 0, fmt.Errorf("freq %q: monthly frequencies have no fixed length and are not supported", s)
	default:
		return 0, fmt.Errorf("freq %q: unknown unit (use e.g. 1min, 5min, 1h, 1D, 1W)", s)
	}
	return time.Duration(n) * unit, nil
}
