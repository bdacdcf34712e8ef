package download_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradectl/tradectl/download"
	"github.com/tradectl/tradectl/internal/exchange"
)

func TestTimestampRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []int64{0, 1640995200000, 951782400000 /* 2000-02-29 */, 4102444799000 /* 2099-12-31 23:59:59 */, 1709164800000 /* 2024-02-29 */}
	for i := 0; i < 20000; i++ {
		cases = append(cases, r.Int64N(4102444800)*1000)
	}
	for _, ms := range cases {
		s := download.FormatTimestamp(ms)
		if want := time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05") + "+00:00"; s != want {
			t.Fatalf("FormatTimestamp(%d) = %q, want %q", ms, s, want)
		}
		got, err := download.ParseTimestamp([]byte(s))
		if err != nil || got != ms {
			t.Fatalf("ParseTimestamp(%q) = %d, %v; want %d", s, got, err, ms)
		}
	}
	if s := download.FormatTimestamp(1640995200123); s != "2022-01-01 00:00:00.123000+00:00" {
		t.Errorf("with milliseconds: %q", s)
	}
	for in, want := range map[string]int64{
		"2022-01-01T00:00:00Z":             1640995200000,
		"2022-01-01 00:00:00":              1640995200000,
		"2022-01-01T01:00:00+01:00":        1640995200000,
		"2022-01-01 00:00:00.123000+00:00": 1640995200123,
		"2022-01-01":                       1640995200000,
	} {
		if got, err := download.ParseTimestamp([]byte(in)); err != nil || got != want {
			t.Errorf("ParseTimestamp(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"2022-02-30 00:00:00+00:00", "2022-13-01 00:00:00+00:00", "1640995200000", "", "2022-01-01 24:00:00+00:00"} {
		if _, err := download.ParseTimestamp([]byte(in)); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", in)
		}
	}
}

const (
	row1 = "2022-01-01 00:00:00+00:00,46216.93000000,46271.08000000,46208.37000000,46250.00000000,40.57574000,1640995259999,1875978.44269790,796,27.26086000,1260270.37206270,0"
	row2 = "2022-01-01 00:01:00+00:00,46250.00000000,46271.08000000,46200.00000000,46230.00000000,12.00000000,1640995319999,555000.00000000,400,6.00000000,277000.00000000,0"
	row3 = "2022-01-01 00:02:00+00:00,46230.00000000,46240.00000000,46220.00000000,46225.00000000,10.00000000,1640995379999,462000.00000000,300,5.00000000,231000.00000000,0"
)

func TestReadFile(t *testing.T) {
	h := download.Header + "\n"
	cases := []struct {
		name    string
		content string
		rows    int
		err     error
		line    int
	}{
		{"valid", h + row1 + "\n" + row2 + "\n" + row3 + "\n", 3, nil, 0},
		{"header only", h, 0, nil, 0},
		{"crlf", strings.ReplaceAll(h+row1+"\n"+row2+"\n", "\n", "\r\n"), 2, nil, 0},
		{"pandas floats", h + "2022-01-01 00:00:00+00:00,46216.93,46271.08,46208.37,46250.0,40.57574,1640995259999,1875978.4426979,796,27.26086,1260270.3720627,0.0\n", 1, nil, 0},
		{"last line complete without newline", h + row1 + "\n" + row2, 2, nil, 0},
		{"torn last line", h + row1 + "\n" + row2 + "\n" + row3[:70], 2, nil, 0},
		{"torn in the last field", h + row1 + "\n" + row2[:len(row2)-1], 1, nil, 0},
		{"empty file", "", 0, download.ErrEmptyFile, 0},
		{"partial header", download.Header[:20], 0, download.ErrEmptyFile, 1},
		{"wrong header", "open_time,open\n" + row1 + "\n", 0, download.ErrBadHeader, 1},
		{"truncated row inside", h + row1 + "\n" + row2[:70] + "\n" + row3 + "\n", 0, download.ErrMalformed, 3},
		{"garbled number", h + row1 + "\n" + strings.Replace(row2, "46250.00000000", "46x50.00", 1) + "\n", 0, download.ErrMalformed, 3},
		{"empty value", h + strings.Replace(row1, ",796,", ",,", 1) + "\n", 0, download.ErrMalformed, 2},
		{"13 columns", h + row1 + ",0\n", 0, download.ErrMalformed, 2},
		{"11 columns", h + row1[:strings.LastIndex(row1, ",")] + "\n" + row2 + "\n", 0, download.ErrMalformed, 2},
		{"bad timestamp", h + strings.Replace(row1, "2022-01-01 00:00:00+00:00", "yesterday", 1) + "\n", 0, download.ErrMalformed, 2},
		{"unsorted", h + row2 + "\n" + row1 + "\n", 0, download.ErrUnsorted, 3},
		{"duplicate", h + row1 + "\n" + row2 + "\n" + row2 + "\n", 0, download.ErrDuplicate, 4},
		{"blank line", h + row1 + "\n\n" + row2 + "\n", 0, download.ErrMalformed, 3},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".csv")
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			rows, err := download.ReadFile(path)
			if c.err == nil {
				if err != nil || len(rows) != c.rows {
					t.Fatalf("%d rows, %v; want %d rows", len(rows), err, c.rows)
				}
				return
			}
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			var fe *download.FileError
			if !errors.As(err, &fe) || fe.Path != path || fe.Line != c.line {
				t.Fatalf("error %v: want a FileError at %s line %d", err, path, c.line)
			}
			if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q", err)
			}
		})
	}
	rows, err := download.ReadFile(filepath.Join(dir, "valid.csv"))
	if err != nil || rows[0].OpenTime != 1640995200000 || rows[0].Fields[0] != "46216.93000000" || rows[2].Fields[10] != "0" {
		t.Errorf("parsed %+v, %v", rows, err)
	}
	if _, err := download.ReadFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestWriteFileRejectsBadRows(t *testing.T) {
	rows := dump(t)[:3]
	path := filepath.Join(t.TempDir(), "klines.csv")
	bad := append(rows[:0:0], rows...)
	bad[1].Fields[2] = "1,2"
	if err := download.WriteFile(path, bad); err == nil {
		t.Error("a value with a comma was written")
	}
	if err := download.WriteFile(path, []exchange.Kline{rows[1], rows[0]}); !errors.Is(err, download.ErrUnsorted) {
		t.Errorf("unsorted: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed write left a file")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
}
