package frame

import (
	"fmt"
	"strconv"
	"time"
)

// ParseTime parses a timestamp cell into Unix milliseconds (UTC). It accepts ITB's
// "2024-01-01 00:00:00+00:00", other ISO 8601 forms (T separator, Z, offsets, fractional
// seconds, a bare date) and integer epochs (seconds, milliseconds or microseconds, by magnitude).
func ParseTime(b []byte) (int64, error) {
	if ms, ok := parseISOFast(b); ok {
		return ms, nil
	}
	s := string(b)
	if isInteger(b) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad timestamp %q", s)
		}
		switch {
		case v >= 1e14 || v <= -1e14:
			return v / 1000, nil // microseconds
		case v >= 1e11 || v <= -1e11:
			return v, nil // milliseconds
		default:
			return v * 1000, nil // seconds
		}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("bad timestamp %q", s)
}

var timeLayouts = []string{
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseISOFast handles "YYYY-MM-DD HH:MM:SS" optionally followed by "+00:00" or "Z".
func parseISOFast(b []byte) (int64, bool) {
	n := len(b)
	if n != 19 && n != 20 && n != 25 {
		return 0, false
	}
	if b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	switch n {
	case 20:
		if b[19] != 'Z' {
			return 0, false
		}
	case 25:
		if string(b[19:]) != "+00:00" {
			return 0, false
		}
	}
	d := func(i, w int) (int, bool) {
		v := 0
		for k := i; k < i+w; k++ {
			c := b[k]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := d(0, 4)
	mo, ok2 := d(5, 2)
	dd, ok3 := d(8, 2)
	h, ok4 := d(11, 2)
	mi, ok5 := d(14, 2)
	s, ok6 := d(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), dd, h, mi, s, 0, time.UTC)
	if t.Day() != dd { // e.g. Feb 30
		return 0, false
	}
	return t.UnixMilli(), true
}

func isInteger(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	i := 0
	if b[0] == '-' || b[0] == '+' {
		i = 1
	}
	if i == len(b) {
		return false
	}
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return false
		}
	}
	return true
}

// AppendTime appends ms formatted as ITB writes timestamps: "2024-01-01 00:00:00+00:00".
func AppendTime(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendInt(dst, y, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, d, 2)
	dst = append(dst, ' ')
	dst = appendInt(dst, h, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, s, 2)
	if frac := ms % 1000; frac != 0 {
		if frac < 0 {
			frac += 1000
		}
		dst = append(dst, '.')
		dst = appendInt(dst, int(frac), 3)
	}
	return append(dst, "+00:00"...)
}

// FormatTime formats ms as ITB writes timestamps.
func FormatTime(ms int64) string { return string(AppendTime(nil, ms)) }

func appendInt(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || i == len(buf) {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	for len(buf)-i < width {
		i--
		buf[i] = '0'
	}
	return append(dst, buf[i:]...)
}
