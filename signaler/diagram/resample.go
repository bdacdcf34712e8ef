// Package diagram draws ITB's daily diagram notification (diagram_notification_model): the
// price band, close and trades of the last nrows resampled bars above the score with its
// thresholds, sent as a PNG when the current interval starts on a notification_freq boundary.
package diagram

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrSeries is wrapped by errors about an unusable series.
var ErrSeries = errors.New("diagram: invalid series")

// Series holds the diagram's columns; Time is each row's open time in Unix milliseconds,
// ascending. MAs are optional score moving averages ({score}_{ma}), one per MANames entry.
type Series struct {
	Time                   []int64
	Open, High, Low, Close []float64
	Score                  []float64
	MANames                []string
	MAs                    [][]float64
}

// Len is the number of rows.
func (s *Series) Len() int { return len(s.Time) }

// Check verifies that every column has one value per row and times ascend.
func (s *Series) Check() error {
	n := len(s.Time)
	cols := []struct {
		name string
		v    []float64
	}{{"open", s.Open}, {"high", s.High}, {"low", s.Low}, {"close", s.Close}, {"score", s.Score}}
	if len(s.MAs) != len(s.MANames) {
		return fmt.Errorf("%w: %d moving averages for %d names", ErrSeries, len(s.MAs), len(s.MANames))
	}
	for i, name := range s.MANames {
		cols = append(cols, struct {
			name string
			v    []float64
		}{name, s.MAs[i]})
	}
	for _, c := range cols {
		if len(c.v) != n {
			return fmt.Errorf("%w: column %s has %d rows, time has %d", ErrSeries, c.name, len(c.v), n)
		}
	}
	for i := 1; i < n; i++ {
		if s.Time[i] <= s.Time[i-1] {
			return fmt.Errorf("%w: row %d: time %d does not ascend", ErrSeries, i, s.Time[i])
		}
	}
	return nil
}

// zeroMillis is Go's zero time (0001-01-01 UTC, a Monday) in Unix ms: intervals are counted
// from it, as time.Truncate does, so weeks start on Mondays and days at 00:00 UTC.
const zeroMillis = -62135596800000

// intervalStart is the start of the interval of length d (ms) that holds t (ms).
func intervalStart(t, d int64) int64 {
	k := t - zeroMillis
	q := k / d
	if k%d < 0 {
		q--
	}
	return zeroMillis + q*d
}

// Resample aggregates s into intervals of freq (pandas resample with the default left
// label): open first, high max, low min, close last, and the score and its moving averages
// by ITB's rule (max if all values are > 0, min if all are < 0, otherwise the mean of the
// non-NaN values). Intervals without rows are left out (pandas would emit NaN rows).
func Resample(s *Series, freq time.Duration) (*Series, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	d := freq.Milliseconds()
	if d <= 0 {
		return nil, fmt.Errorf("%w: resampling_freq %v must be at least 1ms", ErrSeries, freq)
	}
	out := &Series{MANames: s.MANames, MAs: make([][]float64, len(s.MAs))}
	for lo := 0; lo < s.Len(); {
		start := intervalStart(s.Time[lo], d)
		hi := lo + 1
		for hi < s.Len() && s.Time[hi] < start+d {
			hi++
		}
		out.Time = append(out.Time, start)
		out.Open = append(out.Open, s.Open[lo])
		out.High = append(out.High, maxOf(s.High[lo:hi]))
		out.Low = append(out.Low, minOf(s.Low[lo:hi]))
		out.Close = append(out.Close, s.Close[hi-1])
		out.Score = append(out.Score, ScoreAgg(s.Score[lo:hi]))
		for j, ma := range s.MAs {
			out.MAs[j] = append(out.MAs[j], ScoreAgg(ma[lo:hi]))
		}
		lo = hi
	}
	return out, nil
}

// ScoreAgg is ITB's score aggregation: max if all values are > 0, min if all are < 0,
// otherwise the mean of the non-NaN values (NaN when there are none). A NaN makes neither
// "all" hold, as in pandas.
func ScoreAgg(v []float64) float64 {
	pos, negv := true, true
	sum, n := 0.0, 0
	mx, mn := math.Inf(-1), math.Inf(1)
	for _, x := range v {
		pos = pos && x > 0
		negv = negv && x < 0
		if !math.IsNaN(x) {
			sum += x
			n++
			mx, mn = math.Max(mx, x), math.Min(mn, x)
		}
	}
	switch {
	case len(v) > 0 && pos:
		return mx
	case len(v) > 0 && negv:
		return mn
	case n == 0:
		return math.NaN()
	}
	return sum / float64(n)
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		if x < m {
			m = x
		}
	}
	return m
}

// Tail returns the last n rows of s (all of them when it has fewer), sharing its arrays.
func Tail(s *Series, n int) *Series {
	i := max(s.Len()-n, 0)
	out := &Series{Time: s.Time[i:], Open: s.Open[i:], High: s.High[i:], Low: s.Low[i:], Close: s.Close[i:],
		Score: s.Score[i:], MANames: s.MANames, MAs: make([][]float64, len(s.MAs))}
	for j, ma := range s.MAs {
		out.MAs[j] = ma[i:]
	}
	return out
}

// When reports whether the diagram is due at now: the freq interval holding now starts on
// a notification_freq boundary (ITB: pandas_get_interval(notification_freq).start ==
// pandas_get_interval(freq).start). With freq 1min and notification 1D it holds once a day,
// during the minute after 00:00 UTC. Intervals count from 0001-01-01 UTC, so "1W" starts on
// Mondays as pandas' W-SUN does.
func When(now time.Time, freq, notification time.Duration) bool {
	if freq <= 0 || notification <= 0 {
		return false
	}
	t := now.UnixMilli()
	s := intervalStart(t, freq.Milliseconds())
	return s == intervalStart(t, notification.Milliseconds())
}
