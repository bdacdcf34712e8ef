package exchange

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// binanceIntervals are the kline intervals Binance offers (1s is spot only).
var binanceIntervals = map[string]time.Duration{
	"1s": time.Second,
	"1m": time.Minute, "3m": 3 * time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute, "30m": 30 * time.Minute,
	"1h": time.Hour, "2h": 2 * time.Hour, "4h": 4 * time.Hour, "6h": 6 * time.Hour, "8h": 8 * time.Hour, "12h": 12 * time.Hour,
	"1d": 24 * time.Hour, "3d": 72 * time.Hour, "1w": 7 * 24 * time.Hour,
	"1M": 0, // calendar month: no fixed duration
}

// BinanceInterval converts a pandas frequency alias (ITB's `freq`) to a Binance kline interval,
// as ITB's binance_freq_from_pandas does: "min"->"m", "D"->"d", "W"->"w", "BMS"->"M", and a
// leading "1" when the count is missing ("1min"->"1m", "5min"->"5m", "h"->"1h", "1D"->"1d",
// "1W"->"1w"). It also accepts "MS" (month start) and the legacy pandas aliases "T" (minute),
// "H" (hour) and "S" (second). A Binance interval is returned unchanged. Results Binance does
// not offer (e.g. "60min", "2D") are ErrUnsupportedInterval.
func BinanceInterval(freq string) (string, error) {
	s := strings.TrimSpace(freq)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	count, unit := s[:i], s[i:]
	if count == "" {
		count = "1"
	}
	var u string
	switch unit {
	case "s", "S":
		u = "s"
	case "m", "min", "T":
		u = "m"
	case "h", "H":
		u = "h"
	case "d", "D":
		u = "d"
	case "w", "W":
		u = "w"
	case "M", "MS", "BMS":
		u = "M"
	default:
		return "", fmt.Errorf("%w: %q (want a pandas alias like 1min, 5min, 1h, 1D, 1W)", ErrUnsupportedInterval, freq)
	}
	if n, err := strconv.Atoi(count); err != nil || n <= 0 || count[0] == '0' {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedInterval, freq)
	}
	iv := count + u
	if _, ok := binanceIntervals[iv]; !ok {
		return "", fmt.Errorf("%w: %q maps to %q, which Binance does not offer", ErrUnsupportedInterval, freq, iv)
	}
	return iv, nil
}

// IsBinanceInterval reports whether s is one of Binance's kline intervals ("1m", "1h", "1M"...).
func IsBinanceInterval(s string) bool {
	_, ok := binanceIntervals[s]
	return ok
}

// IntervalDuration returns the fixed length of a Binance interval ("1m" -> 1 minute). It fails
// for "1M", whose length varies (use AddInterval), and for anything that is not an interval.
func IntervalDuration(interval string) (time.Duration, error) {
	d, ok := binanceIntervals[interval]
	if !ok {
		return 0, fmt.Errorf("%w: %q is not a Binance interval", ErrUnsupportedInterval, interval)
	}
	if d == 0 {
		return 0, fmt.Errorf("%w: %q has no fixed duration", ErrUnsupportedInterval, interval)
	}
	return d, nil
}

// AddInterval returns t plus n intervals; "1M" adds calendar months (in UTC).
func AddInterval(t time.Time, interval string, n int) (time.Time, error) {
	if interval == "1M" {
		return t.UTC().AddDate(0, n, 0), nil
	}
	d, err := IntervalDuration(interval)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(time.Duration(n) * d), nil
}
