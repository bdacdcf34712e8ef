package exchange

import (
	"errors"
	"testing"
	"time"
)

func TestBinanceInterval(t *testing.T) {
	ok := map[string]string{
		"1min": "1m", "min": "1m", "5min": "5m", "15min": "15m", "30min": "30m", "3min": "3m", "1T": "1m",
		"1h": "1h", "h": "1h", "1H": "1h", "4h": "4h", "12h": "12h",
		"1D": "1d", "D": "1d", "3D": "3d", "1W": "1w", "W": "1w",
		"1MS": "1M", "MS": "1M", "BMS": "1M", "1s": "1s", "S": "1s",
		"1m": "1m", "1d": "1d", "1w": "1w", "1M": "1M", // Binance intervals pass through
	}
	for in, want := range ok {
		got, err := BinanceInterval(in)
		if err != nil || got != want {
			t.Errorf("BinanceInterval(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "60min", "2D", "7min", "1Y", "0min", "01min", "-1min", "1 min", "x"} {
		if got, err := BinanceInterval(in); !errors.Is(err, ErrUnsupportedInterval) {
			t.Errorf("BinanceInterval(%q) = %q, %v; want ErrUnsupportedInterval", in, got, err)
		}
	}
}

func TestIntervalDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1s": time.Second, "1m": time.Minute, "5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "1w": 168 * time.Hour} {
		if got, err := IntervalDuration(in); err != nil || got != want {
			t.Errorf("IntervalDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"1M", "1min", ""} {
		if _, err := IntervalDuration(in); !errors.Is(err, ErrUnsupportedInterval) {
			t.Errorf("IntervalDuration(%q): %v", in, err)
		}
	}
	jan31 := time.Date(2022, 1, 31, 0, 0, 0, 0, time.UTC)
	if got, _ := AddInterval(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), "1M", 1); !got.Equal(time.Date(2022, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("AddInterval 1M: %v", got)
	}
	if got, _ := AddInterval(jan31, "1h", 2); !got.Equal(jan31.Add(2 * time.Hour)) {
		t.Errorf("AddInterval 1h: %v", got)
	}
}
